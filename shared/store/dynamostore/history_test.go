package dynamostore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// TestALongHistoryMovesIntoChunks: an order whose loyalty push is retried a hundred times (an entry
// each) keeps its order item under 2 KB throughout, so no step writes more than two units; the
// entries move into chunk items of their own, in one transaction each, and the order reads back
// with all 101 entries in order.
func TestALongHistoryMovesIntoChunks(t *testing.T) {
	db, table, calls := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := t.Context()
	o := usualOrder(t, "retried")
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	largest := 0
	for i := range 100 {
		if _, err := s.Update(ctx, o.ID, func(o *order.Order) error {
			o.Record(order.Change{At: storetestTime.Add(time.Duration(i+1) * 5 * time.Minute),
				By:     order.Actor{Function: "pusher", RequestID: fmt.Sprintf("%08x-5b1e-4c2d-9e3f-%012x", i*7919, i*104729)},
				Reason: "will retry: transient failure",
				Call:   &order.PartnerCall{Partner: "bonifiq", Operation: "upsert order", Outcome: "transient", Status: 503, Detail: "BonifiQ answered 503"}})
			return nil
		}); err != nil {
			t.Fatalf("retry %d: %v", i, err)
		}
		item, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: orderKey(o.ID), ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatal(err)
		}
		largest = max(largest, itemSize(item.Item))
	}
	if largest >= 2048 {
		t.Errorf("the order item reached %d bytes; want it under 2 KB at every step", largest)
	}
	got, err := s.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 101 {
		t.Fatalf("%d history entries, want 101", len(got.History))
	}
	for i, e := range got.History {
		if e.Seq != i+1 {
			t.Fatalf("entry %d has seq %d", i, e.Seq)
		}
	}
	if last := got.History[100]; last.Actor.RequestID != fmt.Sprintf("%08x-5b1e-4c2d-9e3f-%012x", 99*7919, 99*104729) || last.Call.Status != 503 {
		t.Errorf("last entry: %+v", last)
	}
	chunks := 0
	out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: o.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range out.Items {
		if strings.HasPrefix(it[dynamostore.AttrSK].(*types.AttributeValueMemberS).Value, dynamostore.ChunkPrefix) {
			chunks++
		}
	}
	if chunks != 6 || calls.Count("TransactWriteItems") != 6 {
		t.Errorf("%d chunks written by %d transactions; want 6 of 16 entries each, one transaction each", chunks, calls.Count("TransactWriteItems"))
	}
}

// TestAPutWhoseAnswerWasLostIsStoredOnce: the connection drops after DynamoDB stored a step, so the
// SDK sends the same put again and its condition fails on the step's own write. The store knows
// its own item: the step counts once (one new history entry, the commit hook told once), and a
// create answered the same way is a create, not a duplicate.
func TestAPutWhoseAnswerWasLostIsStoredOnce(t *testing.T) {
	_, table, _ := localaws.TestTable(t, "OrdersTable")
	lose := &flakyPuts{}
	db := localaws.DynamoDB(localaws.Endpoint(t, localaws.EnvDynamoDB), &http.Client{Transport: lose, Timeout: 30 * time.Second})
	s := dynamostore.New(db, table)
	var told [][]order.Event
	s.Committed = func(_ context.Context, _ string, events []order.Event) { told = append(told, events) }
	ctx := t.Context()

	lose.answerLost.Store(1)
	o := usualOrder(t, "lost")
	if err := s.Create(ctx, o); err != nil {
		t.Fatalf("a create whose answer was lost: %v", err)
	}
	lose.answerLost.Store(1)
	got, err := s.Update(ctx, o.ID, func(o *order.Order) error {
		return o.MoveTo(order.Queued, order.Change{At: storetestTime.Add(time.Second), Reason: "import job sent"})
	})
	if err != nil {
		t.Fatalf("an update whose answer was lost: %v", err)
	}
	if lose.puts.Load() != 4 || lose.answerLost.Load() != 0 {
		t.Fatalf("%d puts sent; want each of the two sent twice", lose.puts.Load())
	}
	stored, err := s.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || stored.Version != 2 || stored.State != order.Queued || len(stored.History) != 2 {
		t.Errorf("stored version %d, state %s, %d entries; want version 2, QUEUED, 2 entries", stored.Version, stored.State, len(stored.History))
	}
	if len(told) != 2 || len(told[0]) != 1 || len(told[1]) != 1 {
		t.Errorf("the commit hook was told %v; want once per step, one entry each", told)
	}
}

// TestAPutThatMeetsATransactionIsRetried: a put refused because another writer's transaction holds
// the item (TransactionConflictException, which the SDK does not retry) is tried again.
func TestAPutThatMeetsATransactionIsRetried(t *testing.T) {
	_, table, _ := localaws.TestTable(t, "OrdersTable")
	busy := &flakyPuts{}
	db := localaws.DynamoDB(localaws.Endpoint(t, localaws.EnvDynamoDB), &http.Client{Transport: busy, Timeout: 30 * time.Second})
	s := dynamostore.New(db, table)
	ctx := t.Context()
	o := usualOrder(t, "busy")
	busy.conflicts.Store(1)
	if err := s.Create(ctx, o); err != nil {
		t.Fatalf("create: %v", err)
	}
	busy.conflicts.Store(2)
	if _, err := s.Update(ctx, o.ID, func(o *order.Order) error {
		return o.MoveTo(order.Queued, order.Change{At: storetestTime.Add(time.Second)})
	}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if got, _ := s.Get(ctx, o.ID); got == nil || got.State != order.Queued || busy.puts.Load() != 5 {
		t.Fatalf("after conflicts: %+v, %d puts; want QUEUED after 5 puts", got, busy.puts.Load())
	}
}

// flakyPuts passes requests to DynamoDB Local, except that it loses the answer to the next
// answerLost PutItems (after DynamoDB stored them, as a dropped connection does), and answers the
// next conflicts PutItems itself with a TransactionConflictException.
type flakyPuts struct {
	answerLost, conflicts, puts atomic.Int32
}

func (f *flakyPuts) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("X-Amz-Target") != "DynamoDB_20120810.PutItem" {
		return http.DefaultTransport.RoundTrip(r)
	}
	f.puts.Add(1)
	if f.conflicts.Load() > 0 {
		f.conflicts.Add(-1)
		body := `{"__type":"com.amazonaws.dynamodb.v20120810#TransactionConflictException","message":"Transaction is ongoing for the item"}`
		return &http.Response{StatusCode: 400, Status: "400 Bad Request", Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
			Body: io.NopCloser(bytes.NewReader([]byte(body))), ContentLength: int64(len(body)), Request: r}, nil
	}
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err == nil && f.answerLost.Load() > 0 {
		f.answerLost.Add(-1)
		resp.Body.Close()
		return nil, errors.New("read tcp 127.0.0.1:41234->127.0.0.1:8000: read: connection reset by peer")
	}
	return resp, err
}

func orderKey(id string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{dynamostore.AttrPK: &types.AttributeValueMemberS{Value: id}, dynamostore.AttrSK: &types.AttributeValueMemberS{Value: dynamostore.SKOrder}}
}

// TestADeletedOrdersLeftoversAreNotItsSuccessors: DynamoDB's TTL deletes an order item by item, so
// an order long gone may leave a history chunk and an entry of its own behind. A new order with the
// same id (the purchase delivered again years later) reads none of their entries, and its history
// moves into chunks over the old chunk's key without getting stuck.
func TestADeletedOrdersLeftoversAreNotItsSuccessors(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := t.Context()
	old := usualOrder(t, "again")
	for i := 2; i <= 20; i++ {
		old.Record(order.Change{At: storetestTime.Add(time.Duration(i) * time.Minute), Reason: "long ago"})
	}
	if err := s.Create(ctx, old); err != nil {
		t.Fatal(err)
	}
	for range 2 { // the order's 20 entries move into a chunk, HIST#000001
		if _, err := s.Update(ctx, old.ID, func(o *order.Order) error {
			o.Record(order.Change{At: storetestTime.Add(time.Hour), Reason: "long ago"})
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	// TTL took the order item only.
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: orderKey(old.ID)}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: map[string]types.AttributeValue{
		dynamostore.AttrPK: &types.AttributeValueMemberS{Value: old.ID}, dynamostore.AttrSK: &types.AttributeValueMemberS{Value: dynamostore.HistoryKey(30)},
		dynamostore.AttrDoc: &types.AttributeValueMemberS{Value: `{"seq":30,"at":"2026-11-01T12:00:00Z","from":"RECEIVED","to":"RECEIVED","actor":{"function":"old"},"reason":"long ago"}`},
	}}); err != nil {
		t.Fatal(err)
	}

	later := storetestTime.Add(3 * 365 * 24 * time.Hour)
	o, err := order.New(order.SourceMarketplace, "again", later, order.Actor{Function: "receiver"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, o); err != nil {
		t.Fatalf("the purchase again: %v", err)
	}
	for i := range 40 {
		if _, err := s.Update(ctx, o.ID, func(o *order.Order) error {
			o.Record(order.Change{At: later.Add(time.Duration(i+1) * time.Minute), Reason: "now"})
			return nil
		}); err != nil {
			t.Fatalf("step %d of the new order: %v", i, err)
		}
	}
	got, err := s.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.History) != 41 || !got.History[0].At.Equal(later) {
		t.Fatalf("%d entries, the first at %v; want the new order's 41, from %v", len(got.History), got.History[0].At, later)
	}
	for i, e := range got.History {
		if e.Seq != i+1 || e.Reason == "long ago" {
			t.Fatalf("entry %d: %+v", i, e)
		}
	}
}

// TestHistoryIsWrittenBackAsRead: the history an order item holds is written back byte for byte,
// with the new entries after it, never re-encoded: an entry with a field this version does not know
// (written by a newer one) keeps it through a step written by this one.
func TestHistoryIsWrittenBackAsRead(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := t.Context()
	at := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	o, err := order.New(order.SourceMarketplace, "asread", at, order.Actor{Function: "receiver"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	item, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: orderKey(o.ID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	doc, history, err := dynamostore.Unpack(item.Item[dynamostore.AttrDoc])
	if err != nil {
		t.Fatal(err)
	}
	newer := bytes.Replace(history, []byte(`"seq":1,`), []byte(`"seq":1,"signedBy":"a field of a newer version",`), 1)
	if bytes.Equal(newer, history) {
		t.Fatalf("history %s has no first entry to mark", history)
	}
	item.Item[dynamostore.AttrDoc] = dynamostore.Packed(doc, newer)
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item.Item}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, o.ID, func(o *order.Order) error {
		return o.MoveTo(order.Queued, order.Change{At: at.Add(time.Second), Reason: "import job sent"})
	}); err != nil {
		t.Fatal(err)
	}
	after, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: orderKey(o.ID), ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatal(err)
	}
	_, written, err := dynamostore.Unpack(after.Item[dynamostore.AttrDoc])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(written, newer[:len(newer)-1]) || !bytes.Contains(written, []byte(`"import job sent"`)) {
		t.Fatalf("history written back as\n%s\nwant it to begin with what was read\n%s", written, newer)
	}
}
