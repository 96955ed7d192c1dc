package localaws

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"maps"
	"math"
	"net/http"
	"strings"
	"sync"

	"github.com/aws/aws-lambda-go/lambdacontext"
)

// Capacity is an http.RoundTripper for cost measurements. It asks DynamoDB for the capacity every
// request consumes (ReturnConsumedCapacity INDEXES, on the operations that accept it), adds up what
// the answers report for the table and each index, read and write units apart, and counts every
// AWS request by service and operation, each under the label of who made it (Label).
//
// It changes the body after the SDK signed it: DynamoDB Local does not check signatures, AWS would
// refuse the request. It is for the emulators only.
type Capacity struct {
	next http.RoundTripper
	// Label names who made a request; nil: LabelOf its context.
	Label func(*http.Request) string

	mu    sync.Mutex
	usage map[string]*Usage
}

// NewCapacity wraps next (nil for the default transport). Chain it beneath a Counter,
// NewCounter(NewCapacity(nil)), to keep both records.
func NewCapacity(next http.RoundTripper) *Capacity {
	if next == nil {
		next = http.DefaultTransport
	}
	return &Capacity{next: next, usage: map[string]*Usage{}}
}

// Usage is what one label's requests made and consumed.
type Usage struct {
	// Requests counts requests by "Service.Operation": DynamoDB.PutItem, DynamoDBStreams.GetRecords,
	// SQS.SendMessage.
	Requests map[string]int
	// Units are the capacity units by operation, table or index, and kind.
	Units map[Units]float64
	// EmptyReceives counts SQS ReceiveMessage requests answered without a message.
	EmptyReceives int
}

// Units says what a number of capacity units was consumed by.
type Units struct {
	Op    string // the DynamoDB operation
	Table string
	Index string // a global or local secondary index; empty for the table itself
	Write bool   // write units; otherwise read units
	// Computed units come from the request's item sizes by DynamoDB's published rules, not from the
	// answer: a write refused by its condition is answered with an error, without ConsumedCapacity,
	// and is still charged (ComputedFailedWriteUnits).
	Computed bool
}

// consumedOps are the DynamoDB operations that take ReturnConsumedCapacity, and whether they write.
var consumedOps = map[string]bool{
	"GetItem": false, "Query": false, "Scan": false, "BatchGetItem": false, "TransactGetItems": false,
	"PutItem": true, "UpdateItem": true, "DeleteItem": true, "BatchWriteItem": true, "TransactWriteItems": true,
}

type labelKey struct{}

// WithLabel marks the requests made with ctx as label's (a command, a test's own reads).
func WithLabel(ctx context.Context, label string) context.Context {
	return context.WithValue(ctx, labelKey{}, label)
}

// LabelOf is the label of the requests made with ctx: the one WithLabel gave, or else the name of
// the Lambda function whose invocation ctx belongs to (the last part of the invoked function's ARN),
// or else "".
func LabelOf(ctx context.Context) string {
	if l, ok := ctx.Value(labelKey{}).(string); ok {
		return l
	}
	if lc, ok := lambdacontext.FromContext(ctx); ok {
		arn := lc.InvokedFunctionArn
		return arn[strings.LastIndexByte(arn, ':')+1:]
	}
	return ""
}

// RoundTrip implements http.RoundTripper.
func (c *Capacity) RoundTrip(r *http.Request) (*http.Response, error) {
	label := ""
	if c.Label != nil {
		label = c.Label(r)
	} else {
		label = LabelOf(r.Context())
	}
	service, op := target(r.Header.Get("X-Amz-Target"))
	write, consumes := consumedOps[op]
	consumes = consumes && service == "DynamoDB"
	receive := service == "SQS" && op == "ReceiveMessage"
	var reqBody []byte
	if consumes || receive {
		var err error
		if reqBody, err = readBody(r); err != nil {
			return nil, err
		}
		body := reqBody
		if asked, ok := askForCapacity(reqBody); consumes && ok {
			body = asked
		}
		r = r.Clone(r.Context())
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
		r.ContentLength = int64(len(body))
		r.Header.Del("Content-Length")
	}
	resp, err := c.next.RoundTrip(r)
	c.mu.Lock()
	u := c.of(label)
	u.Requests[service+"."+op]++
	c.mu.Unlock()
	if err != nil || !(consumes || receive) {
		return resp, err
	}
	respBody, rerr := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if rerr != nil {
		return resp, nil // the caller reads what there was and sees the failure itself
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	switch {
	case receive:
		var out struct{ Messages []json.RawMessage }
		if resp.StatusCode == http.StatusOK && json.Unmarshal(respBody, &out) == nil && len(out.Messages) == 0 {
			u.EmptyReceives++
		}
	case resp.StatusCode == http.StatusOK:
		for _, cc := range consumed(respBody) {
			u.add(op, write, cc)
		}
	case write && refusedByCondition(respBody):
		for table, units := range ComputedFailedWriteUnits(op, reqBody) {
			u.Units[Units{Op: op, Table: table, Write: true, Computed: true}] += units
		}
	}
	return resp, nil
}

func (c *Capacity) of(label string) *Usage {
	u := c.usage[label]
	if u == nil {
		u = &Usage{Requests: map[string]int{}, Units: map[Units]float64{}}
		c.usage[label] = u
	}
	return u
}

// Snapshot returns a copy of every label's usage so far.
func (c *Capacity) Snapshot() map[string]Usage {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]Usage, len(c.usage))
	for l, u := range c.usage {
		out[l] = Usage{Requests: maps.Clone(u.Requests), Units: maps.Clone(u.Units), EmptyReceives: u.EmptyReceives}
	}
	return out
}

// Reset forgets everything recorded.
func (c *Capacity) Reset() {
	c.mu.Lock()
	c.usage = map[string]*Usage{}
	c.mu.Unlock()
}

// Minus returns what u holds beyond before: the usage between two snapshots.
func (u Usage) Minus(before Usage) Usage {
	out := Usage{Requests: map[string]int{}, Units: map[Units]float64{}, EmptyReceives: u.EmptyReceives - before.EmptyReceives}
	for k, n := range u.Requests {
		if d := n - before.Requests[k]; d != 0 {
			out.Requests[k] = d
		}
	}
	for k, n := range u.Units {
		if d := n - before.Units[k]; d != 0 {
			out.Units[k] = d
		}
	}
	return out
}

// Plus returns the sum of u and v.
func (u Usage) Plus(v Usage) Usage {
	out := Usage{Requests: maps.Clone(u.Requests), Units: maps.Clone(u.Units), EmptyReceives: u.EmptyReceives + v.EmptyReceives}
	if out.Requests == nil {
		out.Requests = map[string]int{}
	}
	if out.Units == nil {
		out.Units = map[Units]float64{}
	}
	for k, n := range v.Requests {
		out.Requests[k] += n
	}
	for k, n := range v.Units {
		out.Units[k] += n
	}
	return out
}

// consumedCapacity is one ConsumedCapacity of an answer, as the wire has it.
type consumedCapacity struct {
	TableName                                            string
	CapacityUnits, ReadCapacityUnits, WriteCapacityUnits float64
	Table                                                *capacity
	GlobalSecondaryIndexes, LocalSecondaryIndexes        map[string]capacity
}

type capacity struct{ CapacityUnits, ReadCapacityUnits, WriteCapacityUnits float64 }

func (c capacity) units(write bool) float64 {
	switch {
	case write && c.WriteCapacityUnits != 0:
		return c.WriteCapacityUnits
	case !write && c.ReadCapacityUnits != 0:
		return c.ReadCapacityUnits
	}
	return c.CapacityUnits
}

// add records one ConsumedCapacity: the table's and each index's share when the answer breaks it
// down (INDEXES), or else the whole on the table.
func (u *Usage) add(op string, write bool, cc consumedCapacity) {
	whole := capacity{cc.CapacityUnits, cc.ReadCapacityUnits, cc.WriteCapacityUnits}
	if cc.Table == nil && len(cc.GlobalSecondaryIndexes) == 0 && len(cc.LocalSecondaryIndexes) == 0 {
		u.Units[Units{Op: op, Table: cc.TableName, Write: write}] += whole.units(write)
		return
	}
	if cc.Table != nil {
		u.Units[Units{Op: op, Table: cc.TableName, Write: write}] += cc.Table.units(write)
	}
	for _, idx := range []map[string]capacity{cc.GlobalSecondaryIndexes, cc.LocalSecondaryIndexes} {
		for name, c := range idx {
			u.Units[Units{Op: op, Table: cc.TableName, Index: name, Write: write}] += c.units(write)
		}
	}
}

// consumed reads an answer's ConsumedCapacity: one object, or a list of them (batches, transactions).
func consumed(body []byte) []consumedCapacity {
	var out struct{ ConsumedCapacity json.RawMessage }
	if json.Unmarshal(body, &out) != nil || len(out.ConsumedCapacity) == 0 {
		return nil
	}
	var list []consumedCapacity
	if json.Unmarshal(out.ConsumedCapacity, &list) == nil {
		return list
	}
	var one consumedCapacity
	if json.Unmarshal(out.ConsumedCapacity, &one) == nil {
		return []consumedCapacity{one}
	}
	return nil
}

// askForCapacity sets ReturnConsumedCapacity INDEXES in a request body.
func askForCapacity(body []byte) ([]byte, bool) {
	var in map[string]json.RawMessage
	if json.Unmarshal(body, &in) != nil || in == nil {
		return nil, false
	}
	in["ReturnConsumedCapacity"] = json.RawMessage(`"INDEXES"`)
	out, err := json.Marshal(in)
	return out, err == nil
}

func refusedByCondition(body []byte) bool {
	var e struct {
		Type string `json:"__type"`
	}
	_ = json.Unmarshal(body, &e)
	return strings.HasSuffix(e.Type, "ConditionalCheckFailedException") || strings.HasSuffix(e.Type, "TransactionCanceledException")
}

// ComputedFailedWriteUnits are the write units, by table, of a write its condition refused, by
// DynamoDB's published rules: a refused standard write is charged as the write (1 unit per KB of
// the item a Put carries; 1 for an Update or Delete, whose item size the request does not tell), a
// refused transaction as its writes at the transactional rate (twice that, for every action). It
// is an estimate: DynamoDB sizes a refused write by the item already stored, which the request
// does not show.
func ComputedFailedWriteUnits(op string, body []byte) map[string]float64 {
	out := map[string]float64{}
	type action struct {
		TableName string
		Item      map[string]json.RawMessage
	}
	units := func(a action) float64 {
		if a.Item == nil {
			return 1
		}
		return WriteUnits(ItemSize(a.Item))
	}
	switch op {
	case "PutItem", "UpdateItem", "DeleteItem":
		var a action
		if json.Unmarshal(body, &a) == nil {
			out[a.TableName] += units(a)
		}
	case "TransactWriteItems":
		var in struct {
			TransactItems []struct{ Put, Update, Delete, ConditionCheck *action }
		}
		if json.Unmarshal(body, &in) != nil {
			return out
		}
		for _, it := range in.TransactItems {
			for _, a := range []*action{it.Put, it.Update, it.Delete, it.ConditionCheck} {
				if a != nil {
					out[a.TableName] += 2 * units(*a)
				}
			}
		}
	}
	return out
}

// WriteUnits is what a standard write of an item of size bytes costs: one unit per KB begun.
func WriteUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/1024)) }

// ReadUnits is what a strongly consistent read of size bytes costs: one unit per 4 KB begun;
// an eventually consistent read costs half.
func ReadUnits(size int) float64 { return math.Max(1, math.Ceil(float64(size)/4096)) }

// ItemSize is an item's size as DynamoDB counts it, from the item in DynamoDB's JSON wire format:
// each attribute's name (UTF-8 bytes) and value. Strings count their UTF-8 bytes; binaries their
// bytes; numbers one byte per two significant digits and one more; booleans and nulls one byte;
// lists and maps 3 bytes and one per element besides their elements (a map's element names
// included); sets the sum of their elements.
func ItemSize(item map[string]json.RawMessage) int {
	n := 0
	for name, v := range item {
		n += len(name) + valueSize(v)
	}
	return n
}

func valueSize(raw json.RawMessage) int {
	var v map[string]json.RawMessage
	if json.Unmarshal(raw, &v) != nil {
		return 0
	}
	n := 0
	for typ, val := range v {
		switch typ {
		case "S":
			var s string
			_ = json.Unmarshal(val, &s)
			n += len(s)
		case "N":
			var s string
			_ = json.Unmarshal(val, &s)
			n += numberSize(s)
		case "B":
			n += binarySize(val)
		case "BOOL", "NULL":
			n++
		case "SS":
			var ss []string
			_ = json.Unmarshal(val, &ss)
			for _, s := range ss {
				n += len(s)
			}
		case "NS":
			var ss []string
			_ = json.Unmarshal(val, &ss)
			for _, s := range ss {
				n += numberSize(s)
			}
		case "BS":
			var bs []json.RawMessage
			_ = json.Unmarshal(val, &bs)
			for _, b := range bs {
				n += binarySize(b)
			}
		case "L":
			var l []json.RawMessage
			_ = json.Unmarshal(val, &l)
			n += 3 + len(l)
			for _, e := range l {
				n += valueSize(e)
			}
		case "M":
			var m map[string]json.RawMessage
			_ = json.Unmarshal(val, &m)
			n += 3 + len(m) + ItemSize(m)
		}
	}
	return n
}

func binarySize(val json.RawMessage) int {
	var s string
	_ = json.Unmarshal(val, &s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return len(s)
	}
	return len(b)
}

// numberSize is a number's size: one byte per two significant digits, and one.
func numberSize(s string) int {
	s = strings.TrimLeft(s, "+-")
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		s = s[:i]
	}
	digits := strings.ReplaceAll(s, ".", "")
	digits = strings.TrimLeft(digits, "0")
	digits = strings.TrimRight(digits, "0")
	return (len(digits)+1)/2 + 1
}

// target splits an X-Amz-Target header into a service and an operation.
func target(h string) (service, op string) {
	i := strings.LastIndexByte(h, '.')
	if i < 0 {
		return "", h
	}
	service, op = h[:i], h[i+1:]
	switch {
	case strings.HasPrefix(service, "DynamoDBStreams_"):
		service = "DynamoDBStreams"
	case strings.HasPrefix(service, "DynamoDB_"):
		service = "DynamoDB"
	case service == "AmazonSQS":
		service = "SQS"
	}
	return service, op
}

func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, nil
	}
	if r.GetBody != nil {
		rc, err := r.GetBody()
		if err == nil {
			defer rc.Close()
			return io.ReadAll(rc)
		}
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	return b, err
}
