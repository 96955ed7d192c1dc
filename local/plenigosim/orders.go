package plenigosim

import (
	"net/http"
	"slices"
	"sort"
	"time"
)

type order struct {
	OrderID          int64       `json:"orderId"`
	ExternalSystemID string      `json:"externalSystemId"`
	Status           string      `json:"status"`
	Type             string      `json:"type"`
	OrderDate        time.Time   `json:"orderDate"`
	InvoiceCustomer  string      `json:"invoiceCustomerId"`
	PaymentMethod    string      `json:"paymentMethod"`
	Items            []orderItem `json:"items"`
	CreatedDate      time.Time   `json:"createdDate"`
	ChangedDate      time.Time   `json:"changedDate"`
}

type orderItem struct {
	PlenigoOfferID string `json:"plenigoOfferId"`
	Quantity       int    `json:"quantity"`
}

// searchOrders is GET /orders: filtered by externalSystemId and by the change time (startTime and
// endTime, both included), sorted by order id (sort=DESC reverses), paged by size (5 to 100;
// anything else falls back to 5, as plenigo documents) and startingAfter an order id. Orders exist
// only once their import was processed.
func (s *Sim) searchOrders(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l, ok := readList(w, q)
	if !ok {
		return
	}
	size, after, since, until, desc := l.size, l.after, l.since, l.until, l.desc
	ext := q.Get("externalSystemId")
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []order{}
	for _, o := range s.orders {
		switch {
		case ext != "" && o.ExternalSystemID != ext:
		case !since.IsZero() && o.ChangedDate.Before(since):
		case !until.IsZero() && o.ChangedDate.After(until):
		case after != 0 && !desc && o.OrderID <= after:
		case after != 0 && desc && o.OrderID >= after:
		default:
			items = append(items, *o)
		}
	}
	sort.Slice(items, func(i, j int) bool {
		if desc {
			return items[i].OrderID > items[j].OrderID
		}
		return items[i].OrderID < items[j].OrderID
	})
	if len(items) > size {
		items = items[:size]
	}
	writeJSON(w, 200, map[string]any{"items": items})
}

// LoseOrder removes plenigo's orders and subscriptions with this externalSystemId, as if they had
// never been made: a reconciliation must find the order orderhub thinks plenigo has.
func (s *Sim) LoseOrder(externalSystemID string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orders = slices.DeleteFunc(s.orders, func(o *order) bool { return o.ExternalSystemID == externalSystemID })
	s.subscriptions = slices.DeleteFunc(s.subscriptions, func(sub *subscription) bool { return sub.ExternalSystemID == externalSystemID })
	delete(s.byExternal, externalSystemID)
}

// SetOrderStatus sets the status (ACTIVE, DONE, CANCELLED) of plenigo's orders with this
// externalSystemId, as a change in plenigo's own back office would, and reports whether there was one.
func (s *Sim) SetOrderStatus(externalSystemID, status string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	found := false
	for _, o := range s.orders {
		if o.ExternalSystemID == externalSystemID {
			o.Status, o.ChangedDate, found = status, s.now(), true
		}
	}
	return found
}

// DuplicateOrder makes a second order (and subscription) for an externalSystemId plenigo already has
// an order for, as a faulty import on plenigo's side would; it reports whether there was one to copy.
func (s *Sim) DuplicateOrder(externalSystemID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.byExternal[externalSystemID]
	if o == nil {
		return false
	}
	now := s.now()
	s.nextOrder++
	dup := *o
	dup.OrderID, dup.CreatedDate, dup.ChangedDate = s.nextOrder, now, now
	dup.Items = slices.Clone(o.Items)
	s.orders = append(s.orders, &dup)
	return true
}

// subscription is the subscription an imported item creates, with the fields of plenigo's
// Subscription that an import sets.
type subscription struct {
	SubscriptionID     int64     `json:"subscriptionId"`
	ExternalSystemID   string    `json:"externalSystemId"`
	PlenigoOfferID     string    `json:"plenigoOfferId"`
	InvoiceCustomerID  string    `json:"invoiceCustomerId"`
	InvoiceAddressID   int64     `json:"invoiceAddressId,omitempty"`
	DeliveryCustomerID string    `json:"deliveryCustomerId"`
	DeliveryAddressID  int64     `json:"deliveryAddressId,omitempty"`
	Status             string    `json:"status"`
	StartDate          time.Time `json:"startDate"`
	PaymentMethod      string    `json:"paymentMethod"`
	ManagedBy          string    `json:"managedBy,omitempty"`
	CreatedDate        time.Time `json:"createdDate"`
	ChangedDate        time.Time `json:"changedDate"`
}

// searchSubscriptions is GET /subscriptions, optionally ?externalSystemId=; like orders, a
// subscription exists only once its import was processed.
func (s *Sim) searchSubscriptions(w http.ResponseWriter, r *http.Request) {
	ext := r.URL.Query().Get("externalSystemId")
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []*subscription{}
	for _, sub := range s.subscriptions {
		if ext == "" || sub.ExternalSystemID == ext {
			items = append(items, sub)
		}
	}
	writeJSON(w, 200, map[string]any{"items": items})
}
