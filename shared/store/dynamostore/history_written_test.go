package dynamostore_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

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
