package order

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// referenceDocument is how the stored document was first written: encoding/json without HTML
// escaping. Every document already stored has this form, and every reader decodes it with
// encoding/json, so Document must write exactly these bytes.
func referenceDocument(t testing.TB, o *Order) []byte {
	t.Helper()
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}

// texts are the strings random orders are made of: what needs escaping in JSON, what HTML
// escaping would change, what JavaScript escaping would change, and text that is not UTF-8 (no
// parser lets it in, but a document must not fail on it).
var texts = []string{
	"", " ", "a", "mkt-4711", "Jürgen Müller", `M\u00fcller "Nord"`, "<b>Tom & Jerry</b>", "a\u2028b\u2029c",
	"tab\there\nline\r", "\x00\x01\b\f\x0b\x1f\x7f", `back\slash/slash`, "😀 ½ ß", "\ufffd", strings.Repeat("x", 300),
	"M\xfcller", "\xed\xa0\x80", // not UTF-8: last, so that fill can leave them out
}

// notUTF8 is how many of texts, at the end, are not UTF-8.
const notUTF8 = 2

var times = []time.Time{
	{},
	time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
	time.Date(2026, 11, 23, 2, 16, 32, 123456789, time.UTC),
	time.Date(2026, 11, 23, 2, 16, 32, 120000000, time.UTC),
	time.Date(2017, 11, 14, 10, 41, 6, 0, time.FixedZone("CET", 3600)),
	time.Unix(1795338000, 0),
	time.Date(1, 1, 1, 0, 0, 0, 1, time.UTC),
}

var decimals = []Decimal{0, 1, -1, DecimalScale, -5000, 411765, 123457, 490000, DecimalFromInt(10000), -DecimalFromInt(3) - 5, 1<<62 + 7}

// fill sets v, and everything in it, to random values: each slice, map and pointer nil, empty or
// filled, so that a field added to Order later is covered without changing this test.
func fill(r *rand.Rand, v reflect.Value, utf8Only bool, depth int) {
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(times[r.IntN(len(times))]))
		return
	}
	if v.Type() == reflect.TypeFor[Decimal]() {
		v.SetInt(int64(decimals[r.IntN(len(decimals))]))
		return
	}
	switch v.Kind() {
	case reflect.String:
		n := len(texts)
		if utf8Only {
			n -= notUTF8
		}
		v.SetString(texts[r.IntN(n)])
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt([]int64{0, 1, -1, 7, 1 << 40}[r.IntN(5)])
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(r, v.Field(i), utf8Only, depth+1)
			}
		}
	case reflect.Pointer:
		if r.IntN(3) == 0 || depth > 6 {
			v.SetZero()
			return
		}
		p := reflect.New(v.Type().Elem())
		fill(r, p.Elem(), utf8Only, depth+1)
		v.Set(p)
	case reflect.Slice:
		switch n := r.IntN(4); {
		case n == 0 || depth > 6:
			v.SetZero()
		default:
			s := reflect.MakeSlice(v.Type(), n-1, n-1)
			for i := range n - 1 {
				fill(r, s.Index(i), utf8Only, depth+1)
			}
			v.Set(s)
		}
	case reflect.Map:
		switch n := r.IntN(4); {
		case n == 0 || depth > 6:
			v.SetZero()
		default:
			m := reflect.MakeMap(v.Type())
			for range n - 1 {
				k := reflect.New(v.Type().Key()).Elem()
				fill(r, k, utf8Only, depth+1)
				e := reflect.New(v.Type().Elem()).Elem()
				fill(r, e, utf8Only, depth+1)
				m.SetMapIndex(k, e)
			}
			v.Set(m)
		}
	default:
		panic("fill: no random value for " + v.Type().String())
	}
}

// representativeOrders are orders as the receiver and the later steps make them, and random ones.
func representativeOrders(t testing.TB, random int) []*Order {
	t.Helper()
	at := time.Date(2026, 11, 23, 2, 16, 32, 0, time.UTC)
	received, err := New(SourceMarketplace, "221", at, Actor{Function: "receiver", RequestID: "r-1"})
	if err != nil {
		t.Fatal(err)
	}
	received.EventID = "evt_553ea8a294e2d3a75d5086a06fb53f5a"
	received.Customer = Customer{Email: "john@account.com", Gender: "male", FirstName: "John", LastName: "Doe", SourceID: "1337",
		Address: Address{Company: "MyStore & Sons <GmbH>", Street: "Main Street", HouseNumber: "123", PostalCode: "34117", Town: "Kassel", Country: "DE"}}
	received.Items = []Item{{Product: "1338", Name: "SuperService", Quantity: DecimalFromInt(1), Price: Money{Gross: DecimalFromInt(49), Net: 411765}}}
	received.Payment = Payment{Method: "paypal", TransactionID: "1S473067CV761473M"}
	received.SourceDetails = SourceDetails{"addressId": "25", "contactUpdatedAt": "1510837206", "addressUpdatedAt": "1510753095"}
	received.PlacedAt, received.StartDate = time.Unix(1510656066, 0).UTC(), time.Unix(1510656066, 0).UTC()
	received.Digest = received.Fingerprint()

	empty := &Order{ID: "dealer-x", Items: []Item{}, Discounts: []Discount{}, Returns: []Return{}, SourceDetails: SourceDetails{}, Tracks: map[TrackName]*Track{}}

	later := received.Clone()
	later.State, later.Version, later.Attempts = Imported, 7, 2
	later.Completion = Completion{When: CompleteOnImport, EarnsPoints: true}
	later.Submission = Submission{Owner: "worker-1", Until: at.Add(time.Minute)}
	later.Dealer = &Dealer{Group: "Nord", Number: "47/11", Delivery: &Address{Company: "Kiosk »/«", Town: "Köln"}, DeliveryAddressID: 99}
	later.Discounts = []Discount{{Kind: "coupon", Code: "SAVE<10>", Amount: Money{Gross: 5000, Net: -1}}}
	later.Returns = []Return{{ID: "R-1", At: at, Items: []ReturnedItem{{Product: "1338", Quantity: 5000}}}, {ID: "R-2", At: at}}
	later.Tracks = map[TrackName]*Track{
		"plenty":  {State: "WRITTEN", UpdatedAt: at, Facts: map[string]string{"status": "7", "cancelKey": "k&k"}},
		"loyalty": {State: "PENDING", Attempts: 3, UpdatedAt: at, Since: at, Waiting: true, LastCall: &PartnerCall{Partner: "bonifiq", Operation: "award", Outcome: "transient", Status: 503, Detail: "<html>"}},
	}
	later.RetainUntil = at.AddDate(0, 0, 30)

	orders := []*Order{received, empty, later, {}}
	r := rand.New(rand.NewPCG(1, 2))
	for range random {
		o := new(Order)
		fill(r, reflect.ValueOf(o).Elem(), r.IntN(2) == 0, 0)
		orders = append(orders, o)
	}
	return orders
}

// The stored document stays byte for byte what encoding/json wrote, so documents already stored and
// every reader (both stores, the stream, the operator's tools) are unaffected, whatever the order
// holds: random orders set every field, including text that is not UTF-8 (which no parser lets
// into an order). A field added to Order, or to a type in it, fails here until Document writes it.
func TestDocumentIsWhatEncodingJSONWrote(t *testing.T) {
	valid, invalid := 0, 0
	for i, o := range representativeOrders(t, 3000) {
		got, err := o.Document()
		if err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		if want := referenceDocument(t, o); !bytes.Equal(got, want) {
			t.Fatalf("order %d: Document wrote (a new field not in appendDocument, repository.go?)\n%s\nencoding/json wrote\n%s", i, got, want)
		}
		if utf8Only(reflect.ValueOf(o).Elem()) {
			valid++
		} else {
			invalid++
		}
	}
	if valid < 1000 || invalid < 1000 {
		t.Fatalf("%d orders of UTF-8 text, %d with text that is not: the orders do not cover both", valid, invalid)
	}
}

// utf8Only reports whether every string in v is valid UTF-8.
func utf8Only(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return utf8.ValidString(v.String())
	case reflect.Pointer:
		return v.IsNil() || utf8Only(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && !utf8Only(v.Field(i)) {
				return false
			}
		}
	case reflect.Slice:
		for i := range v.Len() {
			if !utf8Only(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if !utf8Only(it.Key()) || !utf8Only(it.Value()) {
				return false
			}
		}
	}
	return true
}

// A time encoding/json cannot write (a year beyond 9999) fails the document, as it did.
func TestDocumentRefusesATimeOutOfRange(t *testing.T) {
	o := representativeOrders(t, 0)[0]
	o.StartDate = time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)
	if _, err := json.Marshal(o); err == nil {
		t.Fatal("encoding/json wrote the year 10000")
	}
	if _, err := o.Document(); err == nil {
		t.Fatal("Document wrote the year 10000")
	}
	if err := o.CheckSize(); err == nil {
		t.Fatal("CheckSize passed the year 10000")
	}
}

func TestDocumentSizeIsChecked(t *testing.T) {
	o := representativeOrders(t, 0)[0]
	o.Items[0].Name = strings.Repeat("<", MaxDocumentBytes)
	if _, err := o.Document(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("an order over the limit: %v", err)
	}
	if err := o.CheckSize(); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("CheckSize of an order over the limit: %v", err)
	}
	o.Items[0].Name = "<"
	o.Items[0].Name = strings.Repeat("<", MaxDocumentBytes-len(referenceDocument(t, o))+1)
	doc, err := o.Document()
	if err != nil || len(doc) != MaxDocumentBytes {
		t.Fatalf("an order of exactly the limit: %d bytes, %v", len(doc), err)
	}
	if err := o.CheckSize(); err != nil {
		t.Fatalf("CheckSize of an order of exactly the limit: %v", err)
	}
}

func BenchmarkDocument(b *testing.B) {
	o := representativeOrders(b, 0)[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := o.Document(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCheckSize(b *testing.B) {
	o := representativeOrders(b, 0)[0]
	b.ReportAllocs()
	for b.Loop() {
		if err := o.CheckSize(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReferenceDocument(b *testing.B) {
	o := representativeOrders(b, 0)[0]
	b.ReportAllocs()
	for b.Loop() {
		referenceDocument(b, o)
	}
}
