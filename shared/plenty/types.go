package plenty

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// Status is an order status id as plentymarkets writes it: "5", "5.1", "19.1". It is kept as text
// because status ids are decimals and 5.1 must never become 5.0999…; the client sends it as a JSON
// number written from this text. Statuses read from plentymarkets are canonical (Canonical).
type Status string

// Canonical returns the status in the form plentymarkets' numbers take: no trailing zeros in the
// fraction, no leading zeros ("5.10" and "05.1" are "5.1", "8.0" is "8"). Text that is not a decimal
// number is returned trimmed but otherwise unchanged.
func (s Status) Canonical() Status {
	t := strings.TrimSpace(string(s))
	if !decimal(t) {
		if f, err := strconv.ParseFloat(t, 64); err == nil && strings.ContainsAny(t, "eE") {
			return Status(strconv.FormatFloat(f, 'f', -1, 64))
		}
		return Status(t)
	}
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	whole, frac, _ := strings.Cut(t, ".")
	whole = strings.TrimLeft(whole, "0")
	if whole == "" {
		whole = "0"
	}
	frac = strings.TrimRight(frac, "0")
	out := whole
	if frac != "" {
		out += "." + frac
	}
	if neg && out != "0" {
		out = "-" + out
	}
	return Status(out)
}

// Valid reports whether s is a decimal number plentymarkets can take as a statusId (not "9.0.1").
func (s Status) Valid() bool { return decimal(strings.TrimSpace(string(s))) }

// Equal reports whether two statuses are the same number ("5" and "5.0", not "5" and "5.1").
func (s Status) Equal(o Status) bool { return s.Canonical() == o.Canonical() }

// UnmarshalJSON reads a status sent as a number (5, 5.1, 3.0) or as a string ("5.1").
func (s *Status) UnmarshalJSON(b []byte) error {
	v, err := lenientText(b, "status")
	if err != nil {
		return err
	}
	*s = Status(v).Canonical()
	return nil
}

// decimal reports whether t is a plain decimal number: optional minus, digits, optional fraction.
func decimal(t string) bool {
	t = strings.TrimPrefix(t, "-")
	whole, frac, dot := strings.Cut(t, ".")
	return digits(whole) && (!dot || digits(frac))
}

func digits(t string) bool {
	if t == "" {
		return false
	}
	for i := 0; i < len(t); i++ {
		if t[i] < '0' || t[i] > '9' {
			return false
		}
	}
	return true
}

// SearchQuery selects orders for SearchOrders. Zero fields are not sent.
type SearchQuery struct {
	// Status selects one status exactly: 5 does not match 5.1.
	Status Status
	// StatusFrom and StatusTo select a range, StatusFrom included and StatusTo not: From 9, To 10
	// selects 9, 9.0.1 … 9.9. Either may be left empty.
	StatusFrom, StatusTo Status
	// OrderType is the order type id (1 sales order, 3 return, …).
	OrderType int
	// UpdatedSince selects orders changed at or after this time.
	UpdatedSince time.Time
	// With names the relations to load ("addresses", "orderItems.variation", …). Without it
	// plentymarkets returns bare orders: no items, properties, addresses or amounts.
	With []string
	// Page is 1-based; 0 means 1. ItemsPerPage 0 leaves plentymarkets' default (50).
	Page, ItemsPerPage int
}

// OrderPage is one page of an order search.
type OrderPage struct {
	Page           int     `json:"page"`
	TotalsCount    int     `json:"totalsCount"`
	IsLastPage     bool    `json:"isLastPage"`
	LastPageNumber int     `json:"lastPageNumber"`
	Entries        []Order `json:"entries"`
}

// Order is a plentymarkets order; only the fields orderhub reads. Relations are filled only when
// the call asked for them.
//
// The JSON tags are plentymarkets' names, so an Order encoded by Go reads back the same.
type Order struct {
	ID       int `json:"id"`
	TypeID   int `json:"typeId"`
	PlentyID int `json:"plentyId"`
	// ReferrerID is the referrer's main id. plentymarkets' referrer ids are decimals for sub
	// referrers (a marketplace's countries); Referrer keeps the exact value ("4.01").
	ReferrerID int         `json:"-"`
	Referrer   json.Number `json:"referrerId"`
	Status     Status      `json:"statusId"`
	// LockStatus is "unlocked", "permanentlyLocked" or "reversibleLocked".
	LockStatus       string            `json:"lockStatus,omitempty"`
	CreatedAt        time.Time         `json:"createdAt"`
	UpdatedAt        time.Time         `json:"updatedAt"`
	Items            []OrderItem       `json:"orderItems,omitempty"`
	Properties       []Property        `json:"properties,omitempty"`
	AddressRelations []AddressRelation `json:"addressRelations,omitempty"`
	Addresses        []Address         `json:"addresses,omitempty"`
	References       []OrderReference  `json:"orderReferences,omitempty"`
}

// Property returns the value of the order property of a type (7 external order id, 18 coupon
// code, …) and whether the order has it.
func (o Order) Property(typeID int) (string, bool) {
	for _, p := range o.Properties {
		if p.TypeID == typeID {
			return p.Value, true
		}
	}
	return "", false
}

// Address returns the order's address of a relation type (1 billing, 2 delivery), when the order
// was read with its addresses.
func (o Order) Address(relationType int) (Address, bool) {
	for _, r := range o.AddressRelations {
		if r.TypeID != relationType {
			continue
		}
		for _, a := range o.Addresses {
			if a.ID == r.AddressID {
				return a, true
			}
		}
	}
	return Address{}, false
}

// OrderItem is one line of an order. TypeID 1 is a variation, 6 shipping costs, 4 a coupon (the
// full list is in docs/plentymarkets.md).
type OrderItem struct {
	ID          int         `json:"id"`
	TypeID      int         `json:"typeId"`
	VariationID int         `json:"itemVariationId"`
	Name        string      `json:"orderItemName"`
	Quantity    json.Number `json:"quantity"`
	Amounts     []Amount    `json:"amounts,omitempty"`
}

// Amount is an order item's price in one currency. Prices are decimal text, never floats.
type Amount struct {
	Currency         string      `json:"currency"`
	IsSystemCurrency bool        `json:"isSystemCurrency"`
	PriceGross       json.Number `json:"priceGross"`
	PriceNet         json.Number `json:"priceNet"`
}

// Property is an order property: TypeID is the key, Value always text.
type Property struct {
	TypeID int    `json:"typeId"`
	Value  string `json:"value"`
}

// AddressRelation links an address to the order: TypeID 1 billing, 2 delivery.
type AddressRelation struct {
	TypeID    int `json:"typeId"`
	AddressID int `json:"addressId"`
}

// Address is an order address. Name1 is the company, Name2 the first name, Name3 the last name,
// Name4 c/o; Address1 the street, Address2 the house number, Address3 an addition. CountryID is
// plentymarkets' country id (1 Germany), not ISO.
type Address struct {
	ID         int             `json:"id"`
	Name1      string          `json:"name1"`
	Name2      string          `json:"name2"`
	Name3      string          `json:"name3"`
	Name4      string          `json:"name4"`
	Address1   string          `json:"address1"`
	Address2   string          `json:"address2"`
	Address3   string          `json:"address3"`
	PostalCode string          `json:"postalCode"`
	Town       string          `json:"town"`
	CountryID  int             `json:"countryId"`
	Options    []AddressOption `json:"options,omitempty"`
}

// AddressOption is an address's extra value (email, phone, …) by type.
type AddressOption struct {
	TypeID int    `json:"typeId"`
	Value  string `json:"value"`
}

// OrderReference links an order to another: a return (type 3) names its sales order as "parent".
type OrderReference struct {
	OriginOrderID    int    `json:"originOrderId"`
	ReferenceOrderID int    `json:"referenceOrderId"`
	ReferenceType    string `json:"referenceType"`
}

// Package is an order's shipping package; PackageNumber is the tracking number. PackageID is the
// package type id of GET /rest/orders/shipping/package_types, PackageType the packaging kind (26
// package, 24 cardboard box, …).
type Package struct {
	ID            int    `json:"id"`
	PackageID     int    `json:"packageId"`
	PackageType   int    `json:"packageType"`
	PackageNumber string `json:"packageNumber"`
}

// PackageCreation is the body of a new package. plentymarkets requires PackageID and PackageType.
type PackageCreation struct {
	PackageID     int    `json:"packageId"`
	PackageType   int    `json:"packageType"`
	PackageNumber string `json:"packageNumber,omitempty"`
}

// StatusInfo is one order status of the system. Names are by language when plentymarkets sends
// them.
type StatusInfo struct {
	ID    Status            `json:"statusId"`
	Names map[string]string `json:"names,omitempty"`
}

// HistoryPage is one page of the order status history.
type HistoryPage struct {
	Page           int            `json:"page"`
	TotalsCount    int            `json:"totalsCount"`
	IsLastPage     bool           `json:"isLastPage"`
	LastPageNumber int            `json:"lastPageNumber"`
	Entries        []HistoryEntry `json:"entries"`
}

// HistoryEntry is one status change of an order.
type HistoryEntry struct {
	ID            int       `json:"id"`
	OrderID       int       `json:"orderId"`
	Status        Status    `json:"statusId"`
	CreatedAt     time.Time `json:"createdAt"`
	UserID        int       `json:"userId"`
	ProcedureText string    `json:"procedureText"`
}

// Order property types orderhub uses.
const (
	PropertyShippingProfile = 2
	PropertyPaymentMethod   = 3
	PropertyExternalOrderID = 7
	PropertyCouponCode      = 18
)

// Order item types orderhub tells apart.
const (
	ItemVariation     = 1
	ItemCoupon        = 4
	ItemShippingCosts = 6
)

// Address relation types.
const (
	AddressBilling  = 1
	AddressDelivery = 2
)
