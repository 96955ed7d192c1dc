package plentysim

import (
	"math/big"
	"strconv"
	"strings"
	"time"
)

// The merchant's side: orders arrive in the shop, the merchant moves them between statuses in the
// back end, and returns are booked. Tests drive it with AddOrder, MoveOrder and AddReturn and read the
// result with Order. These helpers panic on an unknown order id or a status the system does not have:
// both are mistakes in the test.

// Order type ids (Order.typeId) the simulator creates.
const (
	TypeSalesOrder = 1
	TypeReturn     = 3
)

// Order item type ids (OrderItem.typeId) the simulator writes.
const (
	ItemVariation    = 1
	ItemCoupon       = 4 // promotional coupon
	ItemShippingCost = 6
)

// Order property type ids the simulator writes.
const (
	PropWarehouse       = 1
	PropShippingProfile = 2
	PropPaymentMethod   = 3
	PropPaymentStatus   = 4
	PropDocumentLang    = 6
	PropExternalOrderID = 7
	PropCouponCode      = 18
)

// Item is an order line of a variation. Decimals are text.
type Item struct {
	VariationID          int
	Name                 string
	Quantity             string // "" means 1
	PriceGross, PriceNet string // per unit
}

// NewOrder is an order as it arrives in the shop. One address serves as the billing address
// (addressRelations typeId 1) and the delivery address (typeId 2); Email and Phone become its
// options (typeId 5 and 4).
type NewOrder struct {
	Email, FirstName, LastName, Company          string
	Street, HouseNumber, PostalCode, Town, Phone string
	CountryID                                    int    // plentymarkets' country id (Germany 1); 0 means 1
	Lang                                         string // the document language (property 6); "" means "de"
	Items                                        []Item
	ShippingGross, ShippingNet                   string // the shipping-cost line (typeId 6); "" means 0
	CouponCode                                   string // order property 18
	// CouponGross and CouponNet, when set, add a typeId 4 promotional coupon line worth that much
	// off (written negative, as plentymarkets writes discounts).
	CouponGross, CouponNet string
	PaymentMethodID        int    // order property 3; 0 leaves it out
	ExternalOrderID        string // order property 7, the shop's order number; "" leaves it out
	Status                 Status // "" means 5
}

// Package is a shipping package of an order.
type Package struct {
	ID, PackageID, PackageType int
	PackageNumber              string
}

// OrderState is what the simulator holds about an order, for assertions.
type OrderState struct {
	ID, TypeID    int
	Status        Status
	Packages      []Package      // every package, an empty placeholder included
	Properties    map[int]string // by property typeId
	StatusHistory []Status       // the statuses the order entered, oldest first
}

// order is an order as the simulator keeps it.
type order struct {
	id, typeID int
	status     Status
	created    time.Time
	updated    time.Time
	contactID  int
	addr       address
	items      []*item
	props      []prop
	parent     *orderRef // a return's reference to its sales order
	packages   []*pkg
	ownerID    int
	referrerID int
	lockStatus string
}

type prop struct {
	typeID int
	value  string
}

type item struct {
	id, typeID, variationID int
	name                    string
	qty, gross, net         *big.Rat // net and gross per unit
	parentItem              int      // a return line's sales order line
	created                 time.Time
}

type address struct {
	id                                                              int
	company, first, last, street, house, postal, town, email, phone string
	countryID                                                       int
	created                                                         time.Time
}

type orderRef struct {
	id, origin, reference int
	created               time.Time
}

type pkg struct {
	id, packageID, packageType, weight int
	number, labelPath, returnNumber    string
	volume                             *big.Rat
	created, updated                   time.Time
}

type historyEntry struct {
	id, orderID int
	status      Status
	created     time.Time
	userID      int
	text        string
}

// AddOrder adds a sales order as the shop creates it and returns its id. It is stamped with the
// clock's time and enters its status (5 by default) with a status-history entry.
func (s *Sim) AddOrder(o NewOrder) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	status := Status("5")
	if o.Status != "" {
		status = o.Status
	}
	status = s.mustKnown(status)
	now := s.now()
	email := strings.ToLower(strings.TrimSpace(o.Email))
	contact, ok := s.contacts[email]
	if !ok || email == "" {
		s.nextContact++
		contact = s.nextContact
		if email != "" {
			s.contacts[email] = contact
		}
	}
	s.nextOrder++
	s.nextAddress++
	country := o.CountryID
	if country == 0 {
		country = 1
	}
	ord := &order{id: s.nextOrder, typeID: TypeSalesOrder, status: status, created: now, updated: now,
		contactID: contact, lockStatus: "unlocked",
		addr: address{id: s.nextAddress, company: o.Company, first: o.FirstName, last: o.LastName, street: o.Street,
			house: o.HouseNumber, postal: o.PostalCode, town: o.Town, email: o.Email, phone: o.Phone,
			countryID: country, created: now}}
	for _, it := range o.Items {
		ord.items = append(ord.items, s.newItem(ItemVariation, it, now))
	}
	if o.CouponGross != "" || o.CouponNet != "" {
		g, n := mustDec("CouponGross", o.CouponGross), mustDec("CouponNet", o.CouponNet)
		ord.items = append(ord.items, &item{id: s.itemID(), typeID: ItemCoupon, name: "Coupon " + o.CouponCode,
			qty: big.NewRat(1, 1), gross: negAbs(g), net: negAbs(n), created: now})
	}
	ord.items = append(ord.items, &item{typeID: ItemShippingCost, name: "Shipping Costs", qty: big.NewRat(1, 1),
		gross: mustDec("ShippingGross", o.ShippingGross), net: mustDec("ShippingNet", o.ShippingNet)})
	lang := o.Lang
	if lang == "" {
		lang = "de"
	}
	if o.PaymentMethodID != 0 {
		ord.props = append(ord.props, prop{PropPaymentMethod, strconv.Itoa(o.PaymentMethodID)})
	}
	ord.props = append(ord.props, prop{PropPaymentStatus, "fullyPaid"}, prop{PropShippingProfile, "6"},
		prop{PropWarehouse, "1"}, prop{PropDocumentLang, lang})
	if o.ExternalOrderID != "" {
		ord.props = append(ord.props, prop{PropExternalOrderID, o.ExternalOrderID})
	}
	if o.CouponCode != "" {
		ord.props = append(ord.props, prop{PropCouponCode, o.CouponCode})
	}
	if s.cfg.PagePlaceholder {
		s.nextPackage++
		ord.packages = append(ord.packages, &pkg{id: s.nextPackage, created: now, updated: now})
	}
	s.insert(ord)
	s.record(ord, status, merchantUserID, "Order created")
	return ord.id
}

// negAbs is -|r|.
func negAbs(r *big.Rat) *big.Rat {
	out := new(big.Rat).Abs(r)
	return out.Neg(out)
}

func (s *Sim) itemID() int {
	s.nextItem++
	return s.nextItem
}

// newItem makes a variation line; the caller holds s.mu.
func (s *Sim) newItem(typeID int, it Item, now time.Time) *item {
	q := big.NewRat(1, 1)
	if it.Quantity != "" {
		q = mustDec("Quantity", it.Quantity)
	}
	return &item{id: s.itemID(), typeID: typeID, variationID: it.VariationID, name: it.Name, qty: q,
		gross: mustDec("PriceGross", it.PriceGross), net: mustDec("PriceNet", it.PriceNet), created: now}
}

// insert adds an order; the caller holds s.mu.
func (s *Sim) insert(o *order) {
	s.orders[o.id] = o
	s.orderIDs = append(s.orderIDs, o.id)
}

// record writes a status-history entry; the caller holds s.mu.
func (s *Sim) record(o *order, status Status, user int, text string) {
	s.nextHistory++
	s.history = append(s.history, &historyEntry{id: s.nextHistory, orderID: o.id, status: status,
		created: s.now(), userID: user, text: text})
}

// setStatus moves an order to a status with a history entry, if it is not there already; the caller
// holds s.mu.
func (s *Sim) setStatus(o *order, to Status, user int, text string) {
	if o.status == to {
		return
	}
	o.status = to
	o.updated = s.now()
	s.record(o, to, user, text)
}

// MoveOrder moves an order to a status as the merchant does in the back end (8 cancels it), with a
// status-history entry. Moving it to the status it is in changes nothing.
func (s *Sim) MoveOrder(id int, to Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.mustOrder(id)
	s.setStatus(o, s.mustKnown(to), merchantUserID, "Status changed by user")
}

// AddReturn books a return of items of a sales order: an order of its own, typeId 3, in status
// (9 when empty), whose orderReferences name the sales order as parent. Its lines reference the
// sales order's lines of the same variation. It returns the return's id.
func (s *Sim) AddReturn(salesOrderID int, items []Item, status Status) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	sales := s.mustOrder(salesOrderID)
	st := Status("9")
	if status != "" {
		st = status
	}
	st = s.mustKnown(st)
	now := s.now()
	s.nextOrder++
	ret := &order{id: s.nextOrder, typeID: TypeReturn, status: st, created: now, updated: now,
		contactID: sales.contactID, addr: sales.addr, lockStatus: "unlocked", ownerID: sales.ownerID,
		referrerID: sales.referrerID}
	for _, it := range items {
		line := s.newItem(ItemVariation, it, now)
		for _, si := range sales.items {
			if si.typeID == ItemVariation && si.variationID == it.VariationID {
				line.parentItem = si.id
				break
			}
		}
		ret.items = append(ret.items, line)
	}
	ret.props = []prop{{PropWarehouse, "1"}}
	for _, p := range sales.props {
		if p.typeID == PropExternalOrderID || p.typeID == PropDocumentLang {
			ret.props = append(ret.props, p)
		}
	}
	s.nextRef++
	ret.parent = &orderRef{id: s.nextRef, origin: rootOf(s, sales), reference: sales.id, created: now}
	s.insert(ret)
	s.record(ret, st, merchantUserID, "Return created")
	return ret.id
}

// rootOf is the first order of the chain an order was derived from; the caller holds s.mu.
func rootOf(s *Sim, o *order) int {
	for o.parent != nil {
		p := s.orders[o.parent.reference]
		if p == nil {
			break
		}
		o = p
	}
	return o.id
}

// Order returns what the simulator holds about an order.
func (s *Sim) Order(id int) (OrderState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.orders[id]
	if o == nil {
		return OrderState{}, false
	}
	st := OrderState{ID: o.id, TypeID: o.typeID, Status: o.status, Properties: map[int]string{}}
	for _, p := range o.packages {
		st.Packages = append(st.Packages, Package{ID: p.id, PackageID: p.packageID, PackageType: p.packageType,
			PackageNumber: p.number})
	}
	for _, p := range o.props {
		st.Properties[p.typeID] = p.value
	}
	for _, h := range s.history {
		if h.orderID == id {
			st.StatusHistory = append(st.StatusHistory, h.status)
		}
	}
	return st, true
}

// propsMap is an order's properties by type; the caller holds s.mu.
func (o *order) propsMap() map[int]string {
	m := map[int]string{}
	for _, p := range o.props {
		m[p.typeID] = p.value
	}
	return m
}
