package loyalty

import "github.com/orderhub/orderhub/shared/order"

// Cent is one hundredth in order.Decimal units.
const cent = order.DecimalScale / 100

// Total is what the customer paid for the goods, the amount points are earned on: each item's net
// unit price times its quantity, less every discount's net amount (coupons, promotions, gift cards),
// without shipping and taxes, rounded half up to the cent. An item without a net price counts
// with its gross price (see docs/decisions.md). Never below zero.
func Total(o *order.Order) order.Decimal {
	var sum order.Decimal
	for _, it := range o.Items {
		sum += netUnit(it).Times(it.Quantity)
	}
	for _, d := range o.Discounts {
		sum -= net(d.Amount)
	}
	return max(toCents(sum), 0)
}

// ReturnValue is the amount a return takes back: the net value of the returned items, less their
// share of the discounts (in proportion to the goods' value), rounded half up to the cent.
func ReturnValue(o *order.Order, r order.Return) order.Decimal {
	var goods, back order.Decimal
	unit := map[string]order.Decimal{}
	for _, it := range o.Items {
		goods += netUnit(it).Times(it.Quantity)
		if _, ok := unit[it.Product]; !ok {
			unit[it.Product] = netUnit(it)
		}
	}
	for _, ri := range r.Items {
		back += unit[ri.Product].Times(ri.Quantity)
	}
	var discounts order.Decimal
	for _, d := range o.Discounts {
		discounts += net(d.Amount)
	}
	if goods > 0 && discounts > 0 {
		back -= order.Decimal(int64(discounts) * int64(back) / int64(goods))
	}
	return max(toCents(back), 0)
}

func netUnit(it order.Item) order.Decimal { return net(it.Price) }

func net(m order.Money) order.Decimal {
	if m.Net == 0 {
		return m.Gross
	}
	return m.Net
}

// toCents rounds half away from zero to two decimals.
func toCents(d order.Decimal) order.Decimal {
	if d < 0 {
		return -toCents(-d)
	}
	return (d + cent/2) / cent * cent
}
