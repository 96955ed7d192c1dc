package intake

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/orderhub/orderhub/shared/order"
)

// MaxDealerBatch is the most purchases one dealer batch may carry.
const MaxDealerBatch = 500

// dealerPurchase is one purchase of a dealer batch (docs/dealer-batch.md).
type dealerPurchase struct {
	ExternalSystemID literal `json:"externalSystemId"`
	Email            string  `json:"email"`
	Language         string  `json:"language"`
	DealerGroup      literal `json:"dealerGroup"`
	DealerNumber     literal `json:"dealerNumber"`
	Company          string  `json:"company"`
	FirstName        string  `json:"firstName"`
	LastName         string  `json:"lastName"`
	Country          string  `json:"country"`
	Offer            literal `json:"offer"`
	Quantity         literal `json:"quantity"`
	StartDate        string  `json:"startDate"`
	PaymentMethod    string  `json:"paymentMethod"`
	// DeliveryAddress is where a printed offer is delivered; plenigo needs it for such WBZ offers.
	DeliveryAddress *deliveryAddress `json:"deliveryAddress"`
}

type deliveryAddress struct {
	Company     string `json:"company"`
	FirstName   string `json:"firstName"`
	LastName    string `json:"lastName"`
	Street      string `json:"street"`
	HouseNumber string `json:"houseNumber"`
	PostalCode  string `json:"postalCode"`
	Town        string `json:"town"`
	Country     string `json:"country"`
}

// DealerItem is one purchase of a batch after parsing: an order, or the reason it was refused.
type DealerItem struct {
	Index            int
	ExternalSystemID string // as far as it could be read, for the per-item answer
	Order            *order.Order
	Err              *InputError
}

// ParseDealerBatch reads {"purchases":[…]}. A problem with the batch as a whole (not JSON, no
// purchases, too many, text that is not UTF-8 or a member sent twice outside the purchases) is an
// *InputError; a problem with one purchase, the sender's mistake, is reported on its item, so the
// rest of the batch still goes through. As for the marketplace, what only the mapping can fix is no
// problem here.
func ParseDealerBatch(body []byte, at time.Time, by order.Actor) ([]DealerItem, error) {
	var batch struct {
		Purchases []jsontext.Value `json:"purchases"`
	}
	// json.Unmarshal refuses anything after the value ("{…}]" as much as "{…}{…}").
	if err := json.Unmarshal(body, &batch); err != nil {
		var syn *jsontext.SyntacticError
		if !errors.As(err, &syn) || !strings.HasPrefix(string(syn.JSONPointer), "/purchases/") {
			return nil, decodeError(err, body, "")
		}
		// Text that is not Unicode, or a member sent twice, inside a purchase is that purchase's
		// problem (parseDealerPurchase); anywhere else it is the batch's.
		for _, p := range problems(body, "") {
			if !strings.HasPrefix(p.Field, "purchases[") {
				return nil, p
			}
		}
		batch.Purchases = nil
		if err := json.Unmarshal(body, &batch, lenient); err != nil {
			return nil, decodeError(err, nil, "") // not JSON after all: no purchase can be answered
		}
	}
	if batch.Purchases == nil {
		return nil, missing("purchases")
	}
	if len(batch.Purchases) == 0 {
		return nil, invalid("purchases", "must hold at least one purchase")
	}
	if len(batch.Purchases) > MaxDealerBatch {
		return nil, invalid("purchases", "holds %d purchases; send at most %d per batch", len(batch.Purchases), MaxDealerBatch)
	}
	items := make([]DealerItem, len(batch.Purchases))
	for i, raw := range batch.Purchases {
		items[i] = parseDealerPurchase(i, raw, at, by)
	}
	return items, nil
}

// lenient reads text that is not Unicode (repairing it) and members sent twice, for what is read
// after such a problem was found and answered.
var lenient = json.JoinOptions(jsontext.AllowInvalidUTF8(true), jsontext.AllowDuplicateNames(true))

func parseDealerPurchase(i int, raw jsontext.Value, at time.Time, by order.Actor) DealerItem {
	item := DealerItem{Index: i}
	f := func() string { return "purchases[" + strconv.Itoa(i) + "]" }
	var p dealerPurchase
	if err := json.Unmarshal(raw, &p); err != nil {
		item.Err = decodeError(err, raw, f())
		if item.Err.Code == "invalid_utf8" && item.Err.Field != f()+".externalSystemId" {
			// The answer names the purchase by its id where that is readable.
			var lp dealerPurchase
			_ = json.Unmarshal(raw, &lp, lenient)
			item.ExternalSystemID = lp.ExternalSystemID.text
		}
		return item
	}
	item.ExternalSystemID = p.ExternalSystemID.text
	if item.Order, item.Err = dealerOrder(&p, at, by); item.Err != nil {
		item.Err.within(f())
	}
	return item
}

// dealerOrder makes the order of one purchase; a problem names the field within the purchase.
func dealerOrder(p *dealerPurchase, at time.Time, by order.Actor) (*order.Order, *InputError) {
	ext, ierr := p.ExternalSystemID.id("externalSystemId", order.MaxExternalIDLen-len(order.SourceDealer)-1)
	if ierr != nil {
		return nil, ierr
	}
	mail, ierr := email("email", p.Email)
	if ierr != nil {
		return nil, ierr
	}
	lang, ierr := language("language", p.Language)
	if ierr != nil {
		return nil, ierr
	}
	group, ierr := p.DealerGroup.name("dealerGroup", 200)
	if ierr != nil {
		return nil, ierr
	}
	number, ierr := p.DealerNumber.name("dealerNumber", 200)
	if ierr != nil {
		return nil, ierr
	}
	product, ierr := p.Offer.id("offer", 64)
	if ierr != nil {
		return nil, ierr
	}
	qty, ierr := p.Quantity.quantity("quantity")
	if ierr != nil {
		return nil, ierr
	}
	start, ierr := date("startDate", p.StartDate)
	if ierr != nil {
		return nil, ierr
	}
	// The payment method is looked up in the mapping as sent, so it is not cut short: a blank or
	// overlong one is the sender's mistake, while one the mapping does not know yet is a gap in the
	// configuration (the order is stored REJECTED until the mapping has it).
	method := strings.TrimSpace(p.PaymentMethod)
	if method == "" {
		return nil, missing("paymentMethod")
	}
	if len(method) > 64 {
		return nil, invalid("paymentMethod", "is longer than 64 characters")
	}
	o, err := order.New(order.SourceDealer, ext, at, by)
	if err != nil {
		return nil, invalid("externalSystemId", "%v", err)
	}
	o.Customer = order.Customer{
		Email:     mail,
		Language:  lang,
		FirstName: text(p.FirstName, 100),
		LastName:  text(p.LastName, 100),
		Address:   order.Address{Company: text(p.Company, 100), Country: strings.ToUpper(text(p.Country, 2))},
	}
	o.Dealer = &order.Dealer{Group: group, Number: number}
	if d := p.DeliveryAddress; d != nil {
		a := order.Address{Company: text(d.Company, 100), FirstName: text(d.FirstName, 100), LastName: text(d.LastName, 100),
			Street: text(d.Street, 100), HouseNumber: text(d.HouseNumber, 100), PostalCode: text(d.PostalCode, 100),
			Town: text(d.Town, 100), Country: strings.ToUpper(text(d.Country, 2))}
		for _, req := range [][2]string{{"street", a.Street}, {"postalCode", a.PostalCode}, {"town", a.Town}, {"country", a.Country}} {
			if req[1] == "" {
				return nil, missing("deliveryAddress." + req[0])
			}
		}
		if a.Company == "" && (a.FirstName == "" || a.LastName == "") {
			return nil, missing("deliveryAddress.company")
		}
		o.Dealer.Delivery = &a
	}
	o.Items = []order.Item{{Product: product, Quantity: qty}}
	o.Payment = order.Payment{Method: method}
	o.StartDate = start
	o.PlacedAt = o.ReceivedAt
	return o, nil
}
