package plentysim

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// statusDoc is plentymarkets' OrderStatus; names (by language) only with with=names, which its
// OpenAPI description does not list but its own connector sends.
type statusDoc struct {
	StatusID                json.Number       `json:"statusId"`
	Names                   map[string]string `json:"names,omitempty"`
	IsErasable              bool              `json:"isErasable"`
	CreatedAt               string            `json:"createdAt"`
	UpdatedAt               string            `json:"updatedAt"`
	IsFrontendVisible       bool              `json:"isFrontendVisible"`
	IsReorderVisible        bool              `json:"isReorderVisible"`
	IsRedistributionVisible bool              `json:"isRedistributionVisible"`
	Color                   string            `json:"color"`
}

// statusesSince is when the system's statuses were made.
var statusesSince = time.Date(2016, 6, 1, 9, 0, 0, 0, berlin)

// listStatuses is GET /rest/orders/statuses: the system's statuses, paged, between statusIdFrom and
// statusIdTo (inclusive), with names when with=names (in language only, when given).
func (s *Sim) listStatuses(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := readPaging(w, q)
	if !ok {
		return
	}
	names := false
	for _, v := range withValues(q) {
		if v != "names" {
			invalid(w, "with", "The relation "+v+" does not exist.")
			return
		}
		names = true
	}
	var bounds []term
	for k := range q {
		switch paramName(k) {
		case "page", "itemsPerPage", "with", "language":
		case "statusIdFrom", "statusIdTo":
			t := term{op: "gte", vals: []string{q.Get(k)}}
			if k == "statusIdTo" {
				t.op = "lte"
			}
			if t.check(field{name: k, kind: kindDec}) != nil {
				invalid(w, k, "The "+k+" must be a number.")
				return
			}
			bounds = append(bounds, t)
		default:
			invalid(w, k, "The filter "+k+" does not exist.")
			return
		}
	}
	lang := q.Get("language")
	s.mu.Lock()
	defer s.mu.Unlock()
	var entries []any
	for _, st := range s.statuses {
		ok := true
		for _, t := range bounds {
			ok = ok && t.match(kindDec, []string{string(st)})
		}
		if !ok {
			continue
		}
		d := statusDoc{StatusID: st.number(), IsErasable: strings.Contains(string(st), "."),
			CreatedAt: w3c(statusesSince), UpdatedAt: w3c(statusesSince), IsFrontendVisible: true, Color: "#d3d3d3"}
		if names {
			d.Names = st.names()
			if lang != "" {
				n, has := d.Names[lang]
				if !has {
					n = d.Names["en"]
				}
				d.Names = map[string]string{lang: n}
			}
		}
		entries = append(entries, d)
	}
	writeJSON(w, http.StatusOK, s.pageOf(p, entries))
}

// historyDoc is plentymarkets' StatusHistoryEntry.
type historyDoc struct {
	ID            int         `json:"id"`
	OrderID       int         `json:"orderId"`
	StatusID      json.Number `json:"statusId"`
	CreatedAt     string      `json:"createdAt"`
	UserID        int         `json:"userId"`
	ProcedureText string      `json:"procedureText"`
}

func historyDocument(h *historyEntry) historyDoc {
	return historyDoc{ID: h.id, OrderID: h.orderID, StatusID: h.status.number(), CreatedAt: w3c(h.created),
		UserID: h.userID, ProcedureText: h.text}
}

// statusHistory is GET /rest/orders/status-history: every order's status changes, oldest first,
// paged, filtered by orderId, statusId (exactly that decimal status), createdAtFrom/To (inclusive,
// W3C) and userId.
func (s *Sim) statusHistory(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	p, ok := readPaging(w, q)
	if !ok {
		return
	}
	kinds := map[string]struct {
		k  kind
		op string
	}{
		"orderId": {kindInt, "eq"}, "statusId": {kindDec, "eq"}, "createdAtFrom": {kindTime, "gte"},
		"createdAtTo": {kindTime, "lte"}, "userId": {kindInt, "eq"},
	}
	type check struct {
		name string
		t    term
		k    kind
	}
	var checks []check
	for k, vs := range q {
		switch k {
		case "page", "itemsPerPage":
			continue
		}
		d, known := kinds[k]
		if !known {
			invalid(w, k, "The filter "+k+" does not exist.")
			return
		}
		t := term{op: d.op, vals: vs[:1]}
		if err := t.check(field{name: k, kind: d.k}); err != nil {
			invalid(w, k, err.Error())
			return
		}
		checks = append(checks, check{k, t, d.k})
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var entries []any
	for _, h := range s.history {
		ok := true
		for _, c := range checks {
			var v string
			switch c.name {
			case "orderId":
				v = strconv.Itoa(h.orderID)
			case "statusId":
				v = string(h.status)
			case "createdAtFrom", "createdAtTo":
				v = w3c(h.created)
			case "userId":
				v = strconv.Itoa(h.userID)
			}
			ok = ok && c.t.match(c.k, []string{v})
		}
		if ok {
			entries = append(entries, historyDocument(h))
		}
	}
	writeJSON(w, http.StatusOK, s.pageOf(p, entries))
}

// orderStatusHistory is GET /rest/orders/{orderId}/status-history: the order's entries as an array.
func (s *Sim) orderStatusHistory(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.orders[id] == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	out := []historyDoc{}
	for _, h := range s.history {
		if h.orderID == id {
			out = append(out, historyDocument(h))
		}
	}
	writeJSON(w, http.StatusOK, out)
}
