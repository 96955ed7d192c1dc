package order

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Source says where a purchase came from. It is the prefix of the order id.
type Source string

// The sources orderhub takes purchases from.
const (
	SourceMarketplace Source = "mkt"    // plentyMarketplace SERVICE.PLUGIN.PURCHASE webhook
	SourcePlenty      Source = "plenty" // plentymarkets order cleared for shipping
	SourceDealer      Source = "dealer" // dealer (WBZ) purchase from a third-party system
)

// MaxExternalIDLen is plenigo's limit for externalSystemId, which is the order id.
const MaxExternalIDLen = 100

// ID derives the stable order id from a source and the id the source gave the purchase. The same id
// is the plenigo externalSystemId and the BonifiQ OriginalId, so one key deduplicates every hop.
func ID(src Source, sourceRef string) string { return string(src) + "-" + sourceRef }

// Order is one purchase on its way to a plenigo subscription.
type Order struct {
	ID        string `json:"id"`
	Source    Source `json:"source"`
	SourceRef string `json:"sourceRef"` // the id in the source system (marketplace order id, externalSystemId, …)
	EventID   string `json:"eventId,omitempty"`
	// Digest identifies what the source sent (Fingerprint): a second delivery under the same id with
	// another digest is a conflict, not a duplicate.
	Digest string `json:"digest,omitempty"`

	State       State  `json:"state"`
	StateReason string `json:"stateReason,omitempty"`

	Customer Customer `json:"customer"`
	Dealer   *Dealer  `json:"dealer,omitempty"`
	Items    []Item   `json:"items"`
	// Shipping is kept apart from the items: loyalty points are earned on item value only.
	Shipping Money `json:"shipping"`
	// Discounts are what the source took off the goods (completion.go).
	Discounts    []Discount   `json:"discounts,omitempty"`
	Payment      Payment      `json:"payment"`
	StartDate    time.Time    `json:"startDate"`
	PlacedAt     time.Time    `json:"placedAt"`
	Subscription Subscription `json:"subscription"`
	// Completion is the source's rule for when the order is complete and whether it earns points.
	Completion Completion `json:"completion,omitzero"`
	// Returns are the return events after delivery, oldest first.
	Returns       []Return      `json:"returns,omitempty"`
	SourceDetails SourceDetails `json:"sourceDetails,omitempty"`
	// RetainUntil is when the order and its history are deleted, personal data included (the
	// deployment's retention counted from receipt); zero keeps them. Set once, when it is taken.
	RetainUntil time.Time `json:"retainUntil,omitzero"`

	ReceivedAt time.Time `json:"receivedAt"`
	UpdatedAt  time.Time `json:"updatedAt"`
	// Version counts stored writes; the store uses it for optimistic concurrency.
	Version int `json:"version"`
	// Attempts counts partner attempts for the current step, reset on each forward move.
	Attempts int `json:"attempts,omitempty"`
	// Submission is the import worker's hold on the import step (submission.go).
	Submission Submission `json:"submission,omitzero"`
	// Tracks are the partners' own progress beside the import lifecycle (track.go).
	Tracks map[TrackName]*Track `json:"tracks,omitempty"`

	// History is every transition and partner call, oldest first. The store appends; nothing rewrites.
	History []Event `json:"-"`
}

// Customer is the buyer, as the source described them.
type Customer struct {
	Email     string  `json:"email"`
	Language  string  `json:"language,omitempty"` // ISO 639-1, resolved by the mapping when the source has none
	Gender    string  `json:"gender,omitempty"`
	FirstName string  `json:"firstName,omitempty"`
	LastName  string  `json:"lastName,omitempty"`
	SourceID  string  `json:"sourceId,omitempty"` // the contact id in the source system
	Address   Address `json:"address"`
	// PlenigoCustomerID is set once the customer exists in plenigo.
	PlenigoCustomerID string `json:"plenigoCustomerId,omitempty"`
}

// Address is a postal address; Country is ISO 3166-1 alpha-2.
type Address struct {
	Company     string `json:"company,omitempty"`
	FirstName   string `json:"firstName,omitempty"`
	LastName    string `json:"lastName,omitempty"`
	Street      string `json:"street,omitempty"`
	HouseNumber string `json:"houseNumber,omitempty"`
	Additional  string `json:"additional,omitempty"`
	PostalCode  string `json:"postalCode,omitempty"`
	Town        string `json:"town,omitempty"`
	Country     string `json:"country,omitempty"`
	Phone       string `json:"phone,omitempty"`
	Email       string `json:"email,omitempty"`
}

// Dealer identifies a WBZ dealer; plenigo needs both values for the customer's WBZ mark.
type Dealer struct {
	Group  string `json:"group"`
	Number string `json:"number"`
	// Delivery is where a printed offer is delivered, when the purchase names it. plenigo needs it
	// as a WBZ address of the dealer; DeliveryAddressID is that address once created.
	Delivery          *Address `json:"delivery,omitempty"`
	DeliveryAddressID int64    `json:"deliveryAddressId,omitempty"`
}

// Money is a gross and net amount in the order's currency.
type Money struct {
	Gross Decimal `json:"gross"`
	Net   Decimal `json:"net"`
}

// Item is one line of the purchase.
type Item struct {
	// Product is the source's key for what was bought: the plentymarkets item variation id, or the
	// dealer system's product code. The mapping turns it into OfferID.
	Product  string  `json:"product"`
	Name     string  `json:"name,omitempty"`
	Quantity Decimal `json:"quantity"`
	// Price is per unit as the source sent it (marketplace totals include surcharges and discounts).
	Price Money `json:"price"`
	// OfferID is the plenigo offer id (exactly 20 characters) once mapped.
	OfferID string `json:"offerId,omitempty"`
	// PlenigoOrderID is set when plenigo's import log confirms this item.
	PlenigoOrderID string `json:"plenigoOrderId,omitempty"`
}

// Payment is how the buyer paid: Method as the source names it, PlenigoMethod once mapped.
type Payment struct {
	Method        string `json:"method"`
	TransactionID string `json:"transactionId,omitempty"`
	PlenigoMethod string `json:"plenigoMethod,omitempty"`
}

// Subscription is what plenigo made of the order.
type Subscription struct {
	PromiseID      string `json:"promiseId,omitempty"`
	PlenigoOrderID string `json:"plenigoOrderId,omitempty"`
}

// SourceDetails keeps source metadata that no later step needs but a person tracing the order might.
type SourceDetails map[string]string

// ImportKey is the plenigo externalSystemId of item i: the order id, with the item's position appended
// when the order has several items, because plenigo keeps one order per externalSystemId.
func (o *Order) ImportKey(i int) string {
	if len(o.Items) == 1 {
		return o.ID
	}
	return o.ID + "-" + strconv.Itoa(i+1)
}

// OrderIDsForImportKey lists the order ids an import key may belong to, most likely first.
func OrderIDsForImportKey(key string) []string {
	ids := []string{key}
	if i := strings.LastIndexByte(key, '-'); i > 0 {
		if n, err := strconv.Atoi(key[i+1:]); err == nil && n > 0 {
			ids = append(ids, key[:i])
		}
	}
	return ids
}

// ConfirmImport records plenigo's order id for the item with this import key and reports whether
// every item is now confirmed. It reports false, changing nothing, for a key of another order.
func (o *Order) ConfirmImport(key, plenigoOrderID string) (known, allConfirmed bool) {
	allConfirmed = true
	for i := range o.Items {
		if o.ImportKey(i) == key {
			o.Items[i].PlenigoOrderID = plenigoOrderID
			known = true
			if o.Subscription.PlenigoOrderID == "" {
				o.Subscription.PlenigoOrderID = plenigoOrderID
			}
		}
		if o.Items[i].PlenigoOrderID == "" {
			allConfirmed = false
		}
	}
	return known, known && allConfirmed
}

// Value is the sum of the items' gross prices times their quantities, excluding shipping.
func (o *Order) Value() Decimal {
	var sum Decimal
	for _, it := range o.Items {
		sum += it.Price.Gross.Times(it.Quantity)
	}
	return sum
}

// New returns an order in RECEIVED with its first history entry.
func New(src Source, sourceRef string, at time.Time, by Actor) (*Order, error) {
	if sourceRef == "" {
		return nil, fmt.Errorf("new order: empty source reference")
	}
	id := ID(src, sourceRef)
	if len(id) > MaxExternalIDLen {
		return nil, fmt.Errorf("new order: id %q is longer than %d characters", id, MaxExternalIDLen)
	}
	o := &Order{ID: id, Source: src, SourceRef: sourceRef, State: Received, ReceivedAt: at.UTC(), UpdatedAt: at.UTC()}
	o.History = append(o.History, Event{Seq: 1, At: at.UTC(), To: Received, Actor: by})
	return o, nil
}

// Clone returns a deep copy, so a store can hand out orders that callers may change freely.
func (o *Order) Clone() *Order {
	c := *o
	c.Items = append([]Item(nil), o.Items...)
	c.Discounts = append([]Discount(nil), o.Discounts...)
	c.Returns = make([]Return, len(o.Returns))
	for i, r := range o.Returns {
		r.Items = append([]ReturnedItem(nil), r.Items...)
		c.Returns[i] = r
	}
	if o.Returns == nil {
		c.Returns = nil
	}
	c.History = append([]Event(nil), o.History...)
	if o.Dealer != nil {
		d := *o.Dealer
		if d.Delivery != nil {
			a := *d.Delivery
			d.Delivery = &a
		}
		c.Dealer = &d
	}
	if o.Tracks != nil {
		c.Tracks = make(map[TrackName]*Track, len(o.Tracks))
		for k, t := range o.Tracks {
			ct := *t
			ct.Facts = maps.Clone(t.Facts)
			if t.LastCall != nil {
				call := *t.LastCall
				ct.LastCall = &call
			}
			c.Tracks[k] = &ct
		}
	}
	if o.SourceDetails != nil {
		c.SourceDetails = make(SourceDetails, len(o.SourceDetails))
		for k, v := range o.SourceDetails {
			c.SourceDetails[k] = v
		}
	}
	return &c
}

// Fingerprint is a digest of what the source said about the purchase: who bought what, for how much,
// how paid, from when. It leaves out what orderhub added (ids, states, mappings, receipt time), so
// every delivery of the same purchase has the same fingerprint. Every value is written with its
// length, so no two different purchases write the same bytes.
func (o *Order) Fingerprint() string {
	h := sha256.New()
	var n [binary.MaxVarintLen64]byte
	str := func(v string) {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(v)))])
		h.Write([]byte(v))
	}
	num := func(v int64) { h.Write(n[:binary.PutVarint(n[:], v)]) }
	c, a := o.Customer, o.Customer.Address
	for _, v := range []string{string(o.Source), o.SourceRef, c.Email, c.FirstName, c.LastName, a.Company, a.FirstName,
		a.LastName, a.Street, a.HouseNumber, a.Additional, a.PostalCode, a.Town, a.Country, a.Phone, a.Email,
		o.Payment.Method, o.Payment.TransactionID} {
		str(v)
	}
	if d := o.Dealer; d != nil {
		str(d.Group)
		str(d.Number)
		if a := d.Delivery; a != nil {
			for _, v := range []string{a.Company, a.FirstName, a.LastName, a.Street, a.HouseNumber, a.PostalCode, a.Town, a.Country} {
				str(v)
			}
		}
	}
	num(int64(len(o.Items)))
	for _, it := range o.Items {
		str(it.Product)
		num(int64(it.Quantity))
		num(int64(it.Price.Gross))
		num(int64(it.Price.Net))
	}
	num(int64(o.Shipping.Gross))
	num(int64(o.Shipping.Net))
	num(int64(len(o.Discounts)))
	for _, d := range o.Discounts {
		str(d.Kind)
		str(d.Code)
		num(int64(d.Amount.Gross))
		num(int64(d.Amount.Net))
	}
	num(o.StartDate.UTC().UnixNano())
	return hex.EncodeToString(h.Sum(nil)[:16])
}
