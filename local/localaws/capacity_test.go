package localaws

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/lambdacontext"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
)

// answer is a fake DynamoDB or SQS endpoint: it records each request's target and body and
// answers what reply returns for it.
type answer struct {
	reply  func(target string, body map[string]any) (int, string)
	bodies map[string]map[string]any
}

func (a *answer) RoundTrip(r *http.Request) (*http.Response, error) {
	b, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(b, &body)
	target := r.Header.Get("X-Amz-Target")
	a.bodies[target] = body
	status, out := a.reply(target, body)
	return &http.Response{StatusCode: status, Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body: io.NopCloser(strings.NewReader(out)), ContentLength: int64(len(out)), Request: r}, nil
}

func fakeAWS(reply func(string, map[string]any) (int, string)) (*Capacity, *answer) {
	a := &answer{reply: reply, bodies: map[string]map[string]any{}}
	return NewCapacity(a), a
}

// TestCapacityAsksForConsumedCapacityAndAddsItUp: the operations that take ReturnConsumedCapacity
// are sent it (INDEXES), others go as they were; the answers' units are added up for the table and
// each index, read and write apart, under the label of the request's context.
func TestCapacityAsksForConsumedCapacityAndAddsItUp(t *testing.T) {
	c, a := fakeAWS(func(target string, _ map[string]any) (int, string) {
		switch target {
		case "DynamoDB_20120810.PutItem":
			return 200, `{"ConsumedCapacity":{"TableName":"orders","CapacityUnits":7,"Table":{"CapacityUnits":3},"GlobalSecondaryIndexes":{"work":{"CapacityUnits":3},"received":{"CapacityUnits":1}}}}`
		case "DynamoDB_20120810.TransactWriteItems":
			return 200, `{"ConsumedCapacity":[{"TableName":"orders","CapacityUnits":10,"WriteCapacityUnits":10,"Table":{"CapacityUnits":8,"WriteCapacityUnits":8},"GlobalSecondaryIndexes":{"work":{"CapacityUnits":2,"WriteCapacityUnits":2}}}]}`
		case "DynamoDB_20120810.Query":
			return 200, `{"Count":0,"Items":[],"ScannedCount":0,"ConsumedCapacity":{"TableName":"orders","CapacityUnits":0.5}}`
		}
		return 200, `{"TableNames":[]}`
	})
	db := DynamoDB("http://dynamodb.invalid", &http.Client{Transport: NewCounter(c)})
	ctx := WithLabel(context.Background(), "receiver")
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: aws.String("orders"), Item: item}}}}); err != nil {
		t.Fatal(err)
	}
	lambdaCtx := lambdacontext.NewContext(context.Background(), &lambdacontext.LambdaContext{InvokedFunctionArn: "arn:aws:lambda:eu-central-1:000000000000:function:poller"})
	if _, err := db.Query(lambdaCtx, &dynamodb.QueryInput{TableName: aws.String("orders"), KeyConditionExpression: aws.String("pk = :p"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":p": &types.AttributeValueMemberS{Value: "a"}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ListTables(context.Background(), &dynamodb.ListTablesInput{}); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"PutItem", "TransactWriteItems", "Query"} {
		if got := a.bodies["DynamoDB_20120810."+target]["ReturnConsumedCapacity"]; got != "INDEXES" {
			t.Errorf("%s: ReturnConsumedCapacity %v", target, got)
		}
	}
	if _, ok := a.bodies["DynamoDB_20120810.ListTables"]["ReturnConsumedCapacity"]; ok {
		t.Error("ListTables was sent ReturnConsumedCapacity, which it does not take")
	}
	if a.bodies["DynamoDB_20120810.PutItem"]["TableName"] != "orders" {
		t.Errorf("the rewritten body lost the request: %v", a.bodies["DynamoDB_20120810.PutItem"])
	}

	got := c.Snapshot()
	recv := got["receiver"]
	want := map[Units]float64{
		{Op: "PutItem", Table: "orders", Write: true}:                           3,
		{Op: "PutItem", Table: "orders", Index: "work", Write: true}:            3,
		{Op: "PutItem", Table: "orders", Index: "received", Write: true}:        1,
		{Op: "TransactWriteItems", Table: "orders", Write: true}:                8,
		{Op: "TransactWriteItems", Table: "orders", Index: "work", Write: true}: 2,
	}
	if len(recv.Units) != len(want) {
		t.Errorf("receiver's units %v, want %v", recv.Units, want)
	}
	for k, v := range want {
		if recv.Units[k] != v {
			t.Errorf("%+v: %v units, want %v", k, recv.Units[k], v)
		}
	}
	if recv.Requests["DynamoDB.PutItem"] != 1 || recv.Requests["DynamoDB.TransactWriteItems"] != 1 {
		t.Errorf("receiver's requests %v", recv.Requests)
	}
	if u := got["poller"].Units[Units{Op: "Query", Table: "orders"}]; u != 0.5 {
		t.Errorf("the poller's query (labelled by its Lambda context): %v units; all: %v", u, got)
	}
	if got[""].Requests["DynamoDB.ListTables"] != 1 || len(got[""].Units) != 0 {
		t.Errorf("unlabelled: %+v", got[""])
	}

	before := c.Snapshot()["receiver"]
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: item}); err != nil {
		t.Fatal(err)
	}
	d := c.Snapshot()["receiver"].Minus(before)
	if d.Requests["DynamoDB.PutItem"] != 1 || len(d.Requests) != 1 || d.Units[Units{Op: "PutItem", Table: "orders", Index: "work", Write: true}] != 3 {
		t.Errorf("usage between snapshots: %+v", d)
	}
}

// TestCapacityComputesRefusedWrites: a write its condition refuses is answered with an error, with
// no ConsumedCapacity; its units are computed from the request's item sizes and marked so.
func TestCapacityComputesRefusedWrites(t *testing.T) {
	c, _ := fakeAWS(func(target string, _ map[string]any) (int, string) {
		if target == "DynamoDB_20120810.PutItem" {
			return 400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"The conditional request failed"}`
		}
		return 400, `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException","message":"Transaction cancelled [ConditionalCheckFailed, None]","CancellationReasons":[{"Code":"ConditionalCheckFailed"},{"Code":"None"}]}`
	})
	db := DynamoDB("http://dynamodb.invalid", &http.Client{Transport: c})
	big := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}, "doc": &types.AttributeValueMemberS{Value: strings.Repeat("x", 2500)}}
	small := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}, "sk": &types.AttributeValueMemberS{Value: "H#000001"}}
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("orders"), Item: big, ConditionExpression: aws.String("attribute_not_exists(pk)")}); err == nil {
		t.Fatal("the refusal did not reach the caller")
	}
	if _, err := db.TransactWriteItems(context.Background(), &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{
		{Put: &types.Put{TableName: aws.String("orders"), Item: big}}, {Put: &types.Put{TableName: aws.String("orders"), Item: small}},
	}}); err == nil {
		t.Fatal("the cancellation did not reach the caller")
	}
	u := c.Snapshot()[""]
	if got := u.Units[Units{Op: "PutItem", Table: "orders", Write: true, Computed: true}]; got != 3 {
		t.Errorf("refused PutItem of a 2.5 KB item: %v units, want 3", got)
	}
	if got := u.Units[Units{Op: "TransactWriteItems", Table: "orders", Write: true, Computed: true}]; got != 8 {
		t.Errorf("cancelled transaction of 2.5 KB and a small item: %v units, want 2×3 + 2×1", got)
	}
}

// TestCapacityCountsEmptyReceives: SQS requests are counted by operation, and a ReceiveMessage
// answered without a message is counted apart.
func TestCapacityCountsEmptyReceives(t *testing.T) {
	n := 0
	c, _ := fakeAWS(func(target string, _ map[string]any) (int, string) {
		n++
		if target == "AmazonSQS.ReceiveMessage" && n == 1 {
			return 200, `{"Messages":[{"MessageId":"1","ReceiptHandle":"r","Body":"{}","MD5OfBody":"99914b932bd37a50b983c5e7c90ae93b"}]}`
		}
		return 200, `{}`
	})
	q := sqs.NewFromConfig(Config(&http.Client{Transport: c}), func(o *sqs.Options) {
		o.BaseEndpoint = aws.String("http://sqs.invalid")
		o.DisableMessageChecksumValidation = true
	})
	for range 3 {
		if _, err := q.ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{QueueUrl: aws.String("http://sqs.invalid/q")}); err != nil {
			t.Fatal(err)
		}
	}
	u := c.Snapshot()[""]
	if u.Requests["SQS.ReceiveMessage"] != 3 || u.EmptyReceives != 2 {
		t.Errorf("%+v", u)
	}
}

// TestItemSize holds the size rules to DynamoDB's documented ones.
func TestItemSize(t *testing.T) {
	for _, c := range []struct {
		item string
		want int
	}{
		{`{"pk":{"S":"mkt-221"}}`, 2 + 7},
		{`{"n":{"N":"123"}}`, 1 + 3},        // 3 digits: 2 bytes, and 1
		{`{"n":{"N":"-0.0012500"}}`, 1 + 3}, // significant digits 125
		{`{"b":{"B":"AAEC"}}`, 1 + 3},       // three bytes
		{`{"ok":{"BOOL":true},"no":{"NULL":true}}`, 2 + 1 + 2 + 1},
		{`{"l":{"L":[{"S":"ab"},{"N":"1"}]}}`, 1 + 3 + 2 + 2 + 2},
		{`{"m":{"M":{"k":{"S":"v"}}}}`, 1 + 3 + 1 + 1 + 1},
		{`{"ss":{"SS":["a","bc"]}}`, 2 + 3},
		{`{"Ü":{"S":"é"}}`, 2 + 2},
	} {
		var item map[string]json.RawMessage
		if err := json.Unmarshal([]byte(c.item), &item); err != nil {
			t.Fatal(err)
		}
		if got := ItemSize(item); got != c.want {
			t.Errorf("%s: %d bytes, want %d", c.item, got, c.want)
		}
	}
	if WriteUnits(1024) != 1 || WriteUnits(1025) != 2 || WriteUnits(0) != 1 || ReadUnits(4097) != 2 {
		t.Error("units per KB")
	}
}

// TestCapacityOnDynamoDBLocal records what DynamoDB Local reports, which the cost measurement in
// local/pipeline builds on: per index, standard writes and reads as DynamoDB's published rules
// have them (1 unit per KB written to the table and to each index the item is in; an index key
// that changes is a delete and a put; a KEYS_ONLY index whose keys stay is not written). Its
// transactions follow no such rule: one item is reported at 4 units per KB, table and index alike,
// where the published rate is 2 for the table; a transaction of several items at less than 4 per
// KB of each. The cost measurement computes the transactions' units from the items instead.
func TestCapacityOnDynamoDBLocal(t *testing.T) {
	ep := Endpoint(t, EnvDynamoDB)
	c := NewCapacity(nil)
	db := DynamoDB(ep, &http.Client{Transport: c, Timeout: 30 * time.Second})
	res := Template(t).Resources["OrdersTable"]
	name := "capacity-" + time.Now().Format("150405.000000000")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := CreateTable(ctx, db, res, name); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _, _ = db.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: &name}) })
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	doc := s(strings.Repeat("x", 2900)) // with the keys, between 2 and 3 KB
	item := func(pk, ws string) map[string]types.AttributeValue {
		it := map[string]types.AttributeValue{"pk": s(pk), "sk": s("ORDER"), "doc": doc, "receivedDay": s("2026-11-23"), "receivedAt": s("2026-11-23T08:00:00Z")}
		if ws != "" {
			it["workState"], it["workSince"] = s(ws), s("2026-11-23T08:00:00Z")
		}
		return it
	}
	step := func(what string, write bool, do func(context.Context) error, want map[string]float64) {
		t.Helper()
		c.Reset()
		if err := do(WithLabel(ctx, "t")); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		got := map[string]float64{}
		for k, v := range c.Snapshot()["t"].Units {
			if v != 0 && k.Write == write {
				got[cmpKey(k.Index)] += v
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
		for k, v := range want {
			if got[k] != v {
				t.Errorf("%s: %s %v units, want %v (all: %v)", what, k, got[k], v, got)
			}
		}
	}
	put := func(it map[string]types.AttributeValue) func(context.Context) error {
		return func(ctx context.Context) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &name, Item: it})
			return err
		}
	}
	step("a new item in both indexes", true, put(item("a", "RECEIVED")), map[string]float64{"table": 3, "work": 3, "received": 1})
	step("its work key changed", true, put(item("a", "QUEUED")), map[string]float64{"table": 3, "work": 6})
	step("out of the work index", true, put(item("a", "")), map[string]float64{"table": 3, "work": 3})
	step("a new item in a transaction", true, func(ctx context.Context) error {
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: &name, Item: item("b", "RECEIVED")}}}})
		return err
	}, map[string]float64{"table": 12, "work": 12, "received": 4})
	small := func(sk string) types.TransactWriteItem {
		return types.TransactWriteItem{Put: &types.Put{TableName: &name, Item: map[string]types.AttributeValue{"pk": s("c"), "sk": s(sk), "doc": s(strings.Repeat("h", 275))}}}
	}
	step("a transaction of a 1.5 KB item and two small ones", true, func(ctx context.Context) error {
		big := map[string]types.AttributeValue{"pk": s("c"), "sk": s("ORDER"), "doc": s(strings.Repeat("x", 1560))}
		_, err := db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: []types.TransactWriteItem{{Put: &types.Put{TableName: &name, Item: big}}, small("H#1"), small("H#2")}})
		return err
	}, map[string]float64{"table": 12}) // the published rule: 2 × (2 + 1 + 1) = 8; 4 per KB of each would be 16
	step("a strongly consistent query of one item", false, func(ctx context.Context) error {
		_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &name, ConsistentRead: aws.Bool(true), KeyConditionExpression: aws.String("pk = :p"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":p": s("a")}})
		return err
	}, map[string]float64{"table": 1})
	step("an index query", false, func(ctx context.Context) error {
		_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &name, IndexName: aws.String("work"), KeyConditionExpression: aws.String("workState = :w"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":w": s("RECEIVED")}})
		return err
	}, map[string]float64{"work": 0.5})
}

func cmpKey(index string) string {
	if index == "" {
		return "table"
	}
	return index
}
