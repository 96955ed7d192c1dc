package mapping

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

func TestRepositoryMappingFileLoads(t *testing.T) {
	c, err := Load("../../mapping.yaml")
	if err != nil {
		t.Fatalf("the shipped mapping.yaml does not load: %v", err)
	}
	if c.Offers[order.SourceMarketplace]["1338"] == "" || c.Languages.Default == "" {
		t.Fatal("the shipped mapping.yaml lacks the sample entries the docs describe")
	}
}

func TestParseNamesEveryBadValue(t *testing.T) {
	_, err := Parse([]byte(`
offers:
  mkt: {"1": SHORT}
  shop: {"2": O_MZA1E7173120881551}
paymentMethods:
  mkt: {paypal: PAYPALL}
languages:
  default: deu
  byCountry: {DE: D}
`))
	if err == nil {
		t.Fatal("bad mapping accepted")
	}
	for _, want := range []string{"offers.mkt.1", "unknown source \"shop\"", "paymentMethods.mkt.paypal", "languages.default", "languages.byCountry.DE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %s: %v", want, err)
		}
	}
}

func TestParseRefusesUnknownKeys(t *testing.T) {
	if _, err := Parse([]byte("offer: {}\nlanguages: {default: de}\n")); err == nil {
		t.Fatal("a misspelt section was accepted")
	}
}

func testConfig(t *testing.T) *Config {
	t.Helper()
	c, err := Parse([]byte(`
offers:
  mkt: {"1338": O_MZA1E7173120881551}
paymentMethods:
  mkt: {paypal: PAYPAL}
languages:
  default: de
  byCountry: {FR: fr}
`))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testOrder(t *testing.T) *order.Order {
	t.Helper()
	o, err := order.New(order.SourceMarketplace, "221", time.Now(), order.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	o.Items = []order.Item{{Product: "1338", Name: "SuperService", Quantity: order.DecimalFromInt(1)}}
	o.Payment.Method = "paypal"
	return o
}

func TestApplyFillsPlenigoFields(t *testing.T) {
	o := testOrder(t)
	o.Customer.Address.Country = "fr"
	if err := testConfig(t).Apply(o); err != nil {
		t.Fatal(err)
	}
	if o.Items[0].OfferID != "O_MZA1E7173120881551" || o.Payment.PlenigoMethod != "PAYPAL" || o.Customer.Language != "fr" {
		t.Fatalf("apply result: %+v %+v %q", o.Items[0], o.Payment, o.Customer.Language)
	}
}

func TestApplyKeepsLanguageTheSourceSent(t *testing.T) {
	o := testOrder(t)
	o.Customer.Language = "en"
	o.Customer.Address.Country = "FR"
	if err := testConfig(t).Apply(o); err != nil || o.Customer.Language != "en" {
		t.Fatalf("language = %q, err %v", o.Customer.Language, err)
	}
}

func TestApplyFallsBackToDefaultLanguage(t *testing.T) {
	o := testOrder(t)
	if err := testConfig(t).Apply(o); err != nil || o.Customer.Language != "de" {
		t.Fatalf("language = %q, err %v", o.Customer.Language, err)
	}
}

func TestApplyListsEveryReasonAndChangesNothing(t *testing.T) {
	o := testOrder(t)
	o.Items = append(o.Items, order.Item{Product: "9999", Name: "Unknown", Quantity: 15000})
	o.Payment.Method = "cash"
	err := testConfig(t).Apply(o)
	var u *Unmappable
	if !errors.As(err, &u) {
		t.Fatalf("err = %v, want *Unmappable", err)
	}
	if len(u.Reasons) != 3 {
		t.Fatalf("reasons = %q, want offer, quantity and payment", u.Reasons)
	}
	for _, want := range []string{`item "9999"`, "quantity 1.5", `payment method "cash"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("reason for %s missing: %v", want, err)
		}
	}
	if o.Items[0].OfferID != "" || o.Payment.PlenigoMethod != "" || o.Customer.Language != "" {
		t.Fatal("a failed Apply changed the order")
	}
}

func TestApplyRefusesQuantitiesPlenigoCannotImport(t *testing.T) {
	for _, q := range []order.Decimal{0, order.DecimalFromInt(-1), order.DecimalFromInt(MaxQuantity + 1)} {
		o := testOrder(t)
		o.Items[0].Quantity = q
		if err := testConfig(t).Apply(o); err == nil {
			t.Errorf("quantity %s accepted", q)
		}
	}
}

func TestCompletionRulesAreStampedOnTheOrder(t *testing.T) {
	c, err := Parse([]byte("languages: {default: de}\ncompletion:\n  mkt: {when: imported, earnsPoints: true}\n  plenty: {when: delivered, earnsPoints: true}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := c.CompletionOf(order.SourcePlenty); got != (order.Completion{When: order.CompleteOnDelivery, EarnsPoints: true}) {
		t.Errorf("plenty: %+v", got)
	}
	if got := c.CompletionOf(order.SourceDealer); got != (order.Completion{When: order.CompleteOnImport}) {
		t.Errorf("a source without a rule: %+v", got)
	}
	_, err = Parse([]byte("languages: {default: de}\ncompletion:\n  mkt: {when: shipped}\n  shop: {when: imported}\n"))
	if err == nil || !strings.Contains(err.Error(), `completion.mkt.when: "shipped"`) || !strings.Contains(err.Error(), `unknown source "shop"`) {
		t.Fatalf("bad rules: %v", err)
	}
}
