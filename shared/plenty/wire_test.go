package plenty_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/plenty"
)

func TestStatusCanonical(t *testing.T) {
	tests := []struct {
		in    plenty.Status
		want  plenty.Status
		valid bool
	}{
		{"5", "5", true}, {"5.0", "5", true}, {"5.10", "5.1", true}, {" 05.1 ", "5.1", true}, {"19.1", "19.1", true},
		{"0.5", "0.5", true}, {"8.00", "8", true}, {"9.0.1", "9.0.1", false}, {"", "", false}, {"abc", "abc", false},
	}
	for _, tt := range tests {
		if got := tt.in.Canonical(); got != tt.want {
			t.Errorf("Canonical(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := tt.in.Valid(); got != tt.valid {
			t.Errorf("Valid(%q) = %v", tt.in, got)
		}
	}
	if !plenty.Status("5").Equal("5.0") || plenty.Status("5").Equal("5.1") {
		t.Fatal("Equal compares numbers: 5 = 5.0, 5 ≠ 5.1")
	}
}

func TestStatusDecodesFromNumberOrString(t *testing.T) {
	var got []plenty.Status
	if err := json.Unmarshal([]byte(`[5, 5.1, "5.1", 3.0, "19.10", null]`), &got); err != nil {
		t.Fatal(err)
	}
	want := []plenty.Status{"5", "5.1", "5.1", "3", "19.1", ""}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	var s plenty.Status
	if err := json.Unmarshal([]byte(`{"x":1}`), &s); err == nil {
		t.Fatal("an object is not a status")
	}
}

// mixedPage is an order search answer as plentymarkets' examples mix types: "page" as a string,
// ids as strings, a decimal status and referrer, prices as numbers and strings, properties written
// by PHP as an object, an address with only its read-only aliases, dates in two formats.
const mixedPage = `{
  "page": "2", "totalsCount": "51", "isLastPage": 1, "lastPageNumber": "2", "firstOnPage": 51,
  "lastOnPage": 51, "itemsPerPage": 50,
  "entries": [{
    "id": "16578", "typeId": 1, "plentyId": "123", "referrerId": 4.01, "statusId": 5.1,
    "statusName": "[5.1] Abwicklung extern", "ownerId": "3", "locationId": "1", "lockStatus": "unlocked",
    "createdAt": "2021-12-22T14:43:55+01:00", "updatedAt": "2021-12-22 14:45:03",
    "properties": {"0": {"typeId": 7, "value": "SHOP-1001"}, "3": {"typeId": "18", "value": 4711}},
    "addressRelations": [{"typeId": "2", "addressId": "33"}, {"typeId": 1, "addressId": 34}],
    "addresses": [{"id": 33, "companyName": "ACME", "firstName": "Erika", "lastName": "Mustermann",
                   "street": "Hauptstr.", "houseNumber": "5a", "postalCode": "10115", "town": "Berlin",
                   "countryId": "1", "options": [{"typeId": 5, "value": "erika@example.com"}]}],
    "orderReferences": [{"originOrderId": "101", "referenceOrderId": 102, "referenceType": "parent"}],
    "orderItems": [
      {"id": 744, "typeId": 1, "itemVariationId": "1012", "quantity": "2", "orderItemName": "Sessel",
       "position": "0", "amounts": [{"currency": "EUR", "isSystemCurrency": "1", "priceGross": 149,
       "priceNet": "125.2101"}]},
      {"id": 0, "typeId": 6, "itemVariationId": 0, "quantity": 1.0, "orderItemName": "Shipping Costs",
       "amounts": [{"currency": "EUR", "isSystemCurrency": true, "priceGross": 4.99, "priceNet": 4.1933}]}]
  }]
}`

func TestLenientDecodingOfMixedTypes(t *testing.T) {
	var p plenty.OrderPage
	if err := json.Unmarshal([]byte(mixedPage), &p); err != nil {
		t.Fatal(err)
	}
	if p.Page != 2 || p.TotalsCount != 51 || !p.IsLastPage || p.LastPageNumber != 2 || len(p.Entries) != 1 {
		t.Fatalf("envelope %+v", p)
	}
	o := p.Entries[0]
	if o.ID != 16578 || o.TypeID != 1 || o.PlentyID != 123 || o.ReferrerID != 4 || o.Referrer != "4.01" ||
		o.Status != "5.1" || o.LockStatus != "unlocked" {
		t.Fatalf("order %+v", o)
	}
	if want := time.Date(2021, 12, 22, 13, 43, 55, 0, time.UTC); !o.CreatedAt.Equal(want) {
		t.Fatalf("createdAt %v", o.CreatedAt)
	}
	if o.UpdatedAt.IsZero() {
		t.Fatal("updatedAt in the older format not read")
	}
	if v, ok := o.Property(plenty.PropertyExternalOrderID); !ok || v != "SHOP-1001" {
		t.Fatalf("property 7 %q %v", v, ok)
	}
	if v, _ := o.Property(plenty.PropertyCouponCode); v != "4711" {
		t.Fatalf("a numeric property value is text: %q", v)
	}
	a, ok := o.Address(plenty.AddressDelivery)
	if !ok || a.Name1 != "ACME" || a.Name2 != "Erika" || a.Name3 != "Mustermann" || a.Address1 != "Hauptstr." ||
		a.Address2 != "5a" || a.CountryID != 1 || len(a.Options) != 1 || a.Options[0].Value != "erika@example.com" {
		t.Fatalf("delivery address %+v %v", a, ok)
	}
	if _, ok := o.Address(plenty.AddressBilling); ok {
		t.Fatal("billing address 34 was not sent")
	}
	if len(o.References) != 1 || o.References[0] != (plenty.OrderReference{OriginOrderID: 101, ReferenceOrderID: 102, ReferenceType: "parent"}) {
		t.Fatalf("references %+v", o.References)
	}
	if len(o.Items) != 2 {
		t.Fatalf("items %+v", o.Items)
	}
	it := o.Items[0]
	if it.ID != 744 || it.VariationID != 1012 || it.Quantity != "2" || it.Name != "Sessel" || len(it.Amounts) != 1 ||
		it.Amounts[0] != (plenty.Amount{Currency: "EUR", IsSystemCurrency: true, PriceGross: "149", PriceNet: "125.2101"}) {
		t.Fatalf("item %+v", it)
	}
	ship := o.Items[1]
	if ship.ID != 0 || ship.TypeID != plenty.ItemShippingCosts || ship.Quantity != "1.0" || ship.Amounts[0].PriceNet != "4.1933" {
		t.Fatalf("shipping line %+v", ship)
	}
}

func TestOrderRoundTripsThroughGo(t *testing.T) {
	var p plenty.OrderPage
	if err := json.Unmarshal([]byte(mixedPage), &p); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(p.Entries[0])
	if err != nil {
		t.Fatal(err)
	}
	var back plenty.Order
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	want, _ := json.Marshal(p.Entries[0])
	got, _ := json.Marshal(back)
	if string(got) != string(want) {
		t.Fatalf("round trip\n got %s\nwant %s", got, want)
	}
}

func TestDecodingRefusesWrongShapes(t *testing.T) {
	for name, body := range map[string]string{
		"object id":     `{"id": {"x": 1}}`,
		"word quantity": `{"orderItems": [{"quantity": "two"}]}`,
		"bad date":      `{"createdAt": "yesterday"}`,
	} {
		var o plenty.Order
		if err := json.Unmarshal([]byte(body), &o); err == nil {
			t.Errorf("%s: decoded %+v", name, o)
		}
	}
	var o plenty.Order
	if err := json.Unmarshal([]byte(`{"createdAt": "0000-00-00 00:00:00", "updatedAt": "", "lockStatus": null}`), &o); err != nil || !o.CreatedAt.IsZero() {
		t.Fatalf("PHP's zero date is the zero time: %+v %v", o, err)
	}
}

func TestStatusInfoNames(t *testing.T) {
	var list []plenty.StatusInfo
	body := `[{"statusId": 5, "names": {"de": "Freigabe Versand", "en": "Clearance"}},
	          {"id": "5.1", "names": [{"lang": "de", "name": "Abwicklung extern"}]},
	          {"statusId": 8.0, "isErasable": false}]`
	if err := json.Unmarshal([]byte(body), &list); err != nil {
		t.Fatal(err)
	}
	if list[0].ID != "5" || list[0].Names["en"] != "Clearance" || list[1].ID != "5.1" || list[1].Names["de"] != "Abwicklung extern" ||
		list[2].ID != "8" || list[2].Names != nil {
		t.Fatalf("%+v", list)
	}
}
