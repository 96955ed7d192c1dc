package plentysim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// plentymarkets' order search takes simple filters in the query string and complex ones in a JSON
// body. A simple filter is a value (statusId=5, meaning eq:5) or operator:value (eq, not, in, nin,
// lt, lte, gt, gte, between, null, nn); in, nin and between take comma-separated values, between's
// bounds are inclusive, and terms for one field combine with +AND+ and +OR+ (AND binding closer).
// A complex filter is a group {conditionType: and|or, fields: [{field, operator, value}], groups}.
// Status ids compare as decimal numbers: 5 finds 5 and 5.0, never 5.1; gte:9+AND+lt:10 finds 9.1.

// kind is how a field's values compare.
type kind int

const (
	kindInt kind = iota
	kindDec
	kindTime
	kindString
)

// field is a filterable property of an order: its kind and its values (several for lines or
// packages, none when absent).
type field struct {
	name string
	kind kind
	get  func(s *Sim, o *order) []string
}

// term is one operator with its values.
type term struct {
	op   string
	vals []string
}

// expr is one field's condition: any of its AND-groups must hold.
type expr struct {
	f   field
	ors [][]term
}

var operators = map[string]int{ // operator → number of values (-1: one or more, 0: none)
	"eq": 1, "not": 1, "lt": 1, "lte": 1, "gt": 1, "gte": 1, "between": 2, "in": -1, "nin": -1, "null": 0, "nn": 0,
}

// A "+" sent unencoded arrives as a space; either way it separates the terms.
var (
	orSep  = regexp.MustCompile(`[ +]OR[ +]`)
	andSep = regexp.MustCompile(`[ +]AND[ +]`)
)

// parseExpr reads a simple filter's value.
func parseExpr(f field, raw string) (expr, error) {
	e := expr{f: f}
	for _, orPart := range orSep.Split(raw, -1) {
		var and []term
		for _, part := range andSep.Split(orPart, -1) {
			t := term{op: "eq", vals: []string{part}}
			if op, rest, ok := strings.Cut(part, ":"); ok {
				if _, known := operators[op]; known {
					t = term{op: op}
					if rest != "" {
						t.vals = strings.Split(rest, ",")
					}
				}
			}
			if err := t.check(f); err != nil {
				return e, err
			}
			and = append(and, t)
		}
		e.ors = append(e.ors, and)
	}
	return e, nil
}

// check validates a term's values for a field.
func (t term) check(f field) error {
	n := operators[t.op]
	switch {
	case n == 0 && len(t.vals) > 0, n > 0 && len(t.vals) != n, n < 0 && len(t.vals) == 0:
		return fmt.Errorf("operator %s takes %s", t.op, map[int]string{0: "no value", 1: "one value", 2: "two values", -1: "values"}[n])
	}
	for _, v := range t.vals {
		if _, ok := parseValue(f.kind, v); !ok {
			return fmt.Errorf("%q is not a valid value for %s", v, f.name)
		}
	}
	return nil
}

// parseValue reads a value of a kind into something compare takes.
func parseValue(k kind, v string) (any, bool) {
	v = strings.TrimSpace(v)
	switch k {
	case kindInt:
		n, err := strconv.Atoi(v)
		return n, err == nil
	case kindDec:
		if strings.ContainsAny(v, " ") {
			return nil, false
		}
		r, ok := parseDec(v)
		return r, ok
	case kindTime:
		return parseW3C(v)
	}
	return v, true
}

// compare orders two values of a kind (both valid).
func compare(k kind, a, b string) int {
	x, _ := parseValue(k, a)
	y, _ := parseValue(k, b)
	switch k {
	case kindInt:
		return x.(int) - y.(int)
	case kindDec:
		return x.(*big.Rat).Cmp(y.(*big.Rat))
	case kindTime:
		return x.(time.Time).Compare(y.(time.Time))
	}
	return strings.Compare(x.(string), y.(string))
}

// match reports whether a term holds for a field's values.
func (t term) match(k kind, have []string) bool {
	some := func(ok func(v string) bool) bool {
		for _, v := range have {
			if ok(v) {
				return true
			}
		}
		return false
	}
	in := func(v string) bool {
		for _, w := range t.vals {
			if compare(k, v, w) == 0 {
				return true
			}
		}
		return false
	}
	switch t.op {
	case "eq":
		return some(func(v string) bool { return compare(k, v, t.vals[0]) == 0 })
	case "not":
		return !some(func(v string) bool { return compare(k, v, t.vals[0]) == 0 })
	case "in":
		return some(in)
	case "nin":
		return !some(in)
	case "lt":
		return some(func(v string) bool { return compare(k, v, t.vals[0]) < 0 })
	case "lte":
		return some(func(v string) bool { return compare(k, v, t.vals[0]) <= 0 })
	case "gt":
		return some(func(v string) bool { return compare(k, v, t.vals[0]) > 0 })
	case "gte":
		return some(func(v string) bool { return compare(k, v, t.vals[0]) >= 0 })
	case "between":
		return some(func(v string) bool { return compare(k, v, t.vals[0]) >= 0 && compare(k, v, t.vals[1]) <= 0 })
	case "null":
		return len(have) == 0
	case "nn":
		return len(have) > 0
	}
	return false
}

// match reports whether an expression holds for an order; the caller holds s.mu.
func (e expr) match(s *Sim, o *order) bool {
	have := e.f.get(s, o)
	for _, and := range e.ors {
		ok := true
		for _, t := range and {
			if !t.match(e.f.kind, have) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// ints writes ints as values.
func ints(ns ...int) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = strconv.Itoa(n)
	}
	return out
}

// searchFields are the filters of GET /rest/orders/search the simulator evaluates.
var searchFields = map[string]field{
	"orderId":     {kind: kindInt, get: func(_ *Sim, o *order) []string { return ints(o.id) }},
	"plentyId":    {kind: kindInt, get: func(s *Sim, _ *order) []string { return ints(s.cfg.PlentyID) }},
	"orderTypeId": {kind: kindInt, get: func(_ *Sim, o *order) []string { return ints(o.typeID) }},
	"statusId":    {kind: kindDec, get: func(_ *Sim, o *order) []string { return []string{string(o.status)} }},
	"referrerId":  {kind: kindDec, get: func(_ *Sim, o *order) []string { return ints(o.referrerID) }},
	"ownerId":     {kind: kindInt, get: func(_ *Sim, o *order) []string { return ints(o.ownerID) }},
	"locationId":  {kind: kindInt, get: func(_ *Sim, _ *order) []string { return ints(1) }},
	"createdAt":   {kind: kindTime, get: func(_ *Sim, o *order) []string { return []string{w3c(o.created)} }},
	"updatedAt":   {kind: kindTime, get: func(_ *Sim, o *order) []string { return []string{w3c(o.updated)} }},
	"lockStatus":  {kind: kindString, get: func(_ *Sim, o *order) []string { return []string{o.lockStatus} }},
	"itemVariationId": {kind: kindInt, get: func(_ *Sim, o *order) []string {
		var out []string
		for _, it := range o.items {
			if it.typeID == ItemVariation {
				out = append(out, strconv.Itoa(it.variationID))
			}
		}
		return out
	}},
	"orderItemTypeId": {kind: kindInt, get: func(_ *Sim, o *order) []string {
		var out []string
		for _, it := range o.items {
			out = append(out, strconv.Itoa(it.typeID))
		}
		return out
	}},
	"packageNumber": {kind: kindString, get: func(_ *Sim, o *order) []string {
		var out []string
		for _, p := range o.packages {
			if p.number != "" {
				out = append(out, p.number)
			}
		}
		return out
	}},
	"orderBillingAddressCountryId":  {kind: kindInt, get: func(_ *Sim, o *order) []string { return ints(o.addr.countryID) }},
	"orderDeliveryAddressCountryId": {kind: kindInt, get: func(_ *Sim, o *order) []string { return ints(o.addr.countryID) }},
}

// unsimulatedFilters are search filters plentymarkets documents that the simulator does not
// evaluate (names, or name prefixes ending in "_"); they answer 501.
var unsimulatedFilters = []string{"orderAddressData", "contactData", "itemId", "variationNumber", "orderItemName",
	"documentNumber", "hasValidInvoice", "contactClassId", "itemManufacturerId", "orderItemWarehouseId",
	"invoiceTotalSystemCurrency", "isDeliveryAddressPackingStation", "serialNumber", "isGuestContact",
	"variationSupplierId", "orderItemReferrerId", "tag", "excludeMainOrders", "soldCouponCode",
	"redeemedCouponCode", "shippingServiceProviderId", "shippingServiceProviderType", "shippingStatus",
	"shippingShipmentDate", "orderDate_", "orderItemReference_", "documentNumber_", "orderItemProperty_"}

var errUnsimulated = errors.New("not simulated")

// searchField finds a search filter by name: a fixed one or orderProperty_{typeId},
// orderReference_{referenceType}, relationReference_{referenceType}_{relation},
// addressRelation_{typeId}. It returns errUnsimulated for a documented filter the simulator does not
// evaluate and another error for an unknown name.
func searchField(name string) (field, error) {
	if f, ok := searchFields[name]; ok {
		f.name = name
		return f, nil
	}
	if rest, ok := strings.CutPrefix(name, "orderProperty_"); ok {
		typeID, err := strconv.Atoi(rest)
		if err != nil {
			return field{}, fmt.Errorf("unknown filter %s", name)
		}
		return field{name: name, kind: kindString, get: func(_ *Sim, o *order) []string {
			var out []string
			for _, p := range o.props {
				if p.typeID == typeID {
					out = append(out, p.value)
				}
			}
			return out
		}}, nil
	}
	if refType, ok := strings.CutPrefix(name, "orderReference_"); ok {
		return field{name: name, kind: kindInt, get: func(_ *Sim, o *order) []string {
			if refType == "parent" && o.parent != nil {
				return ints(o.parent.reference)
			}
			return nil
		}}, nil
	}
	if rest, ok := strings.CutPrefix(name, "relationReference_"); ok {
		refType, relation, _ := strings.Cut(rest, "_")
		return field{name: name, kind: kindInt, get: func(_ *Sim, o *order) []string {
			sender, receiver := "warehouse", "contact"
			if o.typeID == TypeReturn {
				sender, receiver = "contact", "warehouse"
			}
			ids := map[string]int{"warehouse": 1, "contact": o.contactID}
			switch {
			case relation == "sender" && refType == sender:
				return ints(ids[sender])
			case relation == "receiver" && refType == receiver:
				return ints(ids[receiver])
			}
			return nil
		}}, nil
	}
	if rest, ok := strings.CutPrefix(name, "addressRelation_"); ok {
		if rest != "1" && rest != "2" {
			return field{name: name, kind: kindInt, get: func(*Sim, *order) []string { return nil }}, nil
		}
		return field{name: name, kind: kindInt, get: func(_ *Sim, o *order) []string { return ints(o.addr.id) }}, nil
	}
	for _, u := range unsimulatedFilters {
		if name == u || (strings.HasSuffix(u, "_") && strings.HasPrefix(name, u)) {
			return field{}, errUnsimulated
		}
	}
	return field{}, fmt.Errorf("unknown filter %s", name)
}

// group is a complex filter as the search body gives it.
type group struct {
	ConditionType string `json:"conditionType"`
	Fields        []struct {
		Field    string          `json:"field"`
		Operator string          `json:"operator"`
		Value    json.RawMessage `json:"value"`
	} `json:"fields"`
	Groups []group `json:"groups"`
}

// compiled is a checked complex filter.
type compiled struct {
	or     bool
	exprs  []expr
	groups []compiled
}

// compile checks a complex filter. Values may be numbers, strings, arrays of them or null.
func compile(g group) (compiled, error) {
	c := compiled{}
	switch strings.ToLower(g.ConditionType) {
	case "", "and":
	case "or":
		c.or = true
	default:
		return c, fmt.Errorf("conditionType %q is not and or or", g.ConditionType)
	}
	for _, fl := range g.Fields {
		f, err := searchField(fl.Field)
		if err != nil {
			if errors.Is(err, errUnsimulated) {
				return c, fmt.Errorf("%w: filter %s", errUnsimulated, fl.Field)
			}
			return c, err
		}
		if _, ok := operators[fl.Operator]; !ok {
			return c, fmt.Errorf("unknown operator %q", fl.Operator)
		}
		t := term{op: fl.Operator}
		vals, err := jsonValues(fl.Value)
		if err != nil {
			return c, fmt.Errorf("value of %s: %v", fl.Field, err)
		}
		t.vals = vals
		if err := t.check(f); err != nil {
			return c, err
		}
		c.exprs = append(c.exprs, expr{f: f, ors: [][]term{{t}}})
	}
	for _, sub := range g.Groups {
		sc, err := compile(sub)
		if err != nil {
			return c, err
		}
		c.groups = append(c.groups, sc)
	}
	return c, nil
}

// jsonValues reads a filter value: null (none), a number or string (one), or an array of them.
func jsonValues(raw json.RawMessage) ([]string, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, err
	}
	one := func(x any) (string, error) {
		switch x := x.(type) {
		case json.Number:
			return x.String(), nil
		case string:
			return x, nil
		case bool:
			return strconv.FormatBool(x), nil
		}
		return "", fmt.Errorf("%v is not a number or a string", x)
	}
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, err := one(x)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
		}
		return out, nil
	default:
		s, err := one(v)
		if err != nil {
			return nil, err
		}
		return []string{s}, nil
	}
}

// match reports whether a complex filter holds for an order; the caller holds s.mu.
func (c compiled) match(s *Sim, o *order) bool {
	for _, e := range c.exprs {
		if ok := e.match(s, o); ok && c.or {
			return true
		} else if !ok && !c.or {
			return false
		}
	}
	for _, g := range c.groups {
		if ok := g.match(s, o); ok && c.or {
			return true
		} else if !ok && !c.or {
			return false
		}
	}
	return !c.or || len(c.exprs)+len(c.groups) == 0
}
