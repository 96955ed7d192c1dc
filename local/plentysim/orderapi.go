package plentysim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// getOrder is GET /rest/orders/{orderId}: the whole order (its default relations, order items unless
// addOrderItems=false) plus the relations with[] names; 404 when unknown.
func (s *Sim) getOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	rels, ok := readWith(w, q)
	if !ok {
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
	o := s.orders[id]
	if o == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	writeJSON(w, http.StatusOK, s.document(o, rels))
}

// readObject reads a JSON object body (an empty body is an empty object); on anything else it
// answers 400 and returns false.
func readObject(w http.ResponseWriter, r *http.Request) (map[string]json.RawMessage, bool) {
	b, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	m := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(b)) == 0 {
		return m, true
	}
	if err := json.Unmarshal(b, &m); err != nil {
		fail(w, http.StatusBadRequest, "The body is not a JSON object.")
		return nil, false
	}
	return m, true
}

// decimalField reads a number (or a numeric string, as PHP takes it) from a body field.
func decimalField(raw json.RawMessage) (string, bool) {
	var n json.Number
	if json.Unmarshal(raw, &n) == nil && n != "" {
		return n.String(), true
	}
	var str string
	if json.Unmarshal(raw, &str) == nil {
		if _, ok := parseDec(str); ok {
			return strings.TrimSpace(str), true
		}
	}
	return "", false
}

// intField reads an integer (or an integer string) from a body field.
func intField(raw json.RawMessage) (int, bool) {
	v, ok := decimalField(raw)
	if !ok {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	return n, err == nil
}

// statusFor checks a status a call wants to set: 422 when the system has no such status, 403 when
// the REST user may not set it. The caller holds s.mu.
func (s *Sim) statusFor(w http.ResponseWriter, raw json.RawMessage) (Status, bool) {
	v, ok := decimalField(raw)
	c, valid := canonical(Status(v))
	if !ok || !valid {
		invalid(w, "statusId", "The status id must be a number.")
		return "", false
	}
	if _, known := s.known[string(c)]; !known {
		invalid(w, "statusId", "The selected status id is invalid.")
		return "", false
	}
	if s.settable != nil && !s.settable[string(c)] {
		fail(w, http.StatusForbidden, "This action is unauthorized.")
		return "", false
	}
	return c, true
}

// updateOrder is PUT /rest/orders/{orderId}: a status change ({"statusId": 5.1}) and properties
// ([{typeId, value}], merged by typeId unless SetReplaceProperties), and ownerId. It answers 200
// with the whole order, 404 for an unknown order, 422 for a status the system does not have and 403
// for one the user may not set. Changes to order items, address relations and relations are not
// simulated (501).
func (s *Sim) updateOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	for _, k := range []string{"orderItems", "addressRelations", "relations", "plentyId"} {
		if _, set := body[k]; set {
			notSimulated(w, "changing "+k+" with PUT /rest/orders/{orderId}")
			return
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	to := o.status
	if raw, set := body["statusId"]; set {
		if to, ok = s.statusFor(w, raw); !ok {
			return
		}
	}
	var props []prop
	if raw, set := body["properties"]; set {
		var list []struct {
			TypeID json.RawMessage `json:"typeId"`
			Value  json.RawMessage `json:"value"`
		}
		if json.Unmarshal(raw, &list) != nil {
			invalid(w, "properties", "The properties must be an array.")
			return
		}
		for i, p := range list {
			t, ok := intField(p.TypeID)
			if !ok {
				invalid(w, "properties."+strconv.Itoa(i)+".typeId", "The type id must be an integer.")
				return
			}
			v, ok := stringValue(p.Value)
			if !ok {
				invalid(w, "properties."+strconv.Itoa(i)+".value", "The value must be a string.")
				return
			}
			props = append(props, prop{t, v})
		}
	}
	owner := o.ownerID
	if raw, set := body["ownerId"]; set {
		if owner, ok = intField(raw); !ok {
			invalid(w, "ownerId", "The owner id must be an integer.")
			return
		}
	}
	changed := owner != o.ownerID
	o.ownerID = owner
	if _, set := body["properties"]; set {
		changed = s.applyProps(o, props) || changed
	}
	if changed {
		o.updated = s.now()
	}
	s.setStatus(o, to, restUserID, "Status changed via REST API")
	writeJSON(w, http.StatusOK, s.document(o, relsOf(defaultRelations...)))
}

// stringValue reads a property value: a string, or a number written as its text.
func stringValue(raw json.RawMessage) (string, bool) {
	var str string
	if json.Unmarshal(raw, &str) == nil {
		return str, true
	}
	if v, ok := decimalField(raw); ok {
		return v, true
	}
	return "", false
}

// applyProps merges (or replaces) an order's properties and reports whether they changed; the caller
// holds s.mu.
func (s *Sim) applyProps(o *order, props []prop) bool {
	before := o.propsMap()
	if s.replace {
		o.props = append([]prop(nil), props...)
	} else {
		for _, p := range props {
			found := false
			for i := range o.props {
				if o.props[i].typeID == p.typeID {
					o.props[i].value, found = p.value, true
				}
			}
			if !found {
				o.props = append(o.props, p)
			}
		}
	}
	after := o.propsMap()
	if len(before) != len(after) {
		return true
	}
	for k, v := range before {
		if after[k] != v {
			return true
		}
	}
	return false
}

// cancelOrder is PUT /rest/orders/{orderId}/cancel with {statusId, message}, both optional: the order
// moves to statusId (8 when absent) with message in its status history. It answers 200 with no body.
func (s *Sim) cancelOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := orderIDParam(w, r)
	if !ok {
		return
	}
	body, ok := readObject(w, r)
	if !ok {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		orderNotFound(w, strconv.Itoa(id))
		return
	}
	to := Status("8")
	if raw, set := body["statusId"]; set && string(raw) != "null" {
		if to, ok = s.statusFor(w, raw); !ok {
			return
		}
	} else if _, known := s.known["8"]; !known {
		invalid(w, "statusId", "The selected status id is invalid.")
		return
	} else if s.settable != nil && !s.settable["8"] {
		fail(w, http.StatusForbidden, "This action is unauthorized.")
		return
	}
	text := "Order cancelled via REST API"
	if raw, set := body["message"]; set {
		if m, ok := stringValue(raw); ok && m != "" {
			text = m
		}
	}
	s.setStatus(o, to, restUserID, text)
	w.WriteHeader(http.StatusOK)
}
