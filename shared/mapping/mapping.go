// Package mapping is the operator's configuration that turns what a source sent into what plenigo
// needs: offer ids, payment methods and languages. It is read from a YAML file (docs/mapping.md).
package mapping

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/orderhub/orderhub/shared/order"
)

// OfferIDLen is the length of every plenigo offer id.
const OfferIDLen = 20

// MaxQuantity is plenigo's upper bound for an imported quantity.
const MaxQuantity = 10000

// PlenigoPaymentMethods is plenigo's enum for an order import's paymentMethod.
var PlenigoPaymentMethods = []string{"AMAZON_PAY", "APPLE_PAY", "BANK_ACCOUNT", "BILLING", "CREDIT_CARD",
	"GOOGLE_PAY", "IDEAL", "PAYPAL", "POSTFINANCE", "SOFORT", "TWINT", "ZERO"}

// Config is the mapping file. Sections are keyed by source ("mkt", "plenty", "dealer").
type Config struct {
	// Fingerprint identifies the document the mapping was read from (a hash of its bytes): a sweep
	// re-evaluates the REJECTED orders once when it changes.
	Fingerprint    string                             `yaml:"-"`
	Offers         map[order.Source]map[string]string `yaml:"offers"`
	PaymentMethods map[order.Source]map[string]string `yaml:"paymentMethods"`
	Languages      Languages                          `yaml:"languages"`
	// Completion is, per source, when its orders are complete and whether they earn loyalty points.
	// A source without an entry completes on import and earns nothing.
	Completion map[order.Source]Completion `yaml:"completion"`
	// Plenty is how orderhub speaks plentymarkets' order statuses (docs/mapping.md).
	Plenty Plenty `yaml:"plenty"`
}

// Plenty is the plentymarkets half's configuration: the status numbers of the fulfilment
// convention, the package the plenigo reference is written on, and plentymarkets' country ids.
type Plenty struct {
	Statuses  PlentyStatuses `yaml:"statuses"`
	Package   PlentyPackage  `yaml:"package"`
	Countries map[int]string `yaml:"countries"` // plentymarkets country id → ISO 3166-1 alpha-2
}

// PlentyStatuses are status ids as text ("5.1": 5 and 5.1 are different statuses).
type PlentyStatuses struct {
	Intake                   string `yaml:"intake"`                   // cleared for shipping: pulled
	HandedOver               string `yaml:"handedOver"`               // stored in orderhub
	AddressError             string `yaml:"addressError"`             // plenigo refused the customer's data
	NotFulfillable           string `yaml:"notFulfillable"`           // cannot be mapped, or refused for another reason
	Outgoing                 string `yaml:"outgoing"`                 // plenigo has the subscription
	Cancellation             string `yaml:"cancellation"`             // the merchant's cancellations: pulled
	CancellationAcknowledged string `yaml:"cancellationAcknowledged"` // cancelled in orderhub, nothing in plenigo
	CancellationRefused      string `yaml:"cancellationRefused"`      // delivered already: not cancelled
	ReturnFrom               string `yaml:"returnFrom"`               // returns (orders of type 3) in [returnFrom, returnTo)
	ReturnTo                 string `yaml:"returnTo"`
	ReturnAcknowledged       string `yaml:"returnAcknowledged"` // set on the return once recorded
}

// PlentyPackage is the shipping package that carries the plenigo order id as its package number.
type PlentyPackage struct {
	PackageID   int `yaml:"packageId"`   // a package type id of the system
	PackageType int `yaml:"packageType"` // plentymarkets' packaging kind (26 package)
}

// Completion is one source's rule (order.Completion).
type Completion struct {
	When        order.CompleteWhen `yaml:"when"`
	EarnsPoints bool               `yaml:"earnsPoints"`
}

// Languages picks a customer's language when the source sent none.
type Languages struct {
	Default   string            `yaml:"default"`
	ByCountry map[string]string `yaml:"byCountry"`
}

// Load reads and checks a mapping file.
func Load(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("mapping: %w", err)
	}
	c, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("mapping %s: %w", path, err)
	}
	return c, nil
}

// Parse reads a mapping document and checks every value, so a typo fails the deploy's first
// invocation instead of rejecting orders one by one. Unknown keys are errors for the same reason.
func Parse(b []byte) (*Config, error) {
	var c Config
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(b)
	c.Fingerprint = hex.EncodeToString(sum[:8])
	var errs []error
	for src, offers := range c.Offers {
		if !knownSource(src) {
			errs = append(errs, fmt.Errorf("offers: unknown source %q (use mkt, plenty or dealer)", src))
		}
		for product, offer := range offers {
			if len(offer) != OfferIDLen {
				errs = append(errs, fmt.Errorf("offers.%s.%s: plenigo offer id %q has %d characters, want %d", src, product, offer, len(offer), OfferIDLen))
			}
		}
	}
	for src, methods := range c.PaymentMethods {
		if !knownSource(src) {
			errs = append(errs, fmt.Errorf("paymentMethods: unknown source %q (use mkt, plenty or dealer)", src))
		}
		for method, pm := range methods {
			if !validPlenigoMethod(pm) {
				errs = append(errs, fmt.Errorf("paymentMethods.%s.%s: %q is not a plenigo payment method (one of %s)", src, method, pm, strings.Join(PlenigoPaymentMethods, ", ")))
			}
		}
	}
	for src, rule := range c.Completion {
		if !knownSource(src) {
			errs = append(errs, fmt.Errorf("completion: unknown source %q (use mkt, plenty or dealer)", src))
		}
		if rule.When != order.CompleteOnImport && rule.When != order.CompleteOnDelivery {
			errs = append(errs, fmt.Errorf("completion.%s.when: %q is neither %q nor %q", src, rule.When, order.CompleteOnImport, order.CompleteOnDelivery))
		}
	}
	if !validLanguage(c.Languages.Default) {
		errs = append(errs, fmt.Errorf("languages.default: %q is not a two-letter ISO 639-1 code", c.Languages.Default))
	}
	for country, lang := range c.Languages.ByCountry {
		if !validLanguage(lang) {
			errs = append(errs, fmt.Errorf("languages.byCountry.%s: %q is not a two-letter ISO 639-1 code", country, lang))
		}
	}
	sort.Slice(errs, func(i, j int) bool { return errs[i].Error() < errs[j].Error() })
	return &c, errors.Join(errs...)
}

// CompletionOf is the completion rule of a source's orders.
func (c *Config) CompletionOf(src order.Source) order.Completion {
	rule, ok := c.Completion[src]
	if !ok {
		return order.Completion{When: order.CompleteOnImport}
	}
	return order.Completion{When: rule.When, EarnsPoints: rule.EarnsPoints}
}

// Unmappable lists why an order cannot go to plenigo yet, each reason something a person can fix.
type Unmappable struct{ Reasons []string }

func (u *Unmappable) Error() string { return strings.Join(u.Reasons, "; ") }

// Apply fills in the plenigo offer of every item, the plenigo payment method, the customer's language
// and the source's completion rule. It changes nothing and returns *Unmappable when anything is
// missing.
func (c *Config) Apply(o *order.Order) error {
	var reasons []string
	offers := make([]string, len(o.Items))
	for i, it := range o.Items {
		offer, ok := c.Offers[o.Source][it.Product]
		if !ok {
			name := ""
			if it.Name != "" {
				name = " (" + it.Name + ")"
			}
			reasons = append(reasons, fmt.Sprintf("item %q%s has no plenigo offer: add it under offers.%s in the mapping file", it.Product, name, o.Source))
		}
		offers[i] = offer
		q, whole := it.Quantity.Whole()
		if !whole || q < 1 || q > MaxQuantity {
			reasons = append(reasons, fmt.Sprintf("item %q has quantity %s; plenigo imports whole quantities from 1 to %d", it.Product, it.Quantity, MaxQuantity))
		}
	}
	if len(o.Items) == 0 {
		reasons = append(reasons, "the order has no items")
	}
	method, ok := c.PaymentMethods[o.Source][o.Payment.Method]
	if !ok {
		reasons = append(reasons, fmt.Sprintf("payment method %q has no plenigo equivalent: add it under paymentMethods.%s in the mapping file", o.Payment.Method, o.Source))
	}
	lang := o.Customer.Language
	if lang == "" {
		lang = c.Languages.ByCountry[strings.ToUpper(o.Customer.Address.Country)]
	}
	if lang == "" {
		lang = c.Languages.Default
	}
	if len(reasons) > 0 {
		return &Unmappable{Reasons: reasons}
	}
	for i := range o.Items {
		o.Items[i].OfferID = offers[i]
	}
	o.Payment.PlenigoMethod = method
	o.Customer.Language = lang
	o.Completion = c.CompletionOf(o.Source)
	return nil
}

func knownSource(s order.Source) bool {
	return s == order.SourceMarketplace || s == order.SourcePlenty || s == order.SourceDealer
}

func validPlenigoMethod(m string) bool {
	for _, v := range PlenigoPaymentMethods {
		if v == m {
			return true
		}
	}
	return false
}

func validLanguage(l string) bool {
	return len(l) == 2 && l[0] >= 'a' && l[0] <= 'z' && l[1] >= 'a' && l[1] <= 'z'
}
