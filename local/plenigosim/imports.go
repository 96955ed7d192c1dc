package plenigosim

import (
	"fmt"
	"net/http"
	"time"
)

var paymentMethods = map[string]bool{"AMAZON_PAY": true, "APPLE_PAY": true, "BANK_ACCOUNT": true, "BILLING": true, "CREDIT_CARD": true,
	"GOOGLE_PAY": true, "IDEAL": true, "PAYPAL": true, "POSTFINANCE": true, "SOFORT": true, "TWINT": true, "ZERO": true}

type importItem struct {
	ExternalSystemID  string     `json:"externalSystemId"`
	PlenigoOfferID    string     `json:"plenigoOfferId"`
	InvoiceCustomerID string     `json:"invoiceCustomerId"`
	Quantity          *int       `json:"quantity"`
	StartDate         *time.Time `json:"startDate"`
	PaymentMethod     string     `json:"paymentMethod"`
	ManagedBy         string     `json:"managedBy"`
}

// importOrders is POST /imports/orders. It checks what plenigo checks at once (validation, customers,
// the queue limit, sync duplicates), answers 201 and leaves the rest to process after LogDelay.
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
		writeErr(w, 400, 99400, "Provided data cannot be processed.", v)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, it := range in.Items {
		if _, ok := s.customers[it.InvoiceCustomerID]; !ok {
			writeErr(w, 404, 20404, "Customer not found.", nil)
			return
		}
	}
	if s.cfg.QueueLimit > 0 && len(s.pending)+len(in.Items) > s.cfg.QueueLimit {
		writeErr(w, 400, 97004, "Max order import queue reached.", nil)
		return
	}
	if s.cfg.Duplicates == DuplicateSync {
		for _, it := range in.Items {
			if s.byExternal[it.ExternalSystemID] != nil || s.pending[it.ExternalSystemID] {
				writeErr(w, 400, 97001, "Order was already imported.", nil)
				return
			}
		}
	}
	items := make([]importItem, len(in.Items))
	copy(items, in.Items)
	for _, it := range items {
		if !s.pending[it.ExternalSystemID] {
			s.pending[it.ExternalSystemID] = true
		}
	}
	if !s.stopped {
		s.wg.Add(1)
		var t *time.Timer
		t = time.AfterFunc(s.cfg.LogDelay, func() {
			defer s.wg.Done()
			s.mu.Lock()
			delete(s.timers, t) // t was set under the lock this waits for
			s.mu.Unlock()
			s.process(items)
		})
		s.timers[t] = true
	}
	s.promiseSeq++
	res := map[string]any{"success": true}
	if !s.cfg.NoPromiseID {
		res["promiseId"] = fmt.Sprintf("prm%020d", s.promiseSeq)
	}
	writeJSON(w, 201, res)
}

// process applies accepted imports and writes their log entries, as plenigo's import queue does.
func (s *Sim) process(items []importItem) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now().UTC()
	for _, it := range items {
		delete(s.pending, it.ExternalSystemID)
		e := logEntry{CreatedDate: now, ChangedDate: now, ExternalSystemID: it.ExternalSystemID, PlenigoOfferID: it.PlenigoOfferID}
		offer, known := s.cfg.Offers[it.PlenigoOfferID]
		cust := s.customers[it.InvoiceCustomerID]
		switch {
		case s.byExternal[it.ExternalSystemID] != nil:
			e.ErrorReason, e.ErrorDetail = "Order was already imported.", map[string]any{"message": "An order with this external system id already exists.", "errorCode": 97001}
		case !known:
			e.ErrorReason, e.ErrorDetail = "Offer not found.", map[string]any{"message": "Offer " + it.PlenigoOfferID + " does not exist.", "errorCode": 60404}
		case offer.WBZ && it.ManagedBy != "WBZ":
			e.ErrorReason, e.ErrorDetail = "A WBZ offer needs a WBZ import.", map[string]any{"message": "managedBy must be WBZ", "errorCode": 90071}
		case it.ManagedBy == "WBZ" && !offer.WBZ:
			e.ErrorReason, e.ErrorDetail = "A WBZ import needs a WBZ offer.", map[string]any{"message": "offer is not a WBZ offer", "errorCode": 90068}
		case it.ManagedBy == "WBZ" && (cust == nil || cust.wbz == nil):
			e.ErrorReason, e.ErrorDetail = "Customer has no WBZ mark.", map[string]any{"message": "Customer has no WBZ mark.", "errorCode": 20071}
		default:
			s.nextOrder++
			o := &order{OrderID: s.nextOrder, ExternalSystemID: it.ExternalSystemID, Status: "ACTIVE", Type: "ORDER", OrderDate: now,
				InvoiceCustomer: it.InvoiceCustomerID, PaymentMethod: it.PaymentMethod}
			o.Items = append(o.Items, orderItem{it.PlenigoOfferID, *it.Quantity})
			s.orders = append(s.orders, o)
			s.byExternal[it.ExternalSystemID] = o
			e.Success, e.OrderID = true, o.OrderID
		}
		e.ID = s.nextLog
		s.nextLog++
		s.logs = append(s.logs, e)
	}
}
