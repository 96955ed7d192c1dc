package plenty

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// plentymarkets' answers mix types: ids and pages come as numbers or as strings ("page": "1",
// "locationId": "1", "position": "0"), statuses and referrers as integers or decimals, and PHP
// writes a list whose keys are not 0…n-1 as an object. Every public type is decoded through the
// lenient field types below; a value of the wrong shape altogether (an object for an id) is still
// an error, so a changed API is noticed rather than read as zeros.

// lenientText returns the text of a JSON number or string ("" for null), what names the field's
// kind for errors.
func lenientText(b []byte, what string) (string, error) {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		return "", nil
	case b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return "", err
		}
		return strings.TrimSpace(s), nil
	case b[0] == '-' || (b[0] >= '0' && b[0] <= '9'):
		return string(b), nil
	}
	return "", fmt.Errorf("plenty: %s is %s, want a number or a string", what, snippet(b))
}

// flexInt is an integer sent as a number or a numeric string; a decimal keeps its integer part.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	t, err := lenientText(b, "integer")
	if err != nil || t == "" {
		*f = 0
		return err
	}
	n, err := intPart(t)
	if err != nil {
		return err
	}
	*f = flexInt(n)
	return nil
}

// intPart returns the integer part of a decimal text.
func intPart(t string) (int, error) {
	if decimal(t) {
		whole, _, _ := strings.Cut(t, ".")
		return strconv.Atoi(whole)
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		return 0, fmt.Errorf("plenty: %q is not a number", t)
	}
	return int(f), nil
}

// flexNumber is a decimal sent as a number or a numeric string, kept as its exact text.
type flexNumber json.Number

func (f *flexNumber) UnmarshalJSON(b []byte) error {
	t, err := lenientText(b, "number")
	if err != nil || t == "" {
		*f = ""
		return err
	}
	if _, err := strconv.ParseFloat(t, 64); err != nil {
		return fmt.Errorf("plenty: %q is not a number", t)
	}
	*f = flexNumber(t)
	return nil
}

// flexString is text sent as a string, a number or a boolean.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case len(b) == 0 || string(b) == "null":
		*f = ""
	case string(b) == "true" || string(b) == "false":
		*f = flexString(b)
	case b[0] == '"':
		var s string // untrimmed: a value keeps its spaces
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
	default:
		t, err := lenientText(b, "text")
		if err != nil {
			return err
		}
		*f = flexString(t)
	}
	return nil
}

// flexBool is a boolean sent as true/false, 0/1 or their strings.
type flexBool bool

func (f *flexBool) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch string(b) {
	case "true":
		*f = true
		return nil
	case "false", "null", "":
		*f = false
		return nil
	}
	t, err := lenientText(b, "boolean")
	if err != nil {
		return err
	}
	switch strings.ToLower(t) {
	case "1", "true", "yes":
		*f = true
	case "0", "false", "no", "":
		*f = false
	default:
		return fmt.Errorf("plenty: %q is not a boolean", t)
	}
	return nil
}

// flexTime is a date as plentymarkets writes it: W3C ("2017-12-13T14:19:37+01:00"), the older
// "2016-06-21 09:16:10", a bare date, or unix seconds. Empty and PHP's zero dates are the zero time.
type flexTime time.Time

var timeLayouts = []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05", "2006-01-02"}

func (f *flexTime) UnmarshalJSON(b []byte) error {
	t, err := lenientText(b, "date")
	if err != nil {
		return err
	}
	*f = flexTime{}
	if t == "" || strings.HasPrefix(t, "0000-00-00") {
		return nil
	}
	if digits(t) {
		sec, err := strconv.ParseInt(t, 10, 64)
		if err != nil {
			return err
		}
		*f = flexTime(time.Unix(sec, 0).UTC())
		return nil
	}
	for _, layout := range timeLayouts {
		if v, err := time.Parse(layout, t); err == nil {
			*f = flexTime(v)
			return nil
		}
	}
	return fmt.Errorf("plenty: %q is not a date", t)
}

// flexList is a list sent as a JSON array, or as an object whose values are the entries (PHP's
// encoding of a list with gaps), taken in the order of their numeric keys.
type flexList[T any] []T

func (f *flexList[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*f = nil
	switch {
	case len(b) == 0 || string(b) == "null":
		return nil
	case b[0] == '[':
		var l []T
		if err := json.Unmarshal(b, &l); err != nil {
			return err
		}
		*f = l
		return nil
	case b[0] == '{':
		var m map[string]T
		if err := json.Unmarshal(b, &m); err != nil {
			return err
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		slices.SortFunc(keys, func(a, b string) int {
			x, errA := strconv.Atoi(a)
			y, errB := strconv.Atoi(b)
			if errA == nil && errB == nil {
				return x - y
			}
			return strings.Compare(a, b)
		})
		for _, k := range keys {
			*f = append(*f, m[k])
		}
		return nil
	}
	return fmt.Errorf("plenty: %s is not a list", snippet(b))
}

// UnmarshalJSON reads an order leniently.
func (o *Order) UnmarshalJSON(b []byte) error {
	var w struct {
		ID               flexInt                   `json:"id"`
		TypeID           flexInt                   `json:"typeId"`
		PlentyID         flexInt                   `json:"plentyId"`
		ReferrerID       flexNumber                `json:"referrerId"`
		StatusID         Status                    `json:"statusId"`
		LockStatus       flexString                `json:"lockStatus"`
		CreatedAt        flexTime                  `json:"createdAt"`
		UpdatedAt        flexTime                  `json:"updatedAt"`
		OrderItems       flexList[OrderItem]       `json:"orderItems"`
		Properties       flexList[Property]        `json:"properties"`
		AddressRelations flexList[AddressRelation] `json:"addressRelations"`
		Addresses        flexList[Address]         `json:"addresses"`
		OrderReferences  flexList[OrderReference]  `json:"orderReferences"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("order: %w", err)
	}
	*o = Order{ID: int(w.ID), TypeID: int(w.TypeID), PlentyID: int(w.PlentyID), Referrer: json.Number(w.ReferrerID),
		Status: w.StatusID, LockStatus: string(w.LockStatus), CreatedAt: time.Time(w.CreatedAt), UpdatedAt: time.Time(w.UpdatedAt),
		Items: w.OrderItems, Properties: w.Properties, AddressRelations: w.AddressRelations, Addresses: w.Addresses,
		References: w.OrderReferences}
	if w.ReferrerID != "" {
		o.ReferrerID, _ = intPart(string(w.ReferrerID)) // flexNumber checked it is a number
	}
	return nil
}

// UnmarshalJSON reads an order item leniently.
func (it *OrderItem) UnmarshalJSON(b []byte) error {
	var w struct {
		ID            flexInt          `json:"id"`
		TypeID        flexInt          `json:"typeId"`
		VariationID   flexInt          `json:"itemVariationId"`
		OrderItemName flexString       `json:"orderItemName"`
		Quantity      flexNumber       `json:"quantity"`
		Amounts       flexList[Amount] `json:"amounts"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("order item: %w", err)
	}
	*it = OrderItem{ID: int(w.ID), TypeID: int(w.TypeID), VariationID: int(w.VariationID), Name: string(w.OrderItemName),
		Quantity: json.Number(w.Quantity), Amounts: w.Amounts}
	return nil
}

// UnmarshalJSON reads an item amount leniently.
func (a *Amount) UnmarshalJSON(b []byte) error {
	var w struct {
		Currency         flexString `json:"currency"`
		IsSystemCurrency flexBool   `json:"isSystemCurrency"`
		PriceGross       flexNumber `json:"priceGross"`
		PriceNet         flexNumber `json:"priceNet"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("amount: %w", err)
	}
	*a = Amount{Currency: string(w.Currency), IsSystemCurrency: bool(w.IsSystemCurrency),
		PriceGross: json.Number(w.PriceGross), PriceNet: json.Number(w.PriceNet)}
	return nil
}

// UnmarshalJSON reads a property leniently: its value may come as a number.
func (p *Property) UnmarshalJSON(b []byte) error {
	var w struct {
		TypeID flexInt    `json:"typeId"`
		Value  flexString `json:"value"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("property: %w", err)
	}
	*p = Property{TypeID: int(w.TypeID), Value: string(w.Value)}
	return nil
}

// UnmarshalJSON reads an address relation leniently.
func (r *AddressRelation) UnmarshalJSON(b []byte) error {
	var w struct {
		TypeID    flexInt `json:"typeId"`
		AddressID flexInt `json:"addressId"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("address relation: %w", err)
	}
	*r = AddressRelation{TypeID: int(w.TypeID), AddressID: int(w.AddressID)}
	return nil
}

// UnmarshalJSON reads an address leniently. The name and street fields fall back on their
// read-only aliases (companyName, firstName, …) when only those are sent.
func (a *Address) UnmarshalJSON(b []byte) error {
	var w struct {
		ID          flexInt                 `json:"id"`
		Name1       flexString              `json:"name1"`
		Name2       flexString              `json:"name2"`
		Name3       flexString              `json:"name3"`
		Name4       flexString              `json:"name4"`
		Address1    flexString              `json:"address1"`
		Address2    flexString              `json:"address2"`
		Address3    flexString              `json:"address3"`
		PostalCode  flexString              `json:"postalCode"`
		Town        flexString              `json:"town"`
		CountryID   flexInt                 `json:"countryId"`
		Options     flexList[AddressOption] `json:"options"`
		CompanyName flexString              `json:"companyName"`
		FirstName   flexString              `json:"firstName"`
		LastName    flexString              `json:"lastName"`
		CareOf      flexString              `json:"careOf"`
		Street      flexString              `json:"street"`
		HouseNumber flexString              `json:"houseNumber"`
		Additional  flexString              `json:"additional"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("address: %w", err)
	}
	or := func(v, alias flexString) string {
		if v == "" {
			return string(alias)
		}
		return string(v)
	}
	*a = Address{ID: int(w.ID), Name1: or(w.Name1, w.CompanyName), Name2: or(w.Name2, w.FirstName),
		Name3: or(w.Name3, w.LastName), Name4: or(w.Name4, w.CareOf), Address1: or(w.Address1, w.Street),
		Address2: or(w.Address2, w.HouseNumber), Address3: or(w.Address3, w.Additional),
		PostalCode: string(w.PostalCode), Town: string(w.Town), CountryID: int(w.CountryID), Options: w.Options}
	return nil
}

// UnmarshalJSON reads an address option leniently.
func (o *AddressOption) UnmarshalJSON(b []byte) error {
	var w struct {
		TypeID flexInt    `json:"typeId"`
		Value  flexString `json:"value"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("address option: %w", err)
	}
	*o = AddressOption{TypeID: int(w.TypeID), Value: string(w.Value)}
	return nil
}

// UnmarshalJSON reads an order reference leniently.
func (r *OrderReference) UnmarshalJSON(b []byte) error {
	var w struct {
		OriginOrderID    flexInt    `json:"originOrderId"`
		ReferenceOrderID flexInt    `json:"referenceOrderId"`
		ReferenceType    flexString `json:"referenceType"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("order reference: %w", err)
	}
	*r = OrderReference{OriginOrderID: int(w.OriginOrderID), ReferenceOrderID: int(w.ReferenceOrderID),
		ReferenceType: string(w.ReferenceType)}
	return nil
}

// UnmarshalJSON reads a shipping package leniently.
func (p *Package) UnmarshalJSON(b []byte) error {
	var w struct {
		ID            flexInt    `json:"id"`
		PackageID     flexInt    `json:"packageId"`
		PackageType   flexInt    `json:"packageType"`
		PackageNumber flexString `json:"packageNumber"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("package: %w", err)
	}
	*p = Package{ID: int(w.ID), PackageID: int(w.PackageID), PackageType: int(w.PackageType),
		PackageNumber: strings.TrimSpace(string(w.PackageNumber))}
	return nil
}

// UnmarshalJSON reads an order status leniently. Its id is statusId (or id); names come as a map
// of language to name or as a list of {lang, name}.
func (s *StatusInfo) UnmarshalJSON(b []byte) error {
	var w struct {
		StatusID Status          `json:"statusId"`
		ID       Status          `json:"id"`
		Names    json.RawMessage `json:"names"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("order status: %w", err)
	}
	*s = StatusInfo{ID: w.StatusID}
	if s.ID == "" {
		s.ID = w.ID
	}
	s.Names = names(w.Names)
	return nil
}

// names reads a status's names leniently; anything unreadable is no names.
func names(raw json.RawMessage) map[string]string {
	var m map[string]flexString
	if json.Unmarshal(raw, &m) == nil && len(m) > 0 {
		out := make(map[string]string, len(m))
		for k, v := range m {
			out[k] = string(v)
		}
		return out
	}
	var l []struct {
		Lang flexString `json:"lang"`
		Name flexString `json:"name"`
	}
	if json.Unmarshal(raw, &l) == nil && len(l) > 0 {
		out := make(map[string]string, len(l))
		for _, n := range l {
			out[string(n.Lang)] = string(n.Name)
		}
		return out
	}
	return nil
}

// UnmarshalJSON reads a status history entry leniently.
func (h *HistoryEntry) UnmarshalJSON(b []byte) error {
	var w struct {
		ID            flexInt    `json:"id"`
		OrderID       flexInt    `json:"orderId"`
		StatusID      Status     `json:"statusId"`
		CreatedAt     flexTime   `json:"createdAt"`
		UserID        flexInt    `json:"userId"`
		ProcedureText flexString `json:"procedureText"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return fmt.Errorf("status history entry: %w", err)
	}
	*h = HistoryEntry{ID: int(w.ID), OrderID: int(w.OrderID), Status: w.StatusID, CreatedAt: time.Time(w.CreatedAt),
		UserID: int(w.UserID), ProcedureText: string(w.ProcedureText)}
	return nil
}

// envelope is plentymarkets' paging envelope.
type envelope[T any] struct {
	Page           flexInt     `json:"page"`
	TotalsCount    flexInt     `json:"totalsCount"`
	IsLastPage     flexBool    `json:"isLastPage"`
	LastPageNumber flexInt     `json:"lastPageNumber"`
	Entries        flexList[T] `json:"entries"`
}

// UnmarshalJSON reads a page of orders leniently ("page": "1").
func (p *OrderPage) UnmarshalJSON(b []byte) error {
	var e envelope[Order]
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	*p = OrderPage{Page: int(e.Page), TotalsCount: int(e.TotalsCount), IsLastPage: bool(e.IsLastPage),
		LastPageNumber: int(e.LastPageNumber), Entries: e.Entries}
	return nil
}

// UnmarshalJSON reads a page of the status history leniently.
func (p *HistoryPage) UnmarshalJSON(b []byte) error {
	var e envelope[HistoryEntry]
	if err := json.Unmarshal(b, &e); err != nil {
		return err
	}
	*p = HistoryPage{Page: int(e.Page), TotalsCount: int(e.TotalsCount), IsLastPage: bool(e.IsLastPage),
		LastPageNumber: int(e.LastPageNumber), Entries: e.Entries}
	return nil
}

// snippet is the start of a body or value, for error texts.
func snippet(b []byte) string {
	const limit = 120
	r := []rune(strings.Join(strings.Fields(string(b)), " "))
	if len(r) > limit {
		return string(r[:limit]) + "…"
	}
	return string(r)
}
