package plenigosim

import (
	"fmt"
	"net/http"
	"time"
)

var paymentMethods = map[string]bool{"AMAZON_PAY": true, "APPLE_PAY": true, "BANK_ACCOUNT": true, "BILLING": true, "CREDIT_CARD": true,
	"GOOGLE_PAY": true, "IDEAL": true, "PAYPAL": true, "POSTFINANCE": true, "SOFORT": true, "TWINT": true, "ZERO": true}

type importItem struct {
	ExternalSystemID   string     `json:"externalSystemId"`
	PlenigoOfferID     string     `json:"plenigoOfferId"`
	InvoiceCustomerID  string     `json:"invoiceCustomerId"`
	InvoiceAddressID   *int64     `json:"invoiceAddressId"`
	DeliveryCustomerID string     `json:"deliveryCustomerId"`
	DeliveryAddressID  *int64     `json:"deliveryAddressId"`
	Quantity           *int       `json:"quantity"`
	StartDate          *time.Time `json:"startDate"`
	PaymentMethod      string     `json:"paymentMethod"`
	ManagedBy          string     `json:"managedBy"`
}

// refusal is why plenigo does not import an item: the error code and status it answers with when it
// refuses at once, and the message it writes to the import log when it refuses later.
type refusal struct {
	status, code int
	msg          string
}

// The messages of plenigo's error codes that the simulator gives.
var (
	refusedDuplicate  = refusal{400, 97001, "Order was already imported."}
	refusedOfferGone  = refusal{404, 60404, "Offer for the provided id cannot be found."}
	refusedNotWBZ     = refusal{400, 90068, "A WBZ import needs a WBZ offer."}
	refusedNeedsWBZ   = refusal{400, 90071, "A WBZ offer needs a WBZ import."}
	refusedNoMark     = refusal{400, 90070, "The WBZ customer mark is missing."}
	refusedNoDelivery = refusal{400, 90069, "The WBZ delivery address is missing."}
)

// importFailed is the errorReason of every refused import in plenigo's log; what went wrong is only
// in errorDetail.message, without an error code.
const importFailed = "Order could not be imported."

// importOrders is POST /imports/orders. It checks what plenigo checks at once (validation, customers
// and their status, offers, the queue limit, sync duplicates, and the WBZ rules with SyncWBZErrors),
// answers 201 and leaves the rest to process after LogDelay.
func (s *Sim) importOrders(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Items []importItem `json:"items"`
	}
	if !decode(w, r, &in) {
		return
	}
	var v []validationError
	if len(in.Items) == 0 {
		v = append(v, validationError{Field: "items", Error: "required"})
	}
	for i, it := range in.Items {
		f := fmt.Sprintf("items[%d].", i)
		if it.ExternalSystemID == "" || len(it.ExternalSystemID) > 100 {
			v = append(v, validationError{Field: f + "externalSystemId", Error: "required", Value: it.ExternalSystemID})
		}
		if len(it.PlenigoOfferID) != 20 {
			v = append(v, validationError{Field: f + "plenigoOfferId", Error: "len=20", Value: it.PlenigoOfferID})
		}
		if it.InvoiceCustomerID == "" || len(it.InvoiceCustomerID) > 50 {
			v = append(v, validationError{Field: f + "invoiceCustomerId", Error: "required", Value: it.InvoiceCustomerID})
		}
		if len(it.DeliveryCustomerID) > 50 {
			v = append(v, validationError{Field: f + "deliveryCustomerId", Error: "max=50", Value: it.DeliveryCustomerID})
		}
		if it.Quantity == nil || *it.Quantity < 1 || *it.Quantity > 10000 {
			v = append(v, validationError{Field: f + "quantity", Error: "min=1,max=10000"})
		}
		if it.StartDate == nil {
			v = append(v, validationError{Field: f + "startDate", Error: "required"})
		}
		if !paymentMethods[it.PaymentMethod] {
			v = append(v, validationError{Field: f + "paymentMethod", Error: "oneof", Value: it.PaymentMethod})
		}
		if it.ManagedBy != "" && it.ManagedBy != "EXTERNAL" && it.ManagedBy != "WBZ" {
			v = append(v, validationError{Field: f + "managedBy", Error: "oneof", Value: it.ManagedBy})
		}
	}
	if len(v) > 0 {
		invalid(w, v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range in.Items {
		for _, id := range []string{it.InvoiceCustomerID, it.DeliveryCustomerID} {
			c, ok := s.customers[id]
			switch {
			case id == "":
			case !ok:
				writeErr(w, 404, 20404, customerNotFound, nil)
				return
			case c.Status != "ACTIVATED":
				writeErr(w, 403, 20001, "Customer is not active.", nil)
				return
			}
		}
		if _, ok := s.cfg.Offers[it.PlenigoOfferID]; !ok {
			writeErr(w, refusedOfferGone.status, refusedOfferGone.code, refusedOfferGone.msg, nil)
			return
		}
		if s.cfg.SyncWBZErrors {
			if no := s.wbzRefusal(it); no != nil {
				writeErr(w, no.status, no.code, no.msg, nil)
				return
			}
		}
	}
	if s.cfg.QueueLimit > 0 && s.queued+len(in.Items) > s.cfg.QueueLimit {
		writeErr(w, 400, 97004, "Max order import queue is reached.", nil)
		return
	}
	if s.cfg.Duplicates == DuplicateSync {
		for _, it := range in.Items {
			if s.byExternal[it.ExternalSystemID] != nil || s.pending[it.ExternalSystemID] > 0 {
				writeErr(w, refusedDuplicate.status, refusedDuplicate.code, refusedDuplicate.msg, nil)
				return
			}
		}
	}
	items := make([]importItem, len(in.Items))
	copy(items, in.Items)
	for _, it := range items {
		s.pending[it.ExternalSystemID]++
		s.queued++
	}
	s.schedule(s.cfg.LogDelay, func() { s.process(items) })
	s.promiseSeq++
	res := map[string]any{"success": true}
	if !s.cfg.NoPromiseID {
		res["promiseId"] = fmt.Sprintf("prm%020d", s.promiseSeq)
	}
	writeJSON(w, 201, res)
}

// wbzRefusal applies plenigo's WBZ rules to an item whose offer exists: managedBy and the offer
// must agree, a WBZ import needs a customer with the WBZ mark and, for an offer that delivers, a WBZ
// delivery address of the customer. The caller holds s.mu.
func (s *Sim) wbzRefusal(it importItem) *refusal {
	offer := s.cfg.Offers[it.PlenigoOfferID]
	wbz := it.ManagedBy == "WBZ"
	switch {
	case offer.WBZ && !wbz:
		return &refusedNeedsWBZ
	case wbz && !offer.WBZ:
		return &refusedNotWBZ
	case !wbz:
		return nil
	}
	if c := s.customers[it.InvoiceCustomerID]; c == nil || c.wbz == nil {
		return &refusedNoMark
	}
	if offer.NeedsDeliveryAddress && !s.wbzDeliveryAddress(it.DeliveryAddressID, it.InvoiceCustomerID, it.DeliveryCustomerID) {
		return &refusedNoDelivery
	}
	return nil
}

// process applies accepted imports and writes their log entries, as plenigo's import queue does.
// With PendingEntries each entry is first written pending and completed PendingDelay later.
func (s *Sim) process(items []importItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	entries := make([]*logEntry, len(items))
	for i, it := range items {
		e := &logEntry{ID: s.nextLog, CreatedDate: now, ChangedDate: now, ExternalSystemID: it.ExternalSystemID, PlenigoOfferID: it.PlenigoOfferID}
		s.nextLog++
		s.logs = append(s.logs, e)
		entries[i] = e
	}
	if !s.cfg.PendingEntries {
		s.complete(items, entries)
		return
	}
	s.schedule(s.cfg.PendingDelay, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.complete(items, entries)
	})
}

// complete decides the outcome of each item, creates its order and subscription when it is
// imported, and writes the outcome to its log entry. The caller holds s.mu.
func (s *Sim) complete(items []importItem, entries []*logEntry) {
	now := s.now().UTC()
	for i, it := range items {
		e := entries[i]
		if s.pending[it.ExternalSystemID]--; s.pending[it.ExternalSystemID] <= 0 {
			delete(s.pending, it.ExternalSystemID)
		}
		s.queued--
		e.ChangedDate = now
		var no *refusal
		if _, known := s.cfg.Offers[it.PlenigoOfferID]; !known {
			no = &refusedOfferGone
		} else if s.cfg.Duplicates != DuplicateAccept && s.byExternal[it.ExternalSystemID] != nil {
			no = &refusedDuplicate
		} else {
			no = s.wbzRefusal(it)
		}
		if no != nil {
			e.ErrorReason, e.ErrorDetail = importFailed, map[string]any{"message": no.msg}
			continue
		}
		e.Success, e.OrderID = true, s.importItem(it, now)
	}
}

// importItem creates the order and the subscription of an imported item and returns the order id.
// The caller holds s.mu.
func (s *Sim) importItem(it importItem, now time.Time) int64 {
	s.nextOrder++
	o := &order{OrderID: s.nextOrder, ExternalSystemID: it.ExternalSystemID, Status: "ACTIVE", Type: "ORDER", OrderDate: now,
		InvoiceCustomer: it.InvoiceCustomerID, PaymentMethod: it.PaymentMethod, CreatedDate: now, ChangedDate: now}
	o.Items = append(o.Items, orderItem{it.PlenigoOfferID, *it.Quantity})
	s.orders = append(s.orders, o)
	s.byExternal[it.ExternalSystemID] = o
	s.nextSub++
	sub := &subscription{SubscriptionID: s.nextSub, ExternalSystemID: it.ExternalSystemID, PlenigoOfferID: it.PlenigoOfferID,
		InvoiceCustomerID: it.InvoiceCustomerID, DeliveryCustomerID: it.DeliveryCustomerID, Status: "ACTIVE",
		StartDate: it.StartDate.UTC(), PaymentMethod: it.PaymentMethod, ManagedBy: it.ManagedBy, CreatedDate: now, ChangedDate: now}
	if sub.DeliveryCustomerID == "" {
		sub.DeliveryCustomerID = it.InvoiceCustomerID
	}
	if it.InvoiceAddressID != nil {
		sub.InvoiceAddressID = *it.InvoiceAddressID
	}
	if it.DeliveryAddressID != nil {
		sub.DeliveryAddressID = *it.DeliveryAddressID
	}
	s.subscriptions = append(s.subscriptions, sub)
	return o.OrderID
}
