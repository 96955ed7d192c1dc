// Package scenario makes realistic purchases for local runs and tests: marketplace webhooks in the
// shape of plentyMarketplace's documented example, dealer batches, and the demo's mix of both.
package scenario

import (
	"fmt"
	"strings"
	"time"
)

// Local credentials: the local stack and the tests configure the functions with them, and the
// fixtures in events/ are made with them. They protect nothing; AWS deployments generate their own.
const (
	MarketplaceToken = "local-marketplace-token"
	DealerSecret     = "whsec_b3JkZXJodWItbG9jYWwtZGVhbGVyLXNpZ25pbmcta2V5"
	// DealerKeyID names the local dealer system's key; DealerKeys is the receiver's keys document
	// with it (shared/dealerkeys): the groups and the externalSystemId prefix the scenario uses.
	DealerKeyID  = "local-dealer"
	DealerKeys   = `{"keys":[{"id":"local-dealer","secret":"` + DealerSecret + `","groups":["Nord","Sued","West"],"idPrefix":"WBZ-"}]}`
	PlenigoToken = "local-plenigo-token"
	// BonifiqCredentials are the BonifiQ simulator's default Basic credentials, "user:password".
	BonifiqCredentials = "APIUSER-demo-0001:secret"
)

// MarketplacePurchase is a SERVICE.PLUGIN.PURCHASE body for one order; variation and quantity are
// JSON numbers as text.
func MarketplacePurchase(orderID int, email, variation, quantity string, createdAt time.Time) string {
	return fmt.Sprintf(`{"id":"evt_%08x%08x","type":"SERVICE.PLUGIN.PURCHASE","createdAt":%d,"resource":{`+
		`"contact":{"id":%d,"gender":"female","firstName":"Erika","lastName":"Muster","email":%q,"updatedAt":%d},`+
		`"address":{"id":%d,"companyName":"","firstName":"Erika","lastName":"Muster","street":"Hauptstraße","houseNumber":"5","additional":"","postalCode":"34117","town":"Kassel","country":"DE","phone":"","email":%q,"updatedAt":%d},`+
		`"order":{"id":%d,"payPalTransactionId":"PP%010d","orderItems":[{"itemVariationId":%s,"quantity":%s,"orderItemName":"Service","priceGross":49,"priceNet":41.1765}]}}}`,
		orderID, createdAt.UnixNano()&0xffffffff, createdAt.Unix(), 1000+orderID, email, createdAt.Unix(), 5000+orderID, email, createdAt.Unix(),
		orderID, orderID, variation, quantity)
}

// DealerPurchase is one purchase of a dealer batch.
func DealerPurchase(externalID, email, group, number, offer string, quantity int) string {
	return fmt.Sprintf(`{"externalSystemId":%q,"email":%q,"language":"de","dealerGroup":%q,"dealerNumber":%q,"offer":%q,"quantity":%d,"startDate":"2026-12-01","paymentMethod":"invoice"}`,
		externalID, email, group, number, offer, quantity)
}

// DealerBatch wraps purchases into a batch body.
func DealerBatch(purchases ...string) string {
	return `{"purchases":[` + strings.Join(purchases, ",") + `]}`
}

// Kind is where a delivery goes.
type Kind int

// The delivery kinds.
const (
	Marketplace Kind = iota
	Dealer
)

// Delivery is one request the scenario sends.
type Delivery struct {
	Kind      Kind
	Body      string
	Duplicate bool // a repeat of an earlier delivery
}

// Plan is a scenario: what to send and what must come of it.
type Plan struct {
	Deliveries []Delivery
	Orders     []string        // every order id the deliveries carry, once
	Unmapped   map[string]bool // orders that must end REJECTED
	Emails     []string        // every customer email
}

// Demo makes n orders: a quarter from dealers in one batch (sent twice), the rest marketplace
// purchases from about n/3 customers, one in ten delivered twice, one with a product the mapping
// does not know.
func Demo(n int, now time.Time) Plan {
	p := Plan{Unmapped: map[string]bool{}}
	emails := map[string]bool{}
	dealers := n / 4
	var purchases []string
	for i := range dealers {
		ext := fmt.Sprintf("WBZ-%s-%04d", now.UTC().Format("20060102"), i+1)
		email := fmt.Sprintf("vertrieb%d@presse-%d.example", i%10, i%10)
		offer := "WBZ-PRINT-12M"
		if i%3 == 0 {
			offer = "WBZ-DIGITAL-12M"
		}
		purchases = append(purchases, DealerPurchase(ext, email, "Nord", fmt.Sprintf("47%02d", i%10), offer, 5+i%20))
		p.Orders = append(p.Orders, "dealer-"+ext)
		emails[email] = true
	}
	if dealers > 0 {
		batch := DealerBatch(purchases...)
		p.Deliveries = append(p.Deliveries, Delivery{Kind: Dealer, Body: batch}, Delivery{Kind: Dealer, Body: batch, Duplicate: true})
	}
	customers := max((n-dealers)/3, 1)
	base := int(now.Unix()%100000) * 10
	for i := range n - dealers {
		id := base + i
		email := fmt.Sprintf("kunde%d@example.com", i%customers)
		variation := []string{"1338", "1339"}[i%2]
		if i == 7 {
			variation = "9999" // not in the mapping: must be kept, REJECTED, never dropped
			p.Unmapped[fmt.Sprintf("mkt-%d", id)] = true
		}
		body := MarketplacePurchase(id, email, variation, "1", now)
		p.Deliveries = append(p.Deliveries, Delivery{Kind: Marketplace, Body: body})
		if i%10 == 3 {
			p.Deliveries = append(p.Deliveries, Delivery{Kind: Marketplace, Body: body, Duplicate: true})
		}
		p.Orders = append(p.Orders, fmt.Sprintf("mkt-%d", id))
		emails[email] = true
	}
	for e := range emails {
		p.Emails = append(p.Emails, e)
	}
	return p
}
