package intake

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/orderhub/orderhub/shared/mapping"
	"github.com/orderhub/orderhub/shared/order"
)

var fuzzAt = time.Unix(1795338000, 0)

// checkParse holds what every parse must give: an order that later steps can rely on, or an
// *InputError (a 4xx), never a panic and never any other error.
func checkParse(t *testing.T, o *order.Order, err error) {
	t.Helper()
	if err != nil {
		var ie *InputError
		if !errors.As(err, &ie) || ie.Code == "" || ie.Message == "" {
			t.Fatalf("error %v (%T) is not an InputError with code and message", err, err)
		}
		if o != nil {
			t.Fatal("an order and an error together")
		}
		return
	}
	if o == nil || o.ID == "" || len(o.ID) > order.MaxExternalIDLen || o.Customer.Email == "" || len(o.Items) == 0 || o.State != order.Received {
		t.Fatalf("accepted an order later steps cannot use: %+v", o)
	}
	for _, it := range o.Items {
		if q, whole := it.Quantity.Whole(); it.Product == "" || !whole || q < 1 || q > mapping.MaxQuantity {
			t.Fatalf("accepted an item without product or with a quantity plenigo cannot import: %+v", it)
		}
	}
	if s, ok := invalidString(reflect.ValueOf(o).Elem()); ok {
		t.Fatalf("accepted text that is not UTF-8: %q", s)
	}
}

// invalidString finds a string in v that is not valid UTF-8: the parsers refuse such text, as it
// would be repaired to U+FFFD (and ids merged) when the order is stored.
func invalidString(v reflect.Value) (string, bool) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), !utf8.ValidString(v.String())
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return invalidString(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if s, bad := invalidString(v.Field(i)); bad {
				return s, true
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if s, bad := invalidString(v.Index(i)); bad {
				return s, true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if s, bad := invalidString(it.Key()); bad {
				return s, true
			}
			if s, bad := invalidString(it.Value()); bad {
				return s, true
			}
		}
	}
	return "", false
}

func FuzzParseMarketplace(f *testing.F) {
	if b, err := os.ReadFile("testdata/marketplace-seed.json"); err == nil {
		f.Add(b)
	}
	f.Add([]byte(`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.c"},"order":{"id":"7","orderItems":[{"itemVariationId":"1","quantity":"1.0","priceGross":"1e2"}]}}}`))
	f.Add([]byte(`{"id":"evt_1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.c"},"order":{"id":{},"orderItems":[{}]}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`{"resource":null}`))
	f.Add([]byte("{\"id\":\"evt_1\",\"type\":\"SERVICE.PLUGIN.PURCHASE\",\"resource\":{\"contact\":{\"email\":\"a@b.c\",\"firstName\":\"J\xfcrgen\"},\"order\":{\"id\":\"M\xfcller-1\",\"orderItems\":[{\"itemVariationId\":\"1\",\"quantity\":1,\"priceGross\":1}]}}}"))
	f.Add([]byte(`{"id":"evt\/1","type":"SERVICE.PLUGIN.PURCHASE","resource":{"contact":{"email":"a@b.c","firstName":"J\u00fcrgen \ud83d\ude00"},"order":{"id":"47\/11","orderItems":[{"itemVariationId":"1\ud800","quantity":"1.5","priceGross":1}]}}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		o, err := ParseMarketplace(body, fuzzAt, order.Actor{Function: "fuzz"})
		checkParse(t, o, err)
	})
}

func FuzzParseDealerBatch(f *testing.F) {
	f.Add([]byte(`{"purchases":[{"externalSystemId":"X-1","email":"a@b.c","dealerGroup":"G","dealerNumber":1,"offer":"P","quantity":2,"startDate":"2026-12-01","paymentMethod":"invoice"}]}`))
	f.Add([]byte(`{"purchases":[{},null,1,"x",[]]}`))
	f.Add([]byte(`{"purchases":{}}`))
	f.Add([]byte("{\"purchases\":[{\"externalSystemId\":\"M\xe4ller-1\",\"email\":\"a@b.c\",\"dealerGroup\":\"G\",\"dealerNumber\":1,\"offer\":\"P\",\"quantity\":2,\"startDate\":\"2026-12-01\",\"paymentMethod\":\"invoice\"}],\"x\":\"\xff\"}"))
	f.Add([]byte(`{"purchases":[{"externalSystemId":"47\/11","email":"a@b.c","dealerGroup":"M\u00fcller \"Nord\"","dealerNumber":"\udc00","offer":"P","quantity":10001,"startDate":"2026-12-01","paymentMethod":" "}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		items, err := ParseDealerBatch(body, fuzzAt, order.Actor{Function: "fuzz"})
		if err != nil {
			checkParse(t, nil, err)
			return
		}
		if len(items) == 0 || len(items) > MaxDealerBatch {
			t.Fatalf("%d items without an error", len(items))
		}
		for _, it := range items {
			if (it.Order == nil) == (it.Err == nil) {
				t.Fatalf("item %d has neither or both an order and an error", it.Index)
			}
			if it.Err != nil {
				checkParse(t, nil, it.Err)
			} else {
				checkParse(t, it.Order, nil)
				if it.Order.Dealer == nil || it.Order.Dealer.Group == "" || it.Order.Dealer.Number == "" {
					t.Fatalf("dealer order without dealer group and number: %+v", it.Order)
				}
			}
		}
	})
}

// FuzzUnquote holds unquote's shortcut and its decoding of escapes: for every JSON string the
// decoder accepts, unquote gives the text encoding/json gives.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{`""`, `"Müller"`, `"M\u00fcller \"Nord\""`, `"47\/11"`, `"\ud83d\ude00"`, `"a\\b"`, `"\b\f\n\r\t\u0000"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v := jsontext.Value(b)
		if !v.IsValid() || len(bytes.TrimSpace(b)) != len(b) || v.Kind() != '"' { // as the decoder reads a string
			return
		}
		var want string
		if err := json.Unmarshal(b, &want); err != nil {
			t.Fatalf("encoding/json refuses %s: %v", b, err)
		}
		if got := unquote(v); got != want {
			t.Fatalf("unquote(%s) = %q; encoding/json gives %q", b, got, want)
		}
	})
}
