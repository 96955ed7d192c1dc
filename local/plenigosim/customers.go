package plenigosim

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

type customer struct {
	CustomerID string   `json:"customerId"`
	Email      string   `json:"email"`
	Language   string   `json:"language"`
	FirstName  string   `json:"firstName,omitempty"`
	LastName   string   `json:"lastName,omitempty"`
	External   string   `json:"externalSystemId,omitempty"`
	Marks      []string `json:"customerMarks,omitempty"`
	Status     string   `json:"status"`
	wbz        *wbzMark
}

type wbzMark struct {
	DealerGroup  string `json:"dealerGroup"`
	DealerNumber string `json:"dealerNumber"`
}

// createCustomer is POST /customers. An email is unique: the same email with the same id answers 208
// with the existing customer (so a retried create is harmless), with another id 20027, without an id
// 20007; an id taken by another email is 20068. While LockRegistration has calls left, it answers
// 423 with 20026 before looking at the body.
func (s *Sim) createCustomer(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	locked := s.regLocked > 0
	if locked {
		s.regLocked--
	}
	s.mu.Unlock()
	if locked {
		writeErr(w, 423, 20026, "Registration process for given email address is locked for 10 seconds.", nil)
		return
	}
	var in struct {
		CustomerID       string `json:"customerId"`
		Email            string `json:"email"`
		Language         string `json:"language"`
		FirstName        string `json:"firstName"`
		LastName         string `json:"lastName"`
		ExternalSystemID string `json:"externalSystemId"`
	}
	if !decode(w, r, &in) {
		return
	}
	var v []validationError
	if in.Email == "" || len(in.Email) > 100 || !strings.Contains(in.Email, "@") {
		v = append(v, validationError{Field: "email", Error: "required", Value: in.Email})
	}
	if len(in.Language) != 2 {
		v = append(v, validationError{Field: "language", Error: "len=2", Value: in.Language})
	}
	if in.CustomerID != "" && !numeric(in.CustomerID, 18) {
		v = append(v, validationError{Field: "customerId", Error: "numeric", Value: in.CustomerID})
	}
	if len(v) > 0 {
		invalid(w, v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	email := strings.ToLower(in.Email)
	if id, ok := s.byEmail[email]; ok {
		if in.CustomerID == id {
			writeJSON(w, 208, s.customers[id])
			return
		}
		if in.CustomerID != "" {
			writeErr(w, 400, 20027, "Email address or customer id is already used in a different combination.", nil)
			return
		}
		writeErr(w, 400, 20007, "Customer with this email already exists.", nil)
		return
	}
	id := in.CustomerID
	if id == "" {
		s.nextCust++
		id = strconv.FormatInt(s.nextCust, 10)
	} else if _, taken := s.customers[id]; taken {
		writeErr(w, 400, 20068, "Customer id is already in use.", nil)
		return
	}
	c := &customer{CustomerID: id, Email: in.Email, Language: in.Language, FirstName: in.FirstName, LastName: in.LastName, External: in.ExternalSystemID, Status: "ACTIVATED"}
	s.customers[id] = c
	s.byEmail[email] = id
	writeJSON(w, 201, c)
}

// findCustomers is GET /customers?email= or ?externalSystemId=; no match is an empty page, not 404.
func (s *Sim) findCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []*customer{}
	switch {
	case q.Get("email") != "":
		if id, ok := s.byEmail[strings.ToLower(q.Get("email"))]; ok {
			items = append(items, s.customers[id])
		}
	case q.Get("externalSystemId") != "":
		for _, c := range s.customers {
			if c.External == q.Get("externalSystemId") {
				items = append(items, c)
			}
		}
	}
	writeJSON(w, 200, map[string]any{"items": items})
}

// customerIDByExternal is GET /customers/customerIdByExternalSystemId/{id}.
func (s *Sim) customerIDByExternal(w http.ResponseWriter, r *http.Request) {
	ext := r.PathValue("id")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.customers {
		if c.External == ext {
			writeJSON(w, 200, map[string]string{"customerId": c.CustomerID})
			return
		}
	}
	writeErr(w, 404, 20404, customerNotFound, nil)
}

// getCustomer is GET /customers/{id}.
func (s *Sim) getCustomer(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c, ok := s.customers[r.PathValue("id")]; ok {
		writeJSON(w, 200, c)
		return
	}
	writeErr(w, 404, 20404, customerNotFound, nil)
}

// getWBZMark is GET /customers/{id}/marks/WBZ.
func (s *Sim) getWBZMark(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[r.PathValue("id")]
	if !ok {
		writeErr(w, 404, 20404, customerNotFound, nil)
		return
	}
	if c.wbz == nil {
		writeErr(w, 404, 20404, "Customer has no WBZ mark.", nil)
		return
	}
	writeJSON(w, 200, c.wbz)
}

// putWBZMark is PUT /customers/{id}/marks/WBZ: it sets the dealer data and adds the WBZ mark once.
func (s *Sim) putWBZMark(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.customers[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeErr(w, 404, 20404, customerNotFound, nil)
		return
	}
	var m wbzMark
	if !decode(w, r, &m) {
		return
	}
	var v []validationError
	if m.DealerGroup == "" || len(m.DealerGroup) > 200 {
		v = append(v, validationError{Field: "dealerGroup", Error: "required", Value: m.DealerGroup})
	}
	if m.DealerNumber == "" || len(m.DealerNumber) > 200 {
		v = append(v, validationError{Field: "dealerNumber", Error: "required", Value: m.DealerNumber})
	}
	if len(v) > 0 {
		invalid(w, v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.wbz = &m
	if !slices.Contains(c.Marks, "WBZ") {
		c.Marks = append(c.Marks, "WBZ")
	}
	writeJSON(w, 200, m)
}

func numeric(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// customerNotFound is plenigo's message for 20404.
const customerNotFound = "Customer for the provided id cannot be found."
