package intake

import (
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"

	"github.com/orderhub/orderhub/shared/order"
)

// MarketplacePurchaseType is the only webhook type plentyMarketplace sends for a service purchase.
const MarketplacePurchaseType = "SERVICE.PLUGIN.PURCHASE"

// marketplaceEvent is the plentyMarketplace webhook body (partner-apis 2.9). Every field is optional on
// the wire; ParseMarketplace says which ones an order cannot do without.
type marketplaceEvent struct {
	ID        string  `json:"id"`
	Type      string  `json:"type"`
	CreatedAt literal `json:"createdAt"`
	Resource  *struct {
		Contact *struct {
			ID        literal `json:"id"`
			Gender    string  `json:"gender"`
			FirstName string  `json:"firstName"`
			LastName  string  `json:"lastName"`
			Email     string  `json:"email"`
			UpdatedAt literal `json:"updatedAt"`
		} `json:"contact"`
		Address *struct {
			ID          literal `json:"id"`
			CompanyName string  `json:"companyName"`
			FirstName   string  `json:"firstName"`
			LastName    string  `json:"lastName"`
			Street      string  `json:"street"`
			HouseNumber string  `json:"houseNumber"`
			Additional  string  `json:"additional"`
			PostalCode  string  `json:"postalCode"`
			Town        string  `json:"town"`
			Country     string  `json:"country"`
			Phone       string  `json:"phone"`
			Email       string  `json:"email"`
			UpdatedAt   literal `json:"updatedAt"`
		} `json:"address"`
		Order *struct {
			ID                  literal           `json:"id"`
			PayPalTransactionID string            `json:"payPalTransactionId"`
			OrderItems          []marketplaceItem `json:"orderItems"`
		} `json:"order"`
	} `json:"resource"`
}

type marketplaceItem struct {
	ItemVariationID literal `json:"itemVariationId"`
	Quantity        literal `json:"quantity"`
	OrderItemName   string  `json:"orderItemName"`
	PriceGross      literal `json:"priceGross"`
	PriceNet        literal `json:"priceNet"`
}

// item reads one order item; a problem names the field within the item.
func (it *marketplaceItem) item() (order.Item, *InputError) {
	var item order.Item
	var ierr *InputError
	if item.Product, ierr = it.ItemVariationID.id("itemVariationId", 64); ierr != nil {
		return item, ierr
	}
	if item.Quantity, ierr = it.Quantity.quantity("quantity"); ierr != nil {
		return item, ierr
	}
	if item.Price.Gross, ierr = it.PriceGross.decimal("priceGross"); ierr != nil {
		return item, ierr
	}
	if item.Price.Net, ierr = it.PriceNet.optionalDecimal("priceNet"); ierr != nil {
		return item, ierr
	}
	if item.Price.Gross < 0 || item.Price.Net < 0 {
		return item, invalid("", "prices must not be negative")
	}
	item.Name = text(it.OrderItemName, 200)
	return item, nil
}

// Marketplace payment methods as the mapping file names them: the webhook only tells whether PayPal
// was used.
const (
	MarketplacePayPal = "paypal"
	MarketplaceNone   = "none"
)

// ParseMarketplace turns a SERVICE.PLUGIN.PURCHASE webhook into a RECEIVED order with id
// mkt-<order id>. Any problem with the body is an *InputError, the sender's mistake answered 400:
// among them text that is not UTF-8 and quantities plenigo cannot import. What only the mapping can
// fix (an unknown item or payment method) is not a problem here; Service.Accept stores it REJECTED.
// Strings are stored decoded ("47\/11" is 47/11).
func ParseMarketplace(body []byte, at time.Time, by order.Actor) (*order.Order, error) {
	var ev marketplaceEvent
	// One pass: json.Unmarshal refuses what is not JSON, anything after the value ("{…}]" as much as
	// "{…}{…}"), text that is not Unicode and a member sent twice. Member names match exactly.
	if err := json.Unmarshal(body, &ev); err != nil {
		return nil, decodeError(err, body, "")
	}
	if ev.ID == "" {
		return nil, missing("id")
	}
	if len(ev.ID) > 200 {
		return nil, invalid("id", "is longer than 200 characters")
	}
	if ev.Type == "" {
		return nil, missing("type")
	}
	if ev.Type != MarketplacePurchaseType {
		return nil, invalid("type", "must be %s", MarketplacePurchaseType)
	}
	r := ev.Resource
	if r == nil {
		return nil, missing("resource")
	}
	if r.Order == nil {
		return nil, missing("resource.order")
	}
	if r.Contact == nil {
		return nil, missing("resource.contact")
	}
	orderID, ierr := r.Order.ID.id("resource.order.id", order.MaxExternalIDLen-len(order.SourceMarketplace)-1)
	if ierr != nil {
		return nil, ierr
	}
	mail, ierr := email("resource.contact.email", r.Contact.Email)
	if ierr != nil {
		return nil, ierr
	}
	if len(r.Order.OrderItems) == 0 {
		return nil, missing("resource.order.orderItems")
	}
	placed, ierr := unixTime("createdAt", ev.CreatedAt)
	if ierr != nil {
		return nil, ierr
	}

	o, err := order.New(order.SourceMarketplace, orderID, at, by)
	if err != nil {
		return nil, invalid("resource.order.id", "%v", err)
	}
	o.EventID = ev.ID
	o.PlacedAt = placed
	if o.PlacedAt.IsZero() {
		o.PlacedAt = o.ReceivedAt
	}
	o.StartDate = o.PlacedAt
	o.Items = make([]order.Item, len(r.Order.OrderItems))
	for i, it := range r.Order.OrderItems {
		if o.Items[i], ierr = it.item(); ierr != nil {
			return nil, ierr.within("resource.order.orderItems[" + strconv.Itoa(i) + "]")
		}
	}

	c := r.Contact
	o.Customer = order.Customer{
		Email:     mail,
		Gender:    strings.ToLower(strings.TrimSpace(c.Gender)),
		FirstName: text(c.FirstName, 100),
		LastName:  text(c.LastName, 100),
	}
	if o.Customer.SourceID, ierr = c.ID.optionalName("resource.contact.id", 200); ierr != nil {
		return nil, ierr
	}
	details := order.SourceDetails{}
	detail := func(key, field string, l literal) *InputError {
		v, ierr := l.optionalName(field, 200)
		if v != "" {
			details[key] = v
		}
		return ierr
	}
	if a := r.Address; a != nil {
		o.Customer.Address = order.Address{
			Company:     text(a.CompanyName, 100),
			FirstName:   text(a.FirstName, 100),
			LastName:    text(a.LastName, 100),
			Street:      text(a.Street, 100),
			HouseNumber: text(a.HouseNumber, 20),
			Additional:  text(a.Additional, 100),
			PostalCode:  text(a.PostalCode, 20),
			Town:        text(a.Town, 100),
			Country:     strings.ToUpper(text(a.Country, 2)),
			Phone:       text(a.Phone, 50),
			Email:       strings.ToLower(text(a.Email, 100)),
		}
		if ierr := detail("addressId", "resource.address.id", a.ID); ierr != nil {
			return nil, ierr
		}
		if ierr := detail("addressUpdatedAt", "resource.address.updatedAt", a.UpdatedAt); ierr != nil {
			return nil, ierr
		}
	}
	if ierr := detail("contactUpdatedAt", "resource.contact.updatedAt", c.UpdatedAt); ierr != nil {
		return nil, ierr
	}
	if len(details) > 0 {
		o.SourceDetails = details
	}
	o.Payment = order.Payment{Method: MarketplaceNone}
	if tx := text(r.Order.PayPalTransactionID, 100); tx != "" {
		o.Payment = order.Payment{Method: MarketplacePayPal, TransactionID: tx}
	}
	return o, nil
}

// unixTime reads seconds since the epoch; absent is the zero time.
func unixTime(field string, l literal) (time.Time, *InputError) {
	if l.kind == absent {
		return time.Time{}, nil
	}
	n, err := strconv.ParseInt(l.text, 10, 64)
	if err != nil || n < 0 || n > 1<<33 {
		return time.Time{}, invalid(field, "must be a Unix timestamp in seconds")
	}
	return time.Unix(n, 0).UTC(), nil
}
