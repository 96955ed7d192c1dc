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
