package dynamostore_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// usualOrder is a marketplace order of the usual size, with values unlike any in the dictionary.
func usualOrder(t *testing.T, ref string) *order.Order {
	t.Helper()
	o, err := order.New(order.SourceMarketplace, ref, storetestTime, order.Actor{Function: "receiver", RequestID: "4f1d8c52-7a0e-4b11-9c3d-2e8f6a5b9d01"})
	if err != nil {
		t.Fatal(err)
	}
	o.EventID, o.Digest = "evt_0000000c0000000d", "9f0c6a1e1b2d3c4e5f60718293a4b5c6"
	o.Customer = order.Customer{Email: "johanna.beispiel@example.net", Language: "de", Gender: "female", FirstName: "Johanna", LastName: "Beispiel",
		SourceID: "88412", Address: order.Address{Street: "Lindenallee", HouseNumber: "17a", PostalCode: "20259", Town: "Hamburg", Country: "DE"}}
	o.Items = []order.Item{{Product: "7731", Name: "Digital-Abo Plus", Quantity: order.DecimalFromInt(1), Price: order.Money{Gross: 129900, Net: 109160}, OfferID: "O_K9PQ2W7TX41R0M8ZLD"}}
	o.Payment = order.Payment{Method: "paypal", TransactionID: "8VB21377HK650912X", PlenigoMethod: "PAYPAL"}
	o.StartDate, o.PlacedAt = storetestTime, storetestTime
	o.SourceDetails = order.SourceDetails{"addressId": "90311", "addressUpdatedAt": "1795408922", "contactUpdatedAt": "1795408922"}
	o.Customer.Address.FirstName, o.Customer.Address.LastName = "Johanna", "Beispiel"
	o.Customer.Address.Email = o.Customer.Email
	return o
}

// lifeOf moves order id through the steps of a marketplace order's life in s, each one Update, as
// the functions do.
func lifeOf(t *testing.T, s *dynamostore.Store, id string) {
	t.Helper()
	at := storetestTime
	step := func(by string, fn func(o *order.Order) error) {
		at = at.Add(1700 * time.Millisecond)
		if _, err := s.Update(t.Context(), id, fn); err != nil {
			t.Fatalf("%s: %v", by, err)
		}
	}
	actor := func(fn, req string) order.Actor { return order.Actor{Function: fn, RequestID: req} }
	step("enqueuer", func(o *order.Order) error {
		return o.MoveTo(order.Queued, order.Change{At: at, By: actor("enqueuer", "0b7e4d2c-19f3-4a6e-8d51-c3a2f7e90b64"), Reason: "import job sent"})
	})
	step("worker", func(o *order.Order) error {
		o.Customer.PlenigoCustomerID = "417730925563310842"
		by := actor("worker", "c5d91f07-3e28-4b7a-a6f0-81d4e2b3c759")
		o.Record(order.Change{At: at, By: by, Call: &order.PartnerCall{Partner: "plenigo", Operation: "ensure customer", Outcome: "created", Detail: "plenigo customer 417730925563310842"}})
		return o.MoveTo(order.ImportSubmitted, order.Change{At: at, By: by, Reason: "import accepted; waiting for plenigo's import log",
			Call: &order.PartnerCall{Partner: "plenigo", Operation: "import order", Outcome: "accepted", Status: 201, Detail: "promise prm7Q2KD9X0VW3M5T8RJ1"}})
	})
	step("poller", func(o *order.Order) error {
		o.Subscription.PlenigoOrderID, o.Items[0].PlenigoOrderID = "71554201", "71554201"
		by := actor("poller", "e2a84b19-6c07-4fd3-b95e-0a7c31d8f462")
		if err := o.MoveTo(order.Imported, order.Change{At: at, By: by, Call: &order.PartnerCall{Partner: "plenigo", Operation: "import log", Outcome: "imported as plenigo order 71554201", Detail: "entry 90551"}}); err != nil {
			return err
		}
		return o.MoveTo(order.Fulfilled, order.Change{At: at, By: by, Reason: "complete on import (mapping: completion)"})
	})
}

// TestAnOrderIsOneItemOfOneWriteUnit, on DynamoDB Local: a marketplace order of the usual size,
// taken through enqueuing, customer, import and fulfilment, is one item, under 1 KB with its six
// history entries, so each step was one PutItem of one write unit; it reads back whole, its
// history in order.
func TestAnOrderIsOneItemOfOneWriteUnit(t *testing.T) {
	db, table, calls := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := context.Background()
	o := usualOrder(t, "221")
	doc, err := o.Document()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	lifeOf(t, s, o.ID)
	if n, tx := calls.Count("PutItem"), calls.Count("TransactWriteItems"); n != 4 || tx != 0 {
		t.Errorf("%d PutItem and %d TransactWriteItems for four steps, want 4 and 0", n, tx)
	}

	items, err := db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String(table), KeyConditionExpression: aws.String("pk = :id"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: o.ID}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(items.Items) != 1 {
		t.Fatalf("the order is %d items, want 1", len(items.Items))
	}
	item := items.Items[0]
	if _, ok := item[dynamostore.AttrDoc].(*types.AttributeValueMemberB); !ok {
		t.Fatalf("the document is stored as %T, want packed bytes", item[dynamostore.AttrDoc])
	}
	got, err := s.Get(ctx, o.ID)
	if err != nil {
		t.Fatal(err)
	}
	history, _ := json.Marshal(got.History)
	size := itemSize(item)
	if len(got.History) != 6 || len(doc)+len(history) <= 2*1024 || size >= 1024 {
		t.Errorf("%d history entries; document and history %d bytes as text; item %d bytes; want 6 entries, over 2 KB of text in an item under 1 KB",
			len(got.History), len(doc)+len(history), size)
	}
	for i, e := range got.History {
		if e.Seq != i+1 {
			t.Fatalf("history entry %d has seq %d", i, e.Seq)
		}
	}
	if got.State != order.Fulfilled || got.Customer.Address.Street != "Lindenallee" || got.Subscription.PlenigoOrderID != "71554201" ||
		got.History[3].Call == nil || got.History[3].Call.Detail != "promise prm7Q2KD9X0VW3M5T8RJ1" || got.History[0].Actor.RequestID != "4f1d8c52-7a0e-4b11-9c3d-2e8f6a5b9d01" {
		t.Fatalf("read back: %+v", got)
	}

	// The last step's write, again, as DynamoDB accounts it.
	item[dynamostore.AttrPK] = &types.AttributeValueMemberS{Value: "mkt-measure"}
	out, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item, ReturnConsumedCapacity: types.ReturnConsumedCapacityIndexes})
	if err != nil {
		t.Fatal(err)
	}
	if u := aws.ToFloat64(out.ConsumedCapacity.Table.CapacityUnits); u != 1 {
		t.Errorf("a put of the order item takes %v write units, want 1", u)
	}
}

// TestOrdersWrittenBeforeStillRead: an order item written as text or with a gzip-compressed
// document, its history in items of its own, reads back with that history; its next step writes
// the whole history into the order item, and every entry is read once.
func TestOrdersWrittenBeforeStillRead(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := context.Background()
	for _, form := range []string{"text", "gzip"} {
		o := usualOrder(t, form)
		if err := o.MoveTo(order.Queued, order.Change{At: storetestTime.Add(time.Second), Reason: "import job sent"}); err != nil {
			t.Fatal(err)
		}
		o.Version = 2
		doc, err := o.Document()
		if err != nil {
			t.Fatal(err)
		}
		var stored types.AttributeValue = &types.AttributeValueMemberS{Value: string(doc)}
		if form == "gzip" {
			stored = &types.AttributeValueMemberB{Value: gzipped(t, doc)}
		}
		put := func(item map[string]types.AttributeValue) {
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(table), Item: item}); err != nil {
				t.Fatal(err)
			}
		}
		put(map[string]types.AttributeValue{
			dynamostore.AttrPK: &types.AttributeValueMemberS{Value: o.ID}, dynamostore.AttrSK: &types.AttributeValueMemberS{Value: dynamostore.SKOrder},
			dynamostore.AttrState: &types.AttributeValueMemberS{Value: string(o.State)}, dynamostore.AttrVersion: &types.AttributeValueMemberN{Value: "2"},
			dynamostore.AttrDoc: stored,
		})
		for _, e := range o.History {
			ev, _ := json.Marshal(e)
			put(map[string]types.AttributeValue{
				dynamostore.AttrPK: &types.AttributeValueMemberS{Value: o.ID}, dynamostore.AttrSK: &types.AttributeValueMemberS{Value: dynamostore.HistoryKey(e.Seq)},
				dynamostore.AttrDoc: &types.AttributeValueMemberS{Value: string(ev)},
			})
		}
		got, err := s.Get(ctx, o.ID)
		if err != nil || got.State != order.Queued || len(got.History) != 2 || got.History[1].Reason != "import job sent" {
			t.Fatalf("%s: read back %+v, %v", form, got, err)
		}
		if _, err := s.Update(ctx, o.ID, func(o *order.Order) error {
			return o.MoveTo(order.ImportFailed, order.Change{At: storetestTime.Add(2 * time.Second), Reason: "offer unknown to plenigo"})
		}); err != nil {
			t.Fatal(err)
		}
		got, err = s.Get(ctx, o.ID)
		if err != nil || got.State != order.ImportFailed || len(got.History) != 3 {
			t.Fatalf("%s: after a step: %+v, %v", form, got, err)
		}
		for i, e := range got.History {
			if e.Seq != i+1 {
				t.Fatalf("%s: history entry %d has seq %d", form, i, e.Seq)
			}
		}
	}
}

// TestTheDictionaryNeverChanges: every order item written is read with dictionary-1.txt; a change
// to it would make them unreadable. A new dictionary goes in a new file, with a new tag.
func TestTheDictionaryNeverChanges(t *testing.T) {
	b, err := os.ReadFile("dictionary-1.txt")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	if got := hex.EncodeToString(sum[:]); got != "abbe875684c17d5279094b96b90b1782b3bded8b8d1b8e224cba66a696e6183b" {
		t.Fatalf("dictionary-1.txt changed (sha256 %s): orders written with it could no longer be read", got)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w := gzip.NewWriter(&out)
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func itemSize(item map[string]types.AttributeValue) int {
	size := 0
	for k, v := range item {
		size += len(k)
		switch v := v.(type) {
		case *types.AttributeValueMemberS:
			size += len(v.Value)
		case *types.AttributeValueMemberB:
			size += len(v.Value)
		case *types.AttributeValueMemberN:
			size += len(v.Value)
		}
	}
	return size
}
