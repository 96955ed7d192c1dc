package order

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf8"
)

// Repository stores orders with their history. Implementations: store/dynamostore (AWS) and
// store/memstore (tests and benchmarks); store/storetest holds the contract both pass.
type Repository interface {
	// Create stores a new order with all its history. It returns ErrExists, and stores nothing, when
	// an order with the same id is already there.
	Create(ctx context.Context, o *Order) error
	// Get returns the order with its full history, or ErrNotFound.
	Get(ctx context.Context, id string) (*Order, error)
	// Update loads the order, runs fn on it and stores the result with a version check. When another
	// writer got there first it reloads and runs fn again. fn returning an error stores nothing;
	// fn returning ErrNoChange stores nothing and Update returns nil.
	Update(ctx context.Context, id string, fn func(*Order) error) (*Order, error)
	// NeedingWork lists orders in state s (one where State.NeedsWork is true) that have not changed
	// since before, least recently changed first, at most limit of them, without their history.
	NeedingWork(ctx context.Context, s State, before time.Time, limit int) ([]*Order, error)
	// TracksNeedingWork lists the tracks named name in state s that wait for orderhub (Track.Waiting)
	// and entered s before before (Track.Since; attempts in s do not count), longest waiting first,
	// at most limit of them. A listed track's other fields may be as they were when it entered s:
	// callers load the order to act.
	TracksNeedingWork(ctx context.Context, name TrackName, s TrackState, before time.Time, limit int) ([]TrackWork, error)
	// ReceivedBetween lists the orders received in [from, to), oldest first, at most limit of them
	// (0: all), without their history: what a reconciliation compares with the partners.
	ReceivedBetween(ctx context.Context, from, to time.Time, limit int) ([]*Order, error)
}

// MaxDocumentBytes bounds an order's stored document. DynamoDB refuses items over 400 KB; the rest of
// the item and a margin stay below that. Both stores enforce it, so tests meet the limit too.
const MaxDocumentBytes = 350_000

// Errors a repository returns; callers branch on them with errors.Is.
var (
	ErrExists   = errors.New("order already exists")
	ErrNotFound = errors.New("order not found")
	ErrConflict = errors.New("order changed concurrently too often")
	ErrNoChange = errors.New("no change")
	// ErrTooLarge: the order does not fit in one stored item (MaxDocumentBytes); nothing is stored.
	ErrTooLarge = errors.New("order too large to store")
)

// Document is the order as a store keeps it: JSON without HTML escaping ("<", ">" and "&" stay one
// byte, so what a sender wrote does not grow sixfold), and ErrTooLarge above MaxDocumentBytes. Both
// stores encode through it, so they meet the same limit.
func (o *Order) Document() ([]byte, error) {
	doc, err := o.appendDocument(make([]byte, 0, 1024))
	if err != nil {
		return nil, err
	}
	if len(doc) > MaxDocumentBytes {
		return nil, fmt.Errorf("order %s: %d bytes: %w", o.ID, len(doc), ErrTooLarge)
	}
	return doc, nil
}

// CheckSize is Document's check without the document: ErrTooLarge above MaxDocumentBytes, for a
// store that keeps orders otherwise (memstore).
func (o *Order) CheckSize() error {
	bp := documentBuffers.Get().(*[]byte)
	defer documentBuffers.Put(bp)
	doc, err := o.appendDocument((*bp)[:0])
	if cap(doc) <= 64<<10 {
		*bp = doc[:0]
	}
	if err != nil {
		return err
	}
	if len(doc) > MaxDocumentBytes {
		return fmt.Errorf("order %s: %d bytes: %w", o.ID, len(doc), ErrTooLarge)
	}
	return nil
}

// documentBuffers are CheckSize's buffers, kept for reuse up to 64 KiB.
var documentBuffers = sync.Pool{New: func() any { return new([]byte) }}

// The document is written field by field, as encoding/json wrote the struct from its tags (without
// HTML escaping), in about a quarter of encoding/json's time (BenchmarkDocument). The test
// TestDocumentIsWhatEncodingJSONWrote holds every field of random orders to encoding/json's bytes:
// a field added to Order, or to a type in it, fails that test until it is written here too.

func (o *Order) appendDocument(b []byte) ([]byte, error) {
	w := docWriter{b: b}
	w.open()
	w.str("id", o.ID)
	w.str("source", string(o.Source))
	w.str("sourceRef", o.SourceRef)
	w.optStr("eventId", o.EventID)
	w.optStr("digest", o.Digest)
	w.str("state", string(o.State))
	w.optStr("stateReason", o.StateReason)
	w.key("customer")
	w.customer(&o.Customer)
	if o.Dealer != nil {
		w.key("dealer")
		w.dealer(o.Dealer)
	}
	w.key("items")
	if o.Items == nil {
		w.null()
	} else {
		w.openArray()
		for i := range o.Items {
			w.next()
			w.item(&o.Items[i])
		}
		w.closeArray()
	}
	w.key("shipping")
	w.money(o.Shipping)
	if len(o.Discounts) > 0 {
		w.key("discounts")
		w.openArray()
		for _, d := range o.Discounts {
			w.next()
			w.open()
			w.str("kind", d.Kind)
			w.optStr("code", d.Code)
			w.key("amount")
			w.money(d.Amount)
			w.close()
		}
		w.closeArray()
	}
	w.key("payment")
	w.open()
	w.str("method", o.Payment.Method)
	w.optStr("transactionId", o.Payment.TransactionID)
	w.optStr("plenigoMethod", o.Payment.PlenigoMethod)
	w.close()
	w.time("startDate", o.StartDate)
	w.time("placedAt", o.PlacedAt)
	w.key("subscription")
	w.open()
	w.optStr("promiseId", o.Subscription.PromiseID)
	w.optStr("plenigoOrderId", o.Subscription.PlenigoOrderID)
	w.close()
	if o.Completion != (Completion{}) {
		w.key("completion")
		w.open()
		w.optStr("when", string(o.Completion.When))
		w.optBool("earnsPoints", o.Completion.EarnsPoints)
		w.close()
	}
	if len(o.Returns) > 0 {
		w.key("returns")
		w.openArray()
		for _, r := range o.Returns {
			w.next()
			w.open()
			w.str("id", r.ID)
			w.time("at", r.At)
			w.key("items")
			if r.Items == nil {
				w.null()
			} else {
				w.openArray()
				for _, it := range r.Items {
					w.next()
					w.open()
					w.str("product", it.Product)
					w.decimal("quantity", it.Quantity)
					w.close()
				}
				w.closeArray()
			}
			w.close()
		}
		w.closeArray()
	}
	if len(o.SourceDetails) > 0 {
		w.key("sourceDetails")
		w.open()
		for _, k := range sortedKeys(o.SourceDetails) {
			w.entry(k, o.SourceDetails[k])
		}
		w.close()
	}
	w.optTime("retainUntil", o.RetainUntil)
	w.time("receivedAt", o.ReceivedAt)
	w.time("updatedAt", o.UpdatedAt)
	w.int("version", int64(o.Version))
	w.optInt("attempts", int64(o.Attempts))
	if o.Submission != (Submission{}) {
		w.key("submission")
		w.open()
		w.optStr("owner", o.Submission.Owner)
		w.optTime("until", o.Submission.Until)
		w.optTime("uncertainAt", o.Submission.UncertainAt)
		w.close()
	}
	if len(o.Tracks) > 0 {
		w.key("tracks")
		w.open()
		for _, k := range sortedKeys(o.Tracks) {
			w.mapKey(string(k))
			w.track(o.Tracks[k])
		}
		w.close()
	}
	w.close()
	if w.err != nil {
		return w.b, fmt.Errorf("encode order %s: %w", o.ID, w.err)
	}
	return w.b, nil
}

func (w *docWriter) customer(c *Customer) {
	w.open()
	w.str("email", c.Email)
	w.optStr("language", c.Language)
	w.optStr("gender", c.Gender)
	w.optStr("firstName", c.FirstName)
	w.optStr("lastName", c.LastName)
	w.optStr("sourceId", c.SourceID)
	w.key("address")
	w.address(&c.Address)
	w.optStr("plenigoCustomerId", c.PlenigoCustomerID)
	w.close()
}

func (w *docWriter) address(a *Address) {
	w.open()
	w.optStr("company", a.Company)
	w.optStr("firstName", a.FirstName)
	w.optStr("lastName", a.LastName)
	w.optStr("street", a.Street)
	w.optStr("houseNumber", a.HouseNumber)
	w.optStr("additional", a.Additional)
	w.optStr("postalCode", a.PostalCode)
	w.optStr("town", a.Town)
	w.optStr("country", a.Country)
	w.optStr("phone", a.Phone)
	w.optStr("email", a.Email)
	w.close()
}

func (w *docWriter) dealer(d *Dealer) {
	w.open()
	w.str("group", d.Group)
	w.str("number", d.Number)
	if d.Delivery != nil {
		w.key("delivery")
		w.address(d.Delivery)
	}
	w.optInt("deliveryAddressId", d.DeliveryAddressID)
	w.close()
}

func (w *docWriter) item(it *Item) {
	w.open()
	w.str("product", it.Product)
	w.optStr("name", it.Name)
	w.decimal("quantity", it.Quantity)
	w.key("price")
	w.money(it.Price)
	w.optStr("offerId", it.OfferID)
	w.optStr("plenigoOrderId", it.PlenigoOrderID)
	w.close()
}

func (w *docWriter) money(m Money) {
	w.open()
	w.decimal("gross", m.Gross)
	w.decimal("net", m.Net)
	w.close()
}

func (w *docWriter) track(t *Track) {
	if t == nil {
		w.null()
		return
	}
	w.open()
	w.str("state", string(t.State))
	w.optInt("attempts", int64(t.Attempts))
	w.time("updatedAt", t.UpdatedAt)
	w.optTime("since", t.Since)
	if c := t.LastCall; c != nil {
		w.key("lastCall")
		w.open()
		w.str("partner", c.Partner)
		w.str("operation", c.Operation)
		w.str("outcome", c.Outcome)
		w.optInt("status", int64(c.Status))
		w.optStr("detail", c.Detail)
		w.close()
	}
	w.optStr("ref", t.Ref)
	w.optBool("waiting", t.Waiting)
	if len(t.Facts) > 0 {
		w.key("facts")
		w.open()
		for _, k := range sortedKeys(t.Facts) {
			w.entry(k, t.Facts[k])
		}
		w.close()
	}
	w.close()
}

// docWriter appends JSON as encoding/json writes it without HTML escaping.
type docWriter struct {
	b     []byte
	first bool // no member written yet in the object just opened
	err   error
}

func (w *docWriter) open()       { w.b, w.first = append(w.b, '{'), true }
func (w *docWriter) close()      { w.b, w.first = append(w.b, '}'), false }
func (w *docWriter) openArray()  { w.b, w.first = append(w.b, '['), true }
func (w *docWriter) closeArray() { w.b, w.first = append(w.b, ']'), false }
func (w *docWriter) null()       { w.b = append(w.b, "null"...) }

// next starts an array element.
func (w *docWriter) next() {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
}

// key starts a member named by a field's tag, which needs no escaping.
func (w *docWriter) key(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(append(append(w.b, '"'), k...), '"', ':')
}

// mapKey starts a member named by a map's key.
func (w *docWriter) mapKey(k string) {
	if !w.first {
		w.b = append(w.b, ',')
	}
	w.first = false
	w.b = append(appendString(w.b, k), ':')
}

// entry writes a map's string entry.
func (w *docWriter) entry(k, v string) {
	w.mapKey(k)
	w.b = appendString(w.b, v)
}

func (w *docWriter) str(k, v string) {
	w.key(k)
	w.b = appendString(w.b, v)
}

func (w *docWriter) optStr(k, v string) {
	if v != "" {
		w.str(k, v)
	}
}

func (w *docWriter) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
}

func (w *docWriter) optInt(k string, v int64) {
	if v != 0 {
		w.int(k, v)
	}
}

func (w *docWriter) optBool(k string, v bool) {
	if v {
		w.key(k)
		w.b = append(w.b, "true"...)
	}
}

func (w *docWriter) decimal(k string, d Decimal) {
	w.key(k)
	w.b = appendDecimal(w.b, d)
}

// time writes t as time.Time's MarshalJSON does (RFC 3339 with the nanoseconds it has).
func (w *docWriter) time(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	b, err := t.AppendText(w.b)
	if err != nil && w.err == nil {
		w.err = err
	}
	w.b = append(b, '"')
}

func (w *docWriter) optTime(k string, t time.Time) {
	if !t.IsZero() {
		w.time(k, t)
	}
}

// sortedKeys returns m's keys in order, as encoding/json writes a map.
func sortedKeys[K ~string, V any](m map[K]V) []K {
	keys := make([]K, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// appendDecimal appends d as Decimal.String writes it.
func appendDecimal(b []byte, d Decimal) []byte {
	v := int64(d)
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/DecimalScale, 10)
	frac := v % DecimalScale
	if frac == 0 {
		return b
	}
	b = append(b, '.')
	for unit := int64(DecimalScale / 10); frac > 0; unit /= 10 {
		b = append(b, byte('0'+frac/unit))
		frac %= unit
	}
	return b
}

// appendString appends s as a JSON string, escaped as encoding/json escapes it without HTML
// escaping: '"', '\\' and control characters, U+2028 and U+2029 (for JavaScript), and each byte
// that is not UTF-8 as \ufffd.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= ' ' && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
		default:
			i += size
			continue
		}
		i += size
		start = i
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
