package plentysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// search is GET /rest/orders/search (and POST with the same body): simple filters in the query
// string, a complex filter in the body, both applied. Entries are lazy loaded, as plentymarkets'
// guide says: the order's own fields only, plus the relations with[] names (lazyLoaded=false adds the
// default relations, as plentymarkets' OpenAPI description says; its guide says the opposite).
// Sorted by order id descending unless sortBy/sortOrder say otherwise; 50 per page.
func (s *Sim) search(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := readPaging(w, q)
	if !ok {
		return
	}
	rels, ok := readWith(w, q)
	if !ok {
		return
	}
	lazy := boolParam(q, "lazyLoaded", true)
	var exprs []expr
	for k, vs := range q {
		name := paramName(k)
		switch name {
		case "page", "itemsPerPage", "with", "lazyLoaded", "sortBy", "sortOrder":
			continue
		}
		f, err := searchField(name)
		if errors.Is(err, errUnsimulated) {
			notSimulated(w, "the order filter "+name)
			return
		}
		if err != nil {
			invalid(w, name, "The filter "+name+" does not exist.")
			return
		}
		for _, v := range vs {
			e, err := parseExpr(f, v)
			if err != nil {
				invalid(w, name, err.Error())
				return
			}
			exprs = append(exprs, e)
		}
	}
	body, err := readGroup(r)
	if errors.Is(err, errUnsimulated) {
		notSimulated(w, strings.TrimPrefix(err.Error(), errUnsimulated.Error()+": "))
		return
	}
	if err != nil {
		invalid(w, "filter", err.Error())
		return
	}
	sortBy, desc := q.Get("sortBy"), true
	switch q.Get("sortOrder") {
	case "", "desc":
	case "asc":
		desc = false
	default:
		invalid(w, "sortOrder", "The sortOrder must be asc or desc.")
		return
	}
	switch sortBy {
	case "", "orderId", "statusId", "orderDate_2", "orderDeliveryAddressPostCode":
	case "invoiceNumber", "orderDate_3", "orderDate_5", "orderDate_8", "orderProperty_33":
		notSimulated(w, "sorting by "+sortBy)
		return
	default:
		invalid(w, "sortBy", "The selected sort by is invalid.")
		return
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	found := s.find(func(o *order) bool {
		for _, e := range exprs {
			if !e.match(s, o) {
				return false
			}
		}
		return body == nil || body.match(s, o)
	})
	sortOrders(found, sortBy, desc)
	full := !lazy || s.cfg.FullSearchEntries
	if full {
		for _, n := range defaultRelations {
			rels[n] = true
		}
	}
	entries := make([]any, len(found))
	for i, o := range found {
		if full {
			entries[i] = s.document(o, rels)
		} else {
			entries[i] = s.bareEntry(o, rels)
		}
	}
	writeJSON(w, http.StatusOK, s.pageOf(p, entries))
}

// readGroup reads the complex filter of a search body, or nil when there is none.
func readGroup(r *http.Request) (*compiled, error) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil, nil
	}
	var g group
	if err := json.Unmarshal(b, &g); err != nil {
		return nil, errors.New("the body is not a filter group")
	}
	c, err := compile(g)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// readWith reads with[]: the relations the simulator fills; a documented one it does not fill
// answers 501, an unknown one 422.
func readWith(w http.ResponseWriter, q url.Values) (relSet, bool) {
	var names []string
	for _, v := range withValues(q) {
		switch {
		case simulatedWith[v]:
			names = append(names, v)
		case documentedWith[v]:
			notSimulated(w, "the relation "+v)
			return nil, false
		default:
			invalid(w, "with", "The relation "+v+" does not exist.")
			return nil, false
		}
	}
	return relsOf(names...), true
}

// find returns the orders a predicate accepts, in creation order; the caller holds s.mu.
func (s *Sim) find(ok func(o *order) bool) []*order {
	var out []*order
	for _, id := range s.orderIDs {
		if o := s.orders[id]; ok(o) {
			out = append(out, o)
		}
	}
	return out
}

// sortOrders sorts by a sortBy value (empty, "orderId" and "id" by id), ties by id.
func sortOrders(os []*order, sortBy string, desc bool) {
	key := func(a, b *order) int {
		switch sortBy {
		case "statusId":
			return compare(kindDec, string(a.status), string(b.status))
		case "orderDate_2", "createdAt":
			return a.created.Compare(b.created)
		case "orderDeliveryAddressPostCode":
			return strings.Compare(a.addr.postal, b.addr.postal)
		}
		return 0
	}
	slices.SortStableFunc(os, func(a, b *order) int {
		c := key(a, b)
		if c == 0 {
			c = a.id - b.id
		}
		if desc {
			return -c
		}
		return c
	})
}

// legacyFilters map the filters of the deprecated GET /rest/orders onto search filters and the
// operator they take.
var legacyFilters = map[string]struct {
	field, op string
}{
	"statusFrom":      {"statusId", "gte"},
	"statusTo":        {"statusId", "lte"},
	"orderType":       {"orderTypeId", "in"},
	"updatedAtFrom":   {"updatedAt", "gte"},
	"updatedAtTo":     {"updatedAt", "lte"},
	"createdAtFrom":   {"createdAt", "gte"},
	"createdAtTo":     {"createdAt", "lte"},
	"externalOrderId": {"orderProperty_7", "eq"},
	"packageNumber":   {"packageNumber", "eq"},
	"parentOrderId":   {"orderReference_parent", "eq"},
	"orderIds":        {"orderId", "in"},
	"contactId":       {"relationReference_contact_receiver", "eq"},
	"referrerId":      {"referrerId", "eq"},
}

// unsimulatedLegacy are filters of GET /rest/orders plentymarkets documents that the simulator
// does not evaluate; they answer 501.
var unsimulatedLegacy = []string{"contactData", "shippingProfileId", "shippingServiceProviderId", "ownerUserId",
	"warehouseId", "isEbayPlus", "includedVariation", "includedItem", "countryId", "orderItemName", "variationNumber",
	"sender.contact", "sender.warehouse", "receiver.contact", "receiver.warehouse", "clientId", "paymentStatus",
	"paidAtFrom", "paidAtTo", "outgoingItemsBookedAtFrom", "outgoingItemsBookedAtTo", "hasDocument",
	"hasDocumentNumber", "externalItemId"}

// listOrders is the deprecated GET /rest/orders, still served: statusFrom/statusTo (inclusive,
// decimal), orderType, updatedAtFrom/To and createdAtFrom/To (W3C), externalOrderId, packageNumber,
// parentOrderId, orderIds, contactId, referrerId. Its entries are whole orders with their order
// items (addOrderItems=false leaves them out) and the relations with[] names; sorted by id
// ascending unless sortBy (id, statusId, createdAt) and sortOrder say otherwise.
func (s *Sim) listOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := readPaging(w, q)
	if !ok {
		return
	}
	rels, ok := readWith(w, q)
	if !ok {
		return
	}
	var exprs []expr
	for k, vs := range q {
		name := paramName(k)
		switch name {
		case "page", "itemsPerPage", "with", "addOrderItems", "sortBy", "sortOrder":
			continue
		}
		lf, known := legacyFilters[name]
		if !known {
			if slices.Contains(unsimulatedLegacy, name) {
				notSimulated(w, "the order filter "+name)
			} else {
				invalid(w, name, "The filter "+name+" does not exist.")
			}
			return
		}
		f, _ := searchField(lf.field)
		for _, v := range vs {
			t := term{op: lf.op, vals: []string{v}}
			if lf.op == "in" {
				t.vals = strings.Split(v, ",")
			}
			if err := t.check(f); err != nil {
				invalid(w, name, err.Error())
				return
			}
			exprs = append(exprs, expr{f: f, ors: [][]term{{t}}})
		}
	}
	sortBy, desc := q.Get("sortBy"), false
	switch sortBy {
	case "", "id", "statusId", "createdAt":
	case "orderDocument":
		notSimulated(w, "sorting by orderDocument")
		return
	default:
		invalid(w, "sortBy", "The selected sort by is invalid.")
		return
	}
	switch q.Get("sortOrder") {
	case "", "asc":
	case "desc":
		desc = true
	default:
		invalid(w, "sortOrder", "The sortOrder must be asc or desc.")
		return
	}
	for _, n := range defaultRelations {
		rels[n] = true
	}
	if !boolParam(q, "addOrderItems", true) && !rels[relVariation] {
		delete(rels, relOrderItems)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	found := s.find(func(o *order) bool {
		for _, e := range exprs {
			if !e.match(s, o) {
				return false
			}
		}
		return true
	})
	sortOrders(found, sortBy, desc)
	entries := make([]any, len(found))
	for i, o := range found {
		entries[i] = s.document(o, rels)
	}
	writeJSON(w, http.StatusOK, s.pageOf(p, entries))
}
