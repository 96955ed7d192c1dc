package plenigosim

import (
	"net/http"
	"strconv"
	"time"
)

// address is an address plenigo stores; the simulator only creates WBZ addresses. It is both the
// body of POST /addresses/wbz and the answer, which adds addressId, the validation status and the
// dates.
type address struct {
	AddressID             int64     `json:"addressId"`
	Type                  string    `json:"type"`
	CustomerID            string    `json:"customerId"`
	Preferred             bool      `json:"preferred,omitempty"`
	BusinessAddress       bool      `json:"businessAddress,omitempty"`
	Salutation            string    `json:"salutation,omitempty"`
	Title                 string    `json:"title,omitempty"`
	FirstName             string    `json:"firstName,omitempty"`
	LastName              string    `json:"lastName,omitempty"`
	CompanyName           string    `json:"companyName,omitempty"`
	AdditionalCompanyInfo string    `json:"additionalCompanyInfo,omitempty"`
	Street                string    `json:"street,omitempty"`
	StreetNumber          string    `json:"streetNumber,omitempty"`
	AdditionalStreetInfo  string    `json:"additionalStreetInfo,omitempty"`
	Postbox               string    `json:"postbox,omitempty"`
	Postcode              string    `json:"postcode,omitempty"`
	City                  string    `json:"city,omitempty"`
	State                 string    `json:"state,omitempty"`
	Country               string    `json:"country,omitempty"`
	VatNumber             string    `json:"vatNumber,omitempty"`
	PhoneNumber           string    `json:"phoneNumber,omitempty"`
	DeliveryInformation   string    `json:"deliveryInformation,omitempty"`
	AcademicTitle         string    `json:"academicTitle,omitempty"`
	JobPosition           string    `json:"jobPosition,omitempty"`
	ValidationStatus      string    `json:"validationStatus,omitempty"`
	CreatedDate           time.Time `json:"createdDate"`
	ChangedDate           time.Time `json:"changedDate"`
	CreatedByType         string    `json:"createdByType,omitempty"`
}

var salutations = map[string]bool{"DIVERSE": true, "MR": true, "MRS": true, "NONE": true}

// validate checks an address body against plenigo's schema: customerId (digits) and type (INVOICE or
// DELIVERY) are required, a name (first and last name, or a company name) is too, and the text
// fields have plenigo's lengths.
func (a *address) validate() []validationError {
	var v []validationError
	if !numeric(a.CustomerID, 18) {
		v = append(v, validationError{Field: "customerId", Error: "required", Value: a.CustomerID})
	}
	if a.Type != "INVOICE" && a.Type != "DELIVERY" {
		v = append(v, validationError{Field: "type", Error: "oneof", Value: a.Type})
	}
	if a.Salutation != "" && !salutations[a.Salutation] {
		v = append(v, validationError{Field: "salutation", Error: "oneof", Value: a.Salutation})
	}
	if (a.FirstName == "" || a.LastName == "") && a.CompanyName == "" {
		v = append(v, validationError{Field: "companyName", Error: "required_without=firstName lastName"})
	}
	if a.Country != "" && len(a.Country) != 2 {
		v = append(v, validationError{Field: "country", Error: "len=2", Value: a.Country})
	}
	if len(a.State) > 2 {
		v = append(v, validationError{Field: "state", Error: "max=2", Value: a.State})
	}
	if len(a.VatNumber) > 20 {
		v = append(v, validationError{Field: "vatNumber", Error: "max=20", Value: a.VatNumber})
	}
	for _, f := range []struct{ name, value string }{{"title", a.Title}, {"firstName", a.FirstName}, {"lastName", a.LastName},
		{"companyName", a.CompanyName}, {"additionalCompanyInfo", a.AdditionalCompanyInfo}, {"street", a.Street},
		{"streetNumber", a.StreetNumber}, {"additionalStreetInfo", a.AdditionalStreetInfo}, {"postbox", a.Postbox},
		{"postcode", a.Postcode}, {"city", a.City}, {"phoneNumber", a.PhoneNumber}, {"deliveryInformation", a.DeliveryInformation},
		{"academicTitle", a.AcademicTitle}, {"jobPosition", a.JobPosition}} {
		if len(f.value) > 100 {
			v = append(v, validationError{Field: f.name, Error: "max=100", Value: f.value})
		}
	}
	return v
}

// createWBZAddress is POST /addresses/wbz[?overrideValidation=true]: it stores a WBZ address for a
// customer and answers 201 with it and its new addressId. An unknown customer is 404 with 20404, a
// customer without the WBZ mark 400 with 20071 (unless Config.WBZAddressWithoutMark), an address
// Config.ValidAddress refuses 400 with 22003 unless validation is overridden.
func (s *Sim) createWBZAddress(w http.ResponseWriter, r *http.Request) {
	override := false
	if q := r.URL.Query().Get("overrideValidation"); q != "" {
		b, err := strconv.ParseBool(q)
		if err != nil {
			invalid(w, []validationError{{Field: "overrideValidation", Error: "boolean", Value: q}})
			return
		}
		override = b
	}
	var a address
	if !decode(w, r, &a) {
		return
	}
	if v := a.validate(); len(v) > 0 {
		invalid(w, v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.customers[a.CustomerID]
	if !ok {
		writeErr(w, 404, 20404, customerNotFound, nil)
		return
	}
	if c.wbz == nil && !s.cfg.WBZAddressWithoutMark {
		writeErr(w, 400, 20071, "Customer has no WBZ mark.", nil)
		return
	}
	a.ValidationStatus = "NONE"
	if s.cfg.ValidAddress != nil {
		switch {
		case s.cfg.ValidAddress(a.Country, a.Postcode, a.City, a.Street):
			a.ValidationStatus = "VALID"
		case override:
			a.ValidationStatus = "OVERRIDDEN"
		default:
			writeErr(w, 400, 22003, "Address validation failed.", nil)
			return
		}
	}
	s.nextAddress++
	now := s.now().UTC()
	a.AddressID, a.CreatedDate, a.ChangedDate, a.CreatedByType = s.nextAddress, now, now, "API"
	s.addresses[a.AddressID] = &a
	writeJSON(w, 201, &a)
}

// wbzDeliveryAddress reports whether id is a WBZ address of type DELIVERY of one of the customers;
// the caller holds s.mu.
func (s *Sim) wbzDeliveryAddress(id *int64, customerIDs ...string) bool {
	if id == nil {
		return false
	}
	a := s.addresses[*id]
	if a == nil || a.Type != "DELIVERY" {
		return false
	}
	for _, c := range customerIDs {
		if c != "" && a.CustomerID == c {
			return true
		}
	}
	return false
}
