package plentysync

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/plenty"
)

// With are the relations an order is pulled with: without them plentymarkets' search answers bare
// orders, without items, properties or addresses.
var With = []string{"addresses", "addressRelations", "properties", "orderItems", "orderItems.variation", "orderReferences"}

// FromPlenty makes the order plentymarkets' order p becomes: id plenty-<id>; the buyer from the
// billing address (delivery when there is none), with plentymarkets' country id in ISO through
// countries; variation lines as items; shipping-cost lines as shipping; coupon and gift-card lines
// as discounts (with the coupon code of property 18); other lines kept in the source details for
// the record. Prices are the system currency's, as text, never floats. What only the mapping can
// fix is no error here: the mapping rejects it later, with a reason.
func FromPlenty(p plenty.Order, countries map[int]string, at time.Time, by order.Actor) (*order.Order, error) {
	o, err := order.New(order.SourcePlenty, strconv.Itoa(p.ID), at, by)
	if err != nil {
		return nil, err
	}
	addr, ok := p.Address(plenty.AddressBilling)
	if !ok {
		addr, _ = p.Address(plenty.AddressDelivery)
	}
	// An order without an email is still taken: plenigo refuses the customer, and the order gets the
	// address-error status, which is where plentymarkets' users fix it.
	email, phone := option(addr, optionEmail), option(addr, optionPhone)
	o.Customer = order.Customer{
		Email: strings.ToLower(strings.TrimSpace(email)), FirstName: addr.Name2, LastName: addr.Name3,
		SourceID: sourceID(addr.ID),
		Address: order.Address{Company: addr.Name1, FirstName: addr.Name2, LastName: addr.Name3, Street: addr.Address1,
			HouseNumber: addr.Address2, Additional: addr.Address3, PostalCode: addr.PostalCode, Town: addr.Town,
			Country: countries[addr.CountryID], Phone: phone, Email: strings.ToLower(strings.TrimSpace(email))},
	}
	if lang, ok := p.Property(propertyDocumentLanguage); ok {
		o.Customer.Language = strings.ToLower(lang)
	}
	details := order.SourceDetails{"plentyStatus": string(p.Status.Canonical())}
	if ext, ok := p.Property(plenty.PropertyExternalOrderID); ok {
		details["externalOrderId"] = ext
	}
	if addr.CountryID != 0 && o.Customer.Address.Country == "" {
		details["countryId"] = strconv.Itoa(addr.CountryID) // not in plenty.countries of the mapping
	}
	coupon, _ := p.Property(plenty.PropertyCouponCode)
	for _, it := range p.Items {
		price, err := amount(it)
		if err != nil {
			return nil, fmt.Errorf("plentymarkets order %d, line %d: %w", p.ID, it.ID, err)
		}
		qty, err := order.ParseDecimal(string(it.Quantity))
		if err != nil {
			return nil, fmt.Errorf("plentymarkets order %d, line %d: quantity %q: %w", p.ID, it.ID, it.Quantity, err)
		}
		switch it.TypeID {
		case plenty.ItemVariation:
			o.Items = append(o.Items, order.Item{Product: strconv.Itoa(it.VariationID), Name: it.Name, Quantity: qty, Price: price})
		case plenty.ItemShippingCosts:
			o.Shipping.Gross += price.Gross.Times(qty)
			o.Shipping.Net += price.Net.Times(qty)
		case plenty.ItemCoupon, itemGiftCard:
			kind := "coupon"
			if it.TypeID == itemGiftCard {
				kind = "gift_card"
			}
			d := order.Discount{Kind: kind, Amount: order.Money{Gross: -price.Gross.Times(qty), Net: -price.Net.Times(qty)}}
			if kind == "coupon" {
				d.Code, coupon = coupon, ""
			}
			o.Discounts = append(o.Discounts, d)
		default:
			details[fmt.Sprintf("line%d", it.ID)] = fmt.Sprintf("type %d: %s, %s × %s", it.TypeID, it.Name, qty, price.Gross)
		}
	}
	if coupon != "" { // a code without a coupon line: kept, so BonifiQ hears of it
		o.Discounts = append(o.Discounts, order.Discount{Kind: "coupon", Code: coupon})
	}
	if m, ok := p.Property(plenty.PropertyPaymentMethod); ok {
		o.Payment.Method = m
	}
	o.PlacedAt = p.CreatedAt.UTC()
	if o.PlacedAt.IsZero() {
		o.PlacedAt = at.UTC()
	}
	o.StartDate = o.PlacedAt
	o.SourceDetails = details
	return o, nil
}

// Values of plentymarkets' enums the client does not name.
const (
	itemGiftCard             = 5
	propertyDocumentLanguage = 6
	optionPhone              = 4
	optionEmail              = 5
)

func option(a plenty.Address, typeID int) string {
	for _, o := range a.Options {
		if o.TypeID == typeID {
			return o.Value
		}
	}
	return ""
}

// amount is a line's unit price in the system currency (the first amount when none says so).
func amount(it plenty.OrderItem) (order.Money, error) {
	if len(it.Amounts) == 0 {
		return order.Money{}, nil
	}
	a := it.Amounts[0]
	for _, x := range it.Amounts {
		if x.IsSystemCurrency {
			a = x
			break
		}
	}
	var m order.Money
	var err error
	if a.PriceGross != "" {
		if m.Gross, err = order.ParseDecimal(string(a.PriceGross)); err != nil {
			return m, fmt.Errorf("priceGross %q: %w", a.PriceGross, err)
		}
	}
	if a.PriceNet != "" {
		if m.Net, err = order.ParseDecimal(string(a.PriceNet)); err != nil {
			return m, fmt.Errorf("priceNet %q: %w", a.PriceNet, err)
		}
	}
	return m, nil
}

func sourceID(id int) string {
	if id == 0 {
		return ""
	}
	return strconv.Itoa(id)
}
