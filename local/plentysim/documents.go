package plentysim

import (
	"encoding/json"
	"math/big"
	"sort"
	"strconv"
)

// The order as plentymarkets writes it. The shapes follow plentymarkets' guide (its worked example
// of order 630 and its order-search example) and the schemas of its OpenAPI description, types
// included where they are odd: a line's "position" is a string, a search entry's "locationId" and
// "ownerId" are strings, the shipping-cost line has "id": 0 and fewer fields than the others, and
// statusId is an integer for whole statuses and a decimal for the others.

// Relation names, as with[] takes them.
const (
	relAmounts          = "amounts"
	relProperties       = "properties"
	relDates            = "dates"
	relAddressRelations = "addressRelations"
	relRelations        = "relations"
	relOrderReferences  = "orderReferences"
	relOrderItems       = "orderItems"
	relVariation        = "orderItems.variation"
	relAddresses        = "addresses"
	relPackages         = "shippingPackages"
	relOriginReferences = "originOrderReferences"
	relComments         = "comments"
)

// defaultRelations are what an order carries when it is not lazy loaded: what GET
// /rest/orders/{id} answers without with[].
var defaultRelations = []string{relAmounts, relProperties, relDates, relAddressRelations, relRelations,
	relOrderReferences, relOrderItems}

// simulatedWith are the with[] values the simulator fills.
var simulatedWith = map[string]bool{relAmounts: true, relProperties: true, relDates: true,
	relAddressRelations: true, relRelations: true, relOrderReferences: true, relOrderItems: true,
	relVariation: true, relAddresses: true, relPackages: true, relOriginReferences: true, relComments: true}

// documentedWith are the with[] values plentymarkets documents for orders that the simulator does not
// fill: asking for them answers 501.
var documentedWith = map[string]bool{"location": true, "payments": true, "documents": true,
	"contactSender": true, "contactReceiver": true, "warehouseSender": true, "warehouseReceiver": true,
	"orderItems.variation.propertiesV2": true, "orderItems.giftCardCodes": true,
	"orderItems.transactions": true, "orderItems.serialNumbers": true, "orderItems.variationBarcodes": true,
	"orderItems.comments": true, "shippingPackages.items": true, "shippingInformation": true,
	"paymentTerms": true, "shippingPallets": true, "orderItems.warehouseLocations": true}

type orderDoc struct {
	ID                    int            `json:"id"`
	TypeID                int            `json:"typeId"`
	PlentyID              int            `json:"plentyId"`
	LocationID            any            `json:"locationId"`
	StatusID              json.Number    `json:"statusId"`
	StatusName            string         `json:"statusName,omitempty"`
	OwnerID               any            `json:"ownerId"`
	ReferrerID            json.Number    `json:"referrerId"`
	LockStatus            string         `json:"lockStatus"`
	RoundTotalsOnly       bool           `json:"roundTotalsOnly"`
	NumberOfDecimals      int            `json:"numberOfDecimals"`
	CreatedAt             string         `json:"createdAt"`
	UpdatedAt             string         `json:"updatedAt"`
	Amounts               *[]amountDoc   `json:"amounts,omitempty"`
	Properties            *[]propDoc     `json:"properties,omitempty"`
	Dates                 *[]dateDoc     `json:"dates,omitempty"`
	AddressRelations      *[]addrRelDoc  `json:"addressRelations,omitempty"`
	Relations             *[]relationDoc `json:"relations,omitempty"`
	OrderReferences       *[]orderRefDoc `json:"orderReferences,omitempty"`
	OrderItems            *[]itemDoc     `json:"orderItems,omitempty"`
	Addresses             *[]addressDoc  `json:"addresses,omitempty"`
	ShippingPackages      *[]packageDoc  `json:"shippingPackages,omitempty"`
	OriginOrderReferences *[]orderRefDoc `json:"originOrderReferences,omitempty"`
	Comments              *[]struct{}    `json:"comments,omitempty"`
}

type amountDoc struct {
	ID               int         `json:"id"`
	OrderID          int         `json:"orderId"`
	IsSystemCurrency bool        `json:"isSystemCurrency"`
	IsNet            bool        `json:"isNet"`
	Currency         string      `json:"currency"`
	ExchangeRate     json.Number `json:"exchangeRate"`
	NetTotal         json.Number `json:"netTotal"`
	GrossTotal       json.Number `json:"grossTotal"`
	VatTotal         json.Number `json:"vatTotal"`
	InvoiceTotal     json.Number `json:"invoiceTotal"`
	PaidAmount       json.Number `json:"paidAmount"`
	GiftCardAmount   json.Number `json:"giftCardAmount"`
	CreatedAt        string      `json:"createdAt"`
	UpdatedAt        string      `json:"updatedAt"`
	PrepaidAmount    json.Number `json:"prepaidAmount"`
	Vats             []vatDoc    `json:"vats"`
}

type vatDoc struct {
	ID            int         `json:"id"`
	OrderAmountID int         `json:"orderAmountId"`
	CountryVatID  int         `json:"countryVatId"`
	VatField      int         `json:"vatField"`
	VatRate       json.Number `json:"vatRate"`
	Value         json.Number `json:"value"`
	CreatedAt     string      `json:"createdAt"`
	UpdatedAt     string      `json:"updatedAt"`
	NetTotal      json.Number `json:"netTotal"`
	GrossTotal    json.Number `json:"grossTotal"`
}

type propDoc struct {
	OrderID int    `json:"orderId"`
	TypeID  int    `json:"typeId"`
	Value   string `json:"value"`
}

type dateDoc struct {
	OrderID int    `json:"orderId"`
	TypeID  int    `json:"typeId"`
	Date    string `json:"date"`
}

type addrRelDoc struct {
	OrderID   int `json:"orderId"`
	TypeID    int `json:"typeId"`
	AddressID int `json:"addressId"`
}

type relationDoc struct {
	OrderID       int    `json:"orderId"`
	ReferenceType string `json:"referenceType"`
	ReferenceID   int    `json:"referenceId"`
	Relation      string `json:"relation"`
}

type orderRefDoc struct {
	ID               int    `json:"id"`
	OrderID          int    `json:"orderId"`
	OriginOrderID    int    `json:"originOrderId"`
	ReferenceOrderID int    `json:"referenceOrderId"`
	ReferenceType    string `json:"referenceType"`
	CreatedAt        string `json:"createdAt"`
	UpdatedAt        string `json:"updatedAt"`
}

type itemDoc struct {
	ID                int            `json:"id"`
	OrderID           int            `json:"orderId"`
	TypeID            int            `json:"typeId"`
	ReferrerID        json.Number    `json:"referrerId"`
	ItemVariationID   int            `json:"itemVariationId"`
	Quantity          json.Number    `json:"quantity"`
	OrderItemName     string         `json:"orderItemName"`
	AttributeValues   *string        `json:"attributeValues"`
	ShippingProfileID int            `json:"shippingProfileId"`
	CountryVatID      *int           `json:"countryVatId,omitempty"`
	VatField          int            `json:"vatField"`
	VatRate           json.Number    `json:"vatRate"`
	Position          *string        `json:"position,omitempty"`
	CreatedAt         string         `json:"createdAt,omitempty"`
	UpdatedAt         string         `json:"updatedAt,omitempty"`
	WarehouseID       *int           `json:"warehouseId,omitempty"`
	Amounts           []itemAmount   `json:"amounts"`
	Properties        *[]itemPropDoc `json:"properties,omitempty"`
	Dates             *[]struct{}    `json:"dates,omitempty"`
	References        *[]itemRefDoc  `json:"references,omitempty"`
	Variation         *variationDoc  `json:"variation,omitempty"`
}

type itemAmount struct {
	ID                 int         `json:"id,omitempty"`
	OrderItemID        int         `json:"orderItemId"`
	IsSystemCurrency   bool        `json:"isSystemCurrency"`
	Currency           string      `json:"currency"`
	ExchangeRate       json.Number `json:"exchangeRate"`
	PurchasePrice      json.Number `json:"purchasePrice,omitempty"`
	PriceOriginalGross json.Number `json:"priceOriginalGross"`
	PriceOriginalNet   json.Number `json:"priceOriginalNet"`
	PriceGross         json.Number `json:"priceGross"`
	PriceNet           json.Number `json:"priceNet"`
	Surcharge          json.Number `json:"surcharge,omitempty"`
	Discount           json.Number `json:"discount,omitempty"`
	IsPercentage       *bool       `json:"isPercentage,omitempty"`
	CreatedAt          string      `json:"createdAt,omitempty"`
	UpdatedAt          string      `json:"updatedAt,omitempty"`
}

type itemPropDoc struct {
	ID          int    `json:"id"`
	OrderItemID int    `json:"orderItemId"`
	TypeID      int    `json:"typeId"`
	Value       string `json:"value"`
	CreatedAt   string `json:"createdAt"`
	UpdatedAt   string `json:"updatedAt"`
}

type itemRefDoc struct {
	ID                   int    `json:"id"`
	OrderItemID          int    `json:"orderItemId"`
	ReferenceOrderItemID int    `json:"referenceOrderItemId"`
	ReferenceType        string `json:"referenceType"`
	CreatedAt            string `json:"createdAt"`
	UpdatedAt            string `json:"updatedAt"`
}

// variationDoc is the variation with[]=orderItems.variation adds to a variation line. plentymarkets'
// description does not spell it out; the simulator writes the variation's main fields.
type variationDoc struct {
	ID         int    `json:"id"`
	ItemID     int    `json:"itemId"`
	IsMain     bool   `json:"isMain"`
	IsActive   bool   `json:"isActive"`
	Number     string `json:"number"`
	Model      string `json:"model"`
	ExternalID string `json:"externalId"`
}

// addressDoc is plentymarkets' Address: name1 company, name2 first name, name3 last name, name4 c/o,
// address1 street, address2 house number, address3 additional, a numeric countryId, the read-only
// aliases, and the options (typeId 5 email, 4 phone) with their aliases email and phone.
type addressDoc struct {
	ID            int         `json:"id"`
	Gender        *string     `json:"gender"`
	Name1         string      `json:"name1"`
	Name2         string      `json:"name2"`
	Name3         string      `json:"name3"`
	Name4         string      `json:"name4"`
	Address1      string      `json:"address1"`
	Address2      string      `json:"address2"`
	Address3      string      `json:"address3"`
	Address4      string      `json:"address4"`
	PostalCode    string      `json:"postalCode"`
	Town          string      `json:"town"`
	CountryID     int         `json:"countryId"`
	StateID       *int        `json:"stateId"`
	ReadOnly      bool        `json:"readOnly"`
	CheckedAt     *string     `json:"checkedAt"`
	CreatedAt     string      `json:"createdAt"`
	UpdatedAt     string      `json:"updatedAt"`
	CompanyName   string      `json:"companyName"`
	FirstName     string      `json:"firstName"`
	LastName      string      `json:"lastName"`
	CareOf        string      `json:"careOf"`
	Street        string      `json:"street"`
	HouseNumber   string      `json:"houseNumber"`
	Additional    string      `json:"additional"`
	Email         string      `json:"email"`
	Phone         string      `json:"phone"`
	IsPackstation bool        `json:"isPackstation"`
	IsPostfiliale bool        `json:"isPostfiliale"`
	Options       []optionDoc `json:"options"`
}

type optionDoc struct {
	ID        int    `json:"id"`
	AddressID int    `json:"addressId"`
	TypeID    int    `json:"typeId"`
	Value     string `json:"value"`
	Position  int    `json:"position"`
	CreatedAt string `json:"createdAt"`
	UpdatedAt string `json:"updatedAt"`
}

// packageDoc is plentymarkets' OrderShippingPackage.
type packageDoc struct {
	ID                  int         `json:"id"`
	OrderID             int         `json:"orderId"`
	PackageID           int         `json:"packageId"`
	Weight              int         `json:"weight"`
	PackageNumber       string      `json:"packageNumber"`
	LabelPath           string      `json:"labelPath"`
	LabelBase64         *string     `json:"labelBase64,omitempty"`
	ExportLabelBase64   *string     `json:"exportLabelBase64,omitempty"`
	ReturnPackageNumber string      `json:"returnPackageNumber"`
	PackageType         int         `json:"packageType"`
	Volume              json.Number `json:"volume"`
	PalletID            *int        `json:"palletId"`
	IsClosed            bool        `json:"isClosed"`
	CreatedAt           string      `json:"createdAt"`
	UpdatedAt           string      `json:"updatedAt"`
	PackageSscc         *string     `json:"packageSscc"`
	Mrn                 *string     `json:"mrn"`
	AtlasRegistration   *int        `json:"atlasRegistration"`
}

// relSet is the relations a document carries.
type relSet map[string]bool

func relsOf(names ...string) relSet {
	r := relSet{}
	for _, n := range names {
		r[n] = true
	}
	if r[relVariation] {
		r[relOrderItems] = true
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// bareEntry is an order as a lazy-loaded search entry: the order's own fields, with locationId and
// ownerId as strings as plentymarkets' search example writes them; the caller holds s.mu.
func (s *Sim) bareEntry(o *order, rels relSet) orderDoc {
	d := s.orderFields(o, rels)
	d.LocationID, d.OwnerID, d.StatusName = "1", strconv.Itoa(o.ownerID), ""
	return d
}

// document is an order with the given relations, as GET /rest/orders/{id} writes it; the caller
// holds s.mu.
func (s *Sim) document(o *order, rels relSet) orderDoc { return s.orderFields(o, rels) }

func (s *Sim) orderFields(o *order, rels relSet) orderDoc {
	d := orderDoc{ID: o.id, TypeID: o.typeID, PlentyID: s.cfg.PlentyID, LocationID: 1, StatusID: o.status.number(),
		StatusName: o.status.label(), OwnerID: o.ownerID, ReferrerID: json.Number(strconv.Itoa(o.referrerID)),
		LockStatus: o.lockStatus, RoundTotalsOnly: true, NumberOfDecimals: 4, CreatedAt: w3c(o.created),
		UpdatedAt: w3c(o.updated)}
	if rels[relAmounts] {
		d.Amounts = ptr([]amountDoc{s.amount(o)})
	}
	if rels[relProperties] {
		ps := []propDoc{}
		for _, p := range o.props {
			ps = append(ps, propDoc{OrderID: o.id, TypeID: p.typeID, Value: p.value})
		}
		d.Properties = &ps
	}
	if rels[relDates] {
		d.Dates = &[]dateDoc{{o.id, 2, w3c(o.created)}, {o.id, 4, w3c(o.updated)}}
	}
	if rels[relAddressRelations] {
		d.AddressRelations = &[]addrRelDoc{{o.id, 1, o.addr.id}, {o.id, 2, o.addr.id}}
	}
	if rels[relRelations] {
		if o.typeID == TypeReturn {
			d.Relations = &[]relationDoc{{o.id, "contact", o.contactID, "sender"}, {o.id, "warehouse", 1, "receiver"}}
		} else {
			d.Relations = &[]relationDoc{{o.id, "warehouse", 1, "sender"}, {o.id, "contact", o.contactID, "receiver"}}
		}
	}
	if rels[relOrderReferences] {
		refs := []orderRefDoc{}
		if o.parent != nil {
			refs = append(refs, refDoc(o.id, o.parent))
		}
		d.OrderReferences = &refs
	}
	if rels[relOriginReferences] {
		refs := []orderRefDoc{}
		for _, id := range s.orderIDs {
			if c := s.orders[id]; c.parent != nil && (c.parent.reference == o.id || c.parent.origin == o.id) {
				refs = append(refs, refDoc(c.id, c.parent))
			}
		}
		d.OriginOrderReferences = &refs
	}
	if rels[relOrderItems] {
		items := []itemDoc{}
		for i, it := range o.items {
			items = append(items, s.itemDocument(o, it, i, rels[relVariation]))
		}
		d.OrderItems = &items
	}
	if rels[relAddresses] {
		d.Addresses = &[]addressDoc{addressDocument(o.addr)}
	}
	if rels[relPackages] {
		ps := []packageDoc{}
		for _, p := range o.packages {
			ps = append(ps, packageDocument(o.id, p, false))
		}
		d.ShippingPackages = &ps
	}
	if rels[relComments] {
		d.Comments = &[]struct{}{}
	}
	return d
}

func refDoc(orderID int, r *orderRef) orderRefDoc {
	return orderRefDoc{ID: r.id, OrderID: orderID, OriginOrderID: r.origin, ReferenceOrderID: r.reference,
		ReferenceType: "parent", CreatedAt: w3c(r.created), UpdatedAt: w3c(r.created)}
}

// vatRate is a line's VAT rate in percent, from its gross and net price (19 when they say nothing).
func vatRate(it *item) *big.Rat {
	if it.net.Sign() == 0 {
		return big.NewRat(19, 1)
	}
	r := new(big.Rat).Quo(it.gross, it.net)
	r.Sub(r, big.NewRat(1, 1))
	return round2(r.Mul(r, big.NewRat(100, 1)))
}

// vatField is the field of the German VAT configuration a rate sits in.
func vatField(rate *big.Rat) int {
	switch formatRat(rate) {
	case "19":
		return 0
	case "7":
		return 1
	case "0":
		return 3
	}
	return 2
}

// amount is the order's amounts in the system currency, summed from its lines; the caller holds s.mu.
func (s *Sim) amount(o *order) amountDoc {
	gross, net := new(big.Rat), new(big.Rat)
	type vat struct{ gross, net, rate *big.Rat }
	byRate := map[string]*vat{}
	for _, it := range o.items {
		g, n := mul(it.qty, it.gross), mul(it.qty, it.net)
		gross, net = add(gross, g), add(net, n)
		rate := vatRate(it)
		v := byRate[formatRat(rate)]
		if v == nil {
			v = &vat{new(big.Rat), new(big.Rat), rate}
			byRate[formatRat(rate)] = v
		}
		v.gross, v.net = add(v.gross, g), add(v.net, n)
	}
	gt, nt := round2(gross), round2(net)
	paid := big.NewRat(0, 1)
	if o.propsMap()[PropPaymentStatus] == "fullyPaid" {
		paid = gt
	}
	amountID := o.id - 400
	a := amountDoc{ID: amountID, OrderID: o.id, IsSystemCurrency: true, Currency: "EUR", ExchangeRate: "1",
		NetTotal: num(nt), GrossTotal: num(gt), VatTotal: num(sub(gt, nt)), InvoiceTotal: num(gt),
		PaidAmount: num(paid), GiftCardAmount: "0", PrepaidAmount: "0", CreatedAt: w3c(o.created),
		UpdatedAt: w3c(o.updated), Vats: []vatDoc{}}
	keys := make([]string, 0, len(byRate))
	for k := range byRate {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		v := byRate[k]
		vg, vn := round2(v.gross), round2(v.net)
		a.Vats = append(a.Vats, vatDoc{ID: amountID*10 + i, OrderAmountID: amountID, CountryVatID: 1,
			VatField: vatField(v.rate), VatRate: num(v.rate), Value: num(sub(vg, vn)), CreatedAt: w3c(o.created),
			UpdatedAt: w3c(o.updated), NetTotal: num(vn), GrossTotal: num(vg)})
	}
	return a
}

// itemDocument writes a line. The shipping-cost line is written as plentymarkets' worked example
// writes it: "id": 0, no position, dates or properties, and amounts without ids.
func (s *Sim) itemDocument(o *order, it *item, pos int, variation bool) itemDoc {
	rate := vatRate(it)
	d := itemDoc{ID: it.id, OrderID: o.id, TypeID: it.typeID, ReferrerID: "0", ItemVariationID: it.variationID,
		Quantity: num(it.qty), OrderItemName: it.name, VatField: vatField(rate), VatRate: num(rate)}
	if it.typeID == ItemShippingCost {
		d.AttributeValues = ptr("")
		d.ShippingProfileID = 6
		d.Amounts = []itemAmount{{OrderItemID: 0, Currency: "EUR", ExchangeRate: "1", IsSystemCurrency: true,
			PriceOriginalGross: num(it.gross), PriceOriginalNet: num(it.net), PriceGross: num(it.gross),
			PriceNet: num(it.net)}}
		return d
	}
	created := w3c(it.created)
	d.CountryVatID, d.Position, d.WarehouseID = ptr(1), ptr(strconv.Itoa(pos)), ptr(1)
	d.CreatedAt, d.UpdatedAt = created, created
	d.Amounts = []itemAmount{{ID: it.id + 100000, OrderItemID: it.id, IsSystemCurrency: true, Currency: "EUR",
		ExchangeRate: "1", PurchasePrice: "0", PriceOriginalGross: num(it.gross), PriceOriginalNet: num(it.net),
		PriceGross: num(it.gross), PriceNet: num(it.net), Surcharge: "0", Discount: "0", IsPercentage: ptr(true),
		CreatedAt: created, UpdatedAt: created}}
	props := []itemPropDoc{}
	if it.typeID == ItemVariation {
		props = append(props, itemPropDoc{ID: it.id*10 + 1, OrderItemID: it.id, TypeID: PropWarehouse, Value: "1",
			CreatedAt: created, UpdatedAt: created})
	}
	d.Properties = &props
	d.Dates = &[]struct{}{}
	refs := []itemRefDoc{}
	if it.parentItem != 0 {
		refs = append(refs, itemRefDoc{ID: it.id*10 + 2, OrderItemID: it.id, ReferenceOrderItemID: it.parentItem,
			ReferenceType: "parent", CreatedAt: created, UpdatedAt: created})
	}
	d.References = &refs
	if variation && it.typeID == ItemVariation {
		d.Variation = &variationDoc{ID: it.variationID, ItemID: 100 + it.variationID%1000, IsMain: true,
			IsActive: true, Number: "V-" + strconv.Itoa(it.variationID)}
	}
	return d
}

func addressDocument(a address) addressDoc {
	t := w3c(a.created)
	d := addressDoc{ID: a.id, Name1: a.company, Name2: a.first, Name3: a.last, Address1: a.street,
		Address2: a.house, PostalCode: a.postal, Town: a.town, CountryID: a.countryID, CreatedAt: t, UpdatedAt: t,
		CompanyName: a.company, FirstName: a.first, LastName: a.last, Street: a.street, HouseNumber: a.house,
		Email: a.email, Phone: a.phone, Options: []optionDoc{}}
	if a.email != "" {
		d.Options = append(d.Options, optionDoc{ID: a.id*10 + 5, AddressID: a.id, TypeID: 5, Value: a.email,
			CreatedAt: t, UpdatedAt: t})
	}
	if a.phone != "" {
		d.Options = append(d.Options, optionDoc{ID: a.id*10 + 4, AddressID: a.id, TypeID: 4, Value: a.phone,
			CreatedAt: t, UpdatedAt: t})
	}
	return d
}

// packageDocument writes a package; label adds labelBase64 (empty: the simulator has no labels).
func packageDocument(orderID int, p *pkg, label bool) packageDoc {
	vol := "0"
	if p.volume != nil {
		vol = formatRat(p.volume)
	}
	d := packageDoc{ID: p.id, OrderID: orderID, PackageID: p.packageID, Weight: p.weight, PackageNumber: p.number,
		LabelPath: p.labelPath, ReturnPackageNumber: p.returnNumber, PackageType: p.packageType,
		Volume: json.Number(vol), CreatedAt: w3c(p.created), UpdatedAt: w3c(p.updated)}
	if label {
		d.LabelBase64, d.ExportLabelBase64 = ptr(""), ptr("")
	}
	return d
}
