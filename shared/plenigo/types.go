package plenigo

import (
	"encoding/json"
	"time"
)

// CustomerCreation is the body of POST /customers. Email and Language are required by plenigo.
type CustomerCreation struct {
	CustomerID       string            `json:"customerId,omitempty"`
	Email            string            `json:"email"`
	Language         string            `json:"language"`
	ExternalSystemID string            `json:"externalSystemId,omitempty"`
	Salutation       string            `json:"salutation,omitempty"`
	FirstName        string            `json:"firstName,omitempty"`
	LastName         string            `json:"lastName,omitempty"`
	Addresses        []CustomerAddress `json:"addresses,omitempty"`
}

// CustomerAddress is one address of a customer; Type is INVOICE or DELIVERY.
type CustomerAddress struct {
	Type           string `json:"type"`
	Preferred      bool   `json:"preferred,omitempty"`
	Salutation     string `json:"salutation,omitempty"`
	FirstName      string `json:"firstName,omitempty"`
	LastName       string `json:"lastName,omitempty"`
	CompanyName    string `json:"companyName,omitempty"`
	Street         string `json:"street,omitempty"`
	StreetNumber   string `json:"streetNumber,omitempty"`
	AdditionalInfo string `json:"additionalStreetInfo,omitempty"`
	Postcode       string `json:"postcode,omitempty"`
	City           string `json:"city,omitempty"`
	Country        string `json:"country,omitempty"`
}

// Customer is plenigo's customer record; only the fields orderhub reads.
type Customer struct {
	CustomerID    string   `json:"customerId"`
	Email         string   `json:"email"`
	Language      string   `json:"language,omitempty"`
	CustomerMarks []string `json:"customerMarks,omitempty"`
}

// WBZMark is the body of PUT /customers/{id}/marks/WBZ.
type WBZMark struct {
	DealerGroup  string `json:"dealerGroup"`
	DealerNumber string `json:"dealerNumber"`
}

// OrderImports is the body of POST /imports/orders.
type OrderImports struct {
	Purchase     bool          `json:"purchase"`
	SuppressMail bool          `json:"suppressMail"`
	Items        []OrderImport `json:"items"`
}

// OrderImport is one imported order item.
type OrderImport struct {
	ExternalSystemID  string    `json:"externalSystemId"`
	PlenigoOfferID    string    `json:"plenigoOfferId"`
	InvoiceCustomerID string    `json:"invoiceCustomerId"`
	Quantity          int       `json:"quantity"`
	StartDate         time.Time `json:"startDate"`
	PaymentMethod     string    `json:"paymentMethod"`
	ManagedBy         string    `json:"managedBy,omitempty"` // EXTERNAL or WBZ
	// DeliveryAddressID is the WBZ delivery address of a dealer (POST /addresses/wbz); plenigo
	// refuses WBZ offers that deliver without one (90069).
	DeliveryAddressID int64 `json:"deliveryAddressId,omitempty"`
}

// WBZAddress is the body of POST /addresses/wbz: a dealer's delivery address for WBZ imports.
// plenigo requires CustomerID and Type.
type WBZAddress struct {
	CustomerID   string `json:"customerId"`
	Type         string `json:"type"` // DELIVERY
	CompanyName  string `json:"companyName,omitempty"`
	FirstName    string `json:"firstName,omitempty"`
	LastName     string `json:"lastName,omitempty"`
	Street       string `json:"street,omitempty"`
	StreetNumber string `json:"streetNumber,omitempty"`
	Postcode     string `json:"postcode,omitempty"`
	City         string `json:"city,omitempty"`
	Country      string `json:"country,omitempty"`
}

// Address is plenigo's address record; only the fields orderhub reads.
type Address struct {
	AddressID  int64  `json:"addressId"`
	CustomerID string `json:"customerId,omitempty"`
	Type       string `json:"type,omitempty"`
}

// ImportResult is the answer to an import: success and, when plenigo sends one, a promise id.
type ImportResult struct {
	Success   bool   `json:"success"`
	PromiseID string `json:"promiseId,omitempty"`
}

// LogEntry is one entry of plenigo's order import log. It has no promise id: match by externalSystemId.
type LogEntry struct {
	ID               int64           `json:"orderImportLogEntryId"`
	CreatedDate      time.Time       `json:"createdDate"`
	ChangedDate      time.Time       `json:"changedDate"`
	ExternalSystemID string          `json:"externalSystemId"`
	PlenigoOfferID   string          `json:"plenigoOfferId,omitempty"`
	Success          bool            `json:"success"`
	OrderID          int64           `json:"orderId,omitempty"`
	ErrorReason      string          `json:"errorReason,omitempty"`
	ErrorDetail      json.RawMessage `json:"errorDetail,omitempty"`
}

// Order is plenigo's order record; only the fields orderhub reads.
type Order struct {
	OrderID          int64     `json:"orderId"`
	ExternalSystemID string    `json:"externalSystemId"`
	Status           string    `json:"status"` // ACTIVE, DONE or CANCELLED
	ChangedDate      time.Time `json:"changedDate"`
}

// OrderQuery selects a page of orders: changed from Since to Until (both included; zero leaves a
// side open), after the order StartingAfter, Size of them (5 to 100).
type OrderQuery struct {
	Since, Until  time.Time
	StartingAfter int64
	Size          int
}

// LogQuery selects import log entries: changed at or after Since, after the entry StartingAfter.
type LogQuery struct {
	Since         time.Time
	Until         time.Time
	StartingAfter int64
	Size          int
	// ExternalSystemID, when set, selects the entries of one import key.
	ExternalSystemID string
}
