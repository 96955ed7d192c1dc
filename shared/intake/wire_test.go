package intake

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/orderhub/orderhub/shared/order"
)

// PHP's json_encode escapes "/" and everything beyond ASCII by default, so every string of both
// formats must be stored as the text it stands for, not as the escape.
func TestMarketplaceStringsAreStoredDecoded(t *testing.T) {
	o, err := ParseMarketplace([]byte(`{"id":"evt\/1","type":"SERVICE.PLUGIN.PURCHASE","createdAt":"1510656066",
		"resource":{
		"contact":{"id":"c\/1","gender":"f\u00e9minin","firstName":"J\u00fcrgen","lastName":"M\u00fcller \"Nord\"","email":"J\u00fcrgen@M\u00fcller.example","updatedAt":"1510837206"},
		"address":{"id":"a\/25","companyName":"M\u00fcller \"Nord\" GmbH","firstName":"J\u00fcrgen","lastName":"M\u00fcller","street":"Stra\u00dfe \/ Weg","houseNumber":"1\/2",
			"additional":"\u00bd","postalCode":"34117","town":"K\u00f6ln","country":"d\u0065","phone":"+49 \/ 1","email":"J\u00fcrgen@M\u00fcller.example","updatedAt":"1510753095"},
		"order":{"id":"47\/11","payPalTransactionId":"TX\/\u00c41","orderItems":[
			{"itemVariationId":"13\u00338","quantity":"\u0032","orderItemName":"Super\u00b7Service \ud83d\ude00","priceGross":"4\u0039","priceNet":"41.1765"}]}}}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	a := o.Customer.Address
	checks := []struct{ field, got, want string }{
		{"order id", o.ID, "mkt-47/11"},
		{"event id", o.EventID, "evt/1"},
		{"contact id", o.Customer.SourceID, "c/1"},
		{"gender", o.Customer.Gender, "féminin"},
		{"first name", o.Customer.FirstName, "Jürgen"},
		{"last name", o.Customer.LastName, `Müller "Nord"`},
		{"email", o.Customer.Email, "jürgen@müller.example"},
		{"company", a.Company, `Müller "Nord" GmbH`},
		{"street", a.Street, "Straße / Weg"},
		{"house number", a.HouseNumber, "1/2"},
		{"additional", a.Additional, "½"},
		{"town", a.Town, "Köln"},
		{"country", a.Country, "DE"},
		{"phone", a.Phone, "+49 / 1"},
		{"product", o.Items[0].Product, "1338"},
		{"item name", o.Items[0].Name, "Super·Service 😀"},
		{"transaction", o.Payment.TransactionID, "TX/Ä1"},
		{"address id", o.SourceDetails["addressId"], "a/25"},
		{"address updated", o.SourceDetails["addressUpdatedAt"], "1510753095"},
		{"contact updated", o.SourceDetails["contactUpdatedAt"], "1510837206"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if it := o.Items[0]; it.Quantity != order.DecimalFromInt(2) || it.Price.Gross != order.DecimalFromInt(49) || it.Price.Net != 411765 {
		t.Errorf("item %+v", it)
	}
}

func TestDealerStringsAreStoredDecoded(t *testing.T) {
	items, err := ParseDealerBatch([]byte(`{"purchases":[{"externalSystemId":"47\/11","email":"vertrieb@presse-nord.example","language":"d\u0065",
		"dealerGroup":"M\u00fcller \"Nord\"","dealerNumber":"47\/11","company":"M\u00fcller \"Nord\" GmbH","firstName":"J\u00fcrgen","lastName":"M\u00fcller",
		"country":"DE","offer":"WBZ\u002dPRINT-12M","quantity":"2\u0035","startDate":"2026\u002d12-01","paymentMethod":"invo\u0069ce",
		"deliveryAddress":{"company":"Kiosk \u00bb\/\u00ab","street":"Stra\u00dfe","houseNumber":"1\/2","postalCode":"50667","town":"K\u00f6ln","country":"DE"}}]}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	o := items[0].Order
	if items[0].Err != nil {
		t.Fatal(items[0].Err)
	}
	d := o.Dealer.Delivery
	checks := []struct{ field, got, want string }{
		{"order id", o.ID, "dealer-47/11"},
		{"answered external id", items[0].ExternalSystemID, "47/11"},
		{"language", o.Customer.Language, "de"},
		{"dealer group", o.Dealer.Group, `Müller "Nord"`},
		{"dealer number", o.Dealer.Number, "47/11"},
		{"company", o.Customer.Address.Company, `Müller "Nord" GmbH`},
		{"first name", o.Customer.FirstName, "Jürgen"},
		{"offer", o.Items[0].Product, "WBZ-PRINT-12M"},
		{"payment method", o.Payment.Method, "invoice"},
		{"delivery company", d.Company, "Kiosk »/«"},
		{"delivery street", d.Street, "Straße"},
		{"delivery house number", d.HouseNumber, "1/2"},
		{"delivery town", d.Town, "Köln"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
		}
	}
	if o.Items[0].Quantity != order.DecimalFromInt(25) || o.StartDate.Format("2006-01-02") != "2026-12-01" {
		t.Errorf("quantity %s, start %v", o.Items[0].Quantity, o.StartDate)
	}
	// The decoded offer and payment method are what the mapping knows.
	if out, err := newService(t).Accept(context.Background(), o, by); err != nil || out.State != order.Received {
		t.Fatalf("accept: %+v %v", out, err)
	}
}

// marketplaceBody is a valid purchase whose order id, first name and item name are given as JSON
// string contents (raw bytes, between the quotes).
func marketplaceBody(orderID, firstName, itemName string) []byte {
	return []byte(`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de","firstName":"` + firstName + `"},
		"order":{"id":"` + orderID + `","orderItems":[{"itemVariationId":1338,"quantity":1,"orderItemName":"` + itemName + `","priceGross":49}]}}}`)
}

// Latin-1 "Müller-1" and "Mäller-1" must not become one order "M\ufffdller-1": text that is not
// Unicode is refused with the field named, never repaired.
func TestMarketplaceTextThatIsNotUnicodeIsRefused(t *testing.T) {
	cases := []struct {
		name  string
		body  []byte
		field string
	}{
		{"Latin-1 order id ü", marketplaceBody("M\xfcller-1", "Jo", "S"), "resource.order.id"},
		{"Latin-1 order id ä", marketplaceBody("M\xe4ller-1", "Jo", "S"), "resource.order.id"},
		{"Latin-1 first name", marketplaceBody("1", "J\xfcrgen", "S"), "resource.contact.firstName"},
		{"truncated UTF-8 in item name", marketplaceBody("1", "Jo", "S\xc3"), "resource.order.orderItems[0].orderItemName"},
		{"lone high surrogate in order id", marketplaceBody(`M\ud800ller-1`, "Jo", "S"), "resource.order.id"},
		{"lone low surrogate in order id", marketplaceBody(`M\udc00ller-1`, "Jo", "S"), "resource.order.id"},
		{"high surrogate before a letter", marketplaceBody("1", `J\uD83D\u0041`, "S"), "resource.contact.firstName"},
		{"surrogates the wrong way round", marketplaceBody("1", "Jo", `\ude00\ud83d`), "resource.order.orderItems[0].orderItemName"},
		{"field the parser ignores", []byte("{\"id\":\"e\",\"note\":\"caf\xe9\",\"type\":\"SERVICE.PLUGIN.PURCHASE\"}"), "note"},
		{"after a number beyond float64", []byte("{\"id\":\"e\",\"big\":[1e999],\"later\":\"caf\xe9\",\"type\":\"SERVICE.PLUGIN.PURCHASE\"}"), "later"},
		{"member name", []byte("{\"id\":\"e\",\"type\":\"SERVICE.PLUGIN.PURCHASE\",\"resource\":{\"k\xe9y\":1}}"), "resource"},
	}
	for _, c := range cases {
		o, err := ParseMarketplace(c.body, fuzzAt, by)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != "invalid_utf8" || ie.Field != c.field || ie.Message == "" {
			t.Errorf("%s: order %v, error %#v; want invalid_utf8 on %s", c.name, o, err, c.field)
		}
	}
	// Escapes that are whole characters, and the replacement character itself when sent, are text.
	for _, ok := range [][]byte{
		marketplaceBody(`M\u00fcller-1`, `\ud83d\ude00 \uD83D\uDE00`, `\\ud800 is how one writes a surrogate`),
		marketplaceBody("Müller-1", "\uFFFD", `\ufffd`),
	} {
		if _, err := ParseMarketplace(ok, fuzzAt, by); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
}

func TestDealerTextThatIsNotUnicodeRejectsThePurchase(t *testing.T) {
	const rest = `"email":"d@presse.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"`
	body := `{"purchases":[
		{"externalSystemId":"` + "M\xfcller-1" + `",` + rest + `},
		{"externalSystemId":"` + "M\xe4ller-1" + `",` + rest + `},
		{"externalSystemId":"ok-1",` + rest + `},
		{"externalSystemId":"ok-2",` + strings.Replace(rest, `"Nord"`, `"N\ud800rd"`, 1) + `},
		{"externalSystemId":"ok-3",` + rest + `,"deliveryAddress":{"company":"K","street":"S","postalCode":"1","town":"` + "K\xf6ln" + `","country":"DE"}},
		{"externalSystemId":"ok-4",` + rest + `,"extra":["a","` + "\xff" + `"]}
	]}`
	items, err := ParseDealerBatch([]byte(body), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct{ field, ext string }{
		{"purchases[0].externalSystemId", ""},
		{"purchases[1].externalSystemId", ""},
		{"", "ok-1"},
		{"purchases[3].dealerGroup", "ok-2"},
		{"purchases[4].deliveryAddress.town", "ok-3"},
		{"purchases[5].extra[1]", "ok-4"},
	}
	for i, w := range want {
		it := items[i]
		if w.field == "" {
			if it.Err != nil || it.Order == nil || it.Order.ID != "dealer-ok-1" {
				t.Errorf("purchase %d: %+v", i, it)
			}
			continue
		}
		if it.Order != nil || it.Err == nil || it.Err.Code != "invalid_utf8" || it.Err.Field != w.field || it.ExternalSystemID != w.ext {
			t.Errorf("purchase %d: order %v, error %+v, external id %q; want invalid_utf8 on %s", i, it.Order, it.Err, it.ExternalSystemID, w.field)
		}
	}

	// Outside the purchases, it is the batch's problem.
	_, err = ParseDealerBatch([]byte(`{"sender":"`+"H\xe4ndler"+`","purchases":[{"externalSystemId":"ok-1",`+rest+`}]}`), fuzzAt, by)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Code != "invalid_utf8" || ie.Field != "sender" {
		t.Fatalf("batch with Latin-1 outside the purchases: %v", err)
	}
}

// docs/dealer-batch.md: a purchase with a bad field is rejected and nothing is stored; only what the
// mapping can fix (an unknown offer or payment method) is stored, as REJECTED.
func TestDealerSenderMistakesAreRejectedConfigurationGapsStored(t *testing.T) {
	purchase := func(ext, quantity, offer, method string) string {
		return `{"externalSystemId":"` + ext + `","email":"d@presse.example","dealerGroup":"Nord","dealerNumber":"1","offer":"` + offer +
			`","quantity":` + quantity + `,"startDate":"2026-12-01","paymentMethod":"` + method + `"}`
	}
	body := `{"purchases":[` + strings.Join([]string{
		purchase("Q-1", `1.5`, "WBZ-PRINT-12M", "invoice"),
		purchase("Q-2", `10001`, "WBZ-PRINT-12M", "invoice"),
		purchase("Q-3", `"2.5"`, "WBZ-PRINT-12M", "invoice"),
		purchase("Q-4", `0`, "WBZ-PRINT-12M", "invoice"),
		purchase("Q-5", `1`, "WBZ-PRINT-12M", " "),
		purchase("Q-6", `1`, "WBZ-PRINT-12M", strings.Repeat("x", 65)),
		purchase("G-1", `10000`, "WBZ-UNKNOWN", "invoice"),
		purchase("G-2", `1`, "WBZ-PRINT-12M", "bitcoin"),
		purchase("OK-1", `"7.000"`, "WBZ-PRINT-12M", "invoice"),
	}, ",") + `]}`
	items, err := ParseDealerBatch([]byte(body), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	ans := newService(t).AcceptBatch(context.Background(), items, by)
	want := []struct{ status, field string }{
		{"rejected", "purchases[0].quantity"},
		{"rejected", "purchases[1].quantity"},
		{"rejected", "purchases[2].quantity"},
		{"rejected", "purchases[3].quantity"},
		{"rejected", "purchases[4].paymentMethod"},
		{"rejected", "purchases[5].paymentMethod"},
		{"accepted", ""},
		{"accepted", ""},
		{"accepted", ""},
	}
	for i, w := range want {
		r := ans.Results[i]
		if r.Status != w.status || (w.field != "" && (r.Error == nil || r.Error.Field != w.field)) {
			t.Errorf("purchase %d: %+v, want %s %s", i, r, w.status, w.field)
		}
	}
	if r := ans.Results[6]; r.State != order.Rejected || !strings.Contains(r.Reason, "offers.dealer") {
		t.Errorf("unknown offer: %+v", r)
	}
	if r := ans.Results[7]; r.State != order.Rejected || !strings.Contains(r.Reason, "paymentMethods.dealer") {
		t.Errorf("unknown payment method: %+v", r)
	}
	if r := ans.Results[8]; r.State != order.Received || items[8].Order.Items[0].Quantity != order.DecimalFromInt(7) {
		t.Errorf("quantity \"7.000\": %+v", r)
	}
	if ans.Rejected != 6 || ans.Accepted != 3 {
		t.Errorf("answer %+v", ans)
	}
}

// Member names match exactly: "ID" or "Email" is another member, which the parsers do not read, so
// the field they stand for is missing. The formats spell every name in lower camel case.
func TestMemberNamesMatchExactly(t *testing.T) {
	for body, field := range map[string]string{
		`{"ID":"evt_1","type":"SERVICE.PLUGIN.PURCHASE"}`: "id",
		`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"Email":"a@b.de"},"order":{"id":"1","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`: "resource.contact.email",
		`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"1","orderItems":[{"itemVariationId":1,"Quantity":1,"priceGross":1}]}}}`: "resource.order.orderItems[0].quantity",
		`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"Order":{"id":"1","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}}}`: "resource.order",
	} {
		o, err := ParseMarketplace([]byte(body), fuzzAt, by)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != "missing_field" || ie.Field != field {
			t.Errorf("%s: order %v, error %v; want %s missing", body, o, err, field)
		}
	}
	items, err := ParseDealerBatch([]byte(`{"purchases":[{"ExternalSystemId":"X-1","email":"a@b.de","dealerGroup":"G","dealerNumber":1,"offer":"P","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"}]}`), fuzzAt, by)
	if err != nil || items[0].Err == nil || items[0].Err.Code != "missing_field" || items[0].Err.Field != "purchases[0].externalSystemId" {
		t.Fatalf("dealer purchase with ExternalSystemId: %+v %v", items, err)
	}
	if _, err := ParseDealerBatch([]byte(`{"Purchases":[]}`), fuzzAt, by); err == nil || err.(*InputError).Field != "purchases" {
		t.Fatalf("batch with Purchases: %v", err)
	}
}

// A member sent twice in one object is refused, naming it: which of the two values counts is a
// guess every JSON reader makes its own way (encoding/json took the last one), so a purchase read
// one way here could be read another way by whatever checked it before it was sent. Escaping one
// of the names makes no difference.
func TestMemberSentTwiceIsRefused(t *testing.T) {
	const order = `"order":{"id":"1","orderItems":[{"itemVariationId":1,"quantity":1,"priceGross":1}]}`
	for body, field := range map[string]string{
		`{"id":"evt_1","id":"evt_2","type":"SERVICE.PLUGIN.PURCHASE"}`:                                                                                                                                 "id",
		`{"id":"evt_1","\u0069d":"evt_2","type":"SERVICE.PLUGIN.PURCHASE"}`:                                                                                                                            "id",
		`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de","email":"c@d.de"},` + order + `}}`:                                                                     "resource.contact.email",
		`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},"order":{"id":"1","orderItems":[{"itemVariationId":1,"quantity":1,"quantity":100,"priceGross":1}]}}}`: "resource.order.orderItems[0].quantity",
		`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","note":{"x":[{"a":1,"a":2}]},"resource":{"contact":{"email":"a@b.de"},` + order + `}}`:                                                         "note.x[0].a",
		`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.de"},` + order + `,"contact":{"email":"c@d.de"}}}`:                                                         "resource.contact",
	} {
		o, err := ParseMarketplace([]byte(body), fuzzAt, by)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != "invalid_field" || ie.Field != field || !strings.Contains(ie.Message, "more than once") {
			t.Errorf("%s: order %v, error %#v; want %s refused", body, o, err, field)
		}
	}
	// Same name in different objects, and names that differ only in case, are no duplicates.
	if _, err := ParseMarketplace([]byte(`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","Id":"x","resource":{"contact":{"id":1,"email":"a@b.de"},`+order+`}}`), fuzzAt, by); err != nil {
		t.Fatal(err)
	}

	// In a dealer batch, a member sent twice within a purchase refuses that purchase only; outside
	// the purchases, the batch.
	const p = `"email":"d@presse.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"`
	items, err := ParseDealerBatch([]byte(`{"purchases":[{"externalSystemId":"A-1",`+p+`},{"externalSystemId":"A-2",`+p+`,"quantity":9},{"externalSystemId":"A-3",`+p+`}]}`), fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	if items[0].Err != nil || items[2].Err != nil || items[1].Order != nil || items[1].Err == nil ||
		items[1].Err.Field != "purchases[1].quantity" || items[1].Err.Code != "invalid_field" {
		t.Fatalf("purchase with quantity twice: %+v", items)
	}
	for body, field := range map[string]string{
		`{"purchases":[{"externalSystemId":"A-1",` + p + `}],"purchases":[]}`:                         "purchases",
		`{"purchases":[{"externalSystemId":"A-1",` + p + `,"quantity":2}],"sender":"x","sender":"y"}`: "sender",
		`{"purchases":[{"externalSystemId":"` + "M\xfcller" + `",` + p + `}],"sender":{"a":1,"a":2}}`: "sender.a",
	} {
		_, err := ParseDealerBatch([]byte(body), fuzzAt, by)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != "invalid_field" || ie.Field != field {
			t.Errorf("%q: %v; want the batch refused on %s", body, err, field)
		}
	}
}

// A batch that is not JSON is refused as such, even when a purchase before the fault holds text that
// is not UTF-8 (which alone would refuse only that purchase).
func TestDealerBatchThatIsNotJSONIsRefusedAsSuch(t *testing.T) {
	const p = `"email":"d@presse.example","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"`
	for _, body := range []string{
		`{"purchases":[{"externalSystemId":"` + "M\xfcller" + `",` + p + `}],"x":tru}`,
		`{"purchases":[{"externalSystemId":"` + "M\xfcller" + `",` + p + `},{"externalSystemId":"A-2",` + p + `}`,
		`{"purchases":[{"externalSystemId":"A-1",` + p + `,"quantity":2},{"externalSystemId":"A-2",` + p + `}]}]`,
	} {
		_, err := ParseDealerBatch([]byte(body), fuzzAt, by)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code != "malformed_json" {
			t.Errorf("%q: %v; want malformed_json", body, err)
		}
	}
}
