package plenigosim

import (
	"net/http"
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
}

type orderItem struct {
	PlenigoOfferID string `json:"plenigoOfferId"`
	Quantity       int    `json:"quantity"`
}

// searchOrders is GET /orders, optionally ?externalSystemId=; orders exist only once their import
// was processed.
func (s *Sim) searchOrders(w http.ResponseWriter, r *http.Request) {
	ext := r.URL.Query().Get("externalSystemId")
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []*order{}
	for _, o := range s.orders {
		if ext == "" || o.ExternalSystemID == ext {
			items = append(items, o)
		}
	}
	writeJSON(w, 200, map[string]any{"items": items})
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
