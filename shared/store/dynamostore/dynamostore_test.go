package dynamostore_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
	"github.com/orderhub/orderhub/shared/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) order.Repository {
		db, table, _ := localaws.TestTable(t, "OrdersTable")
		return dynamostore.New(db, table)
	})
}

// TestCreateIsOneRequest holds the receiver's promise: one durable write per accepted purchase, a
// PutItem, since the order's history is in its item.
func TestCreateIsOneRequest(t *testing.T) {
	db, table, calls := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	o, err := order.New(order.SourceMarketplace, "1", storetestTime, order.Actor{Function: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.MoveTo(order.Rejected, order.Change{At: storetestTime, Reason: "two history entries, still one write"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if calls.Total() != 1 || calls.Count("PutItem") != 1 {
		t.Fatalf("Create made %d requests (%d PutItem), want exactly 1", calls.Total(), calls.Count("PutItem"))
	}
}

// TestAStepIsOnePutUnlessATrackWaits: a step that changes no track's index item is one Query and
// one conditional PutItem; one that starts a track waiting writes its index item with the order in
// one transaction, and so does the step that ends the wait.
func TestAStepIsOnePutUnlessATrackWaits(t *testing.T) {
	db, table, calls := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := t.Context()
	o, _ := order.New(order.SourceMarketplace, "steps", storetestTime, order.Actor{Function: "test"})
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	due := order.NewMachine("steps-test", []order.TrackState{"DUE"}, map[order.TrackState]order.TrackFacts{"DUE": {NeedsWork: true, Next: []order.TrackState{"DONE"}}, "DONE": {}})
	steps := []struct {
		name    string
		fn      func(o *order.Order) error
		put, tx int
	}{
		{"a move", func(o *order.Order) error {
			return o.MoveTo(order.Queued, order.Change{At: storetestTime.Add(time.Second)})
		}, 1, 0},
		{"a track starts waiting", func(o *order.Order) error {
			return o.MoveTrack(due, "DUE", order.Change{At: storetestTime.Add(2 * time.Second)})
		}, 0, 1},
		{"the track is done", func(o *order.Order) error {
			return o.MoveTrack(due, "DONE", order.Change{At: storetestTime.Add(3 * time.Second)})
		}, 0, 1},
	}
	for _, st := range steps {
		calls.Reset()
		if _, err := s.Update(ctx, o.ID, st.fn); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if calls.Count("PutItem") != st.put || calls.Count("TransactWriteItems") != st.tx || calls.Total() != 1+st.put+st.tx {
			t.Errorf("%s: %d requests, %d PutItem, %d TransactWriteItems; want a Query, %d and %d", st.name, calls.Total(), calls.Count("PutItem"), calls.Count("TransactWriteItems"), st.put, st.tx)
		}
	}
	got, err := s.Get(ctx, o.ID)
	if err != nil || len(got.History) != 4 || got.Tracks["steps-test"].State != "DONE" {
		t.Fatalf("read back %+v, %v", got, err)
	}
}

func TestRecordsContract(t *testing.T) {
	storetest.RunRecords(t, func(t *testing.T) records.Store {
		db, table, _ := localaws.TestTable(t, "OrdersTable")
		return dynamostore.New(db, table)
	})
}

// TestRetainedOrdersExpireAsAWhole: an order with RetainUntil marks its order item (with its
// history) and its waiting track's index item for the table's TTL at that time, also when another
// writer (who knows no retention) adds to it later; an order without it marks nothing.
func TestRetainedOrdersExpireAsAWhole(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	ctx := t.Context()
	kept, _ := order.New(order.SourceMarketplace, "kept", storetestTime, order.Actor{Function: "test"})
	retained, _ := order.New(order.SourceMarketplace, "retained", storetestTime, order.Actor{Function: "test"})
	retained.RetainUntil = storetestTime.Add(730 * 24 * time.Hour)
	for _, o := range []*order.Order{kept, retained} {
		if err := s.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	due := order.NewMachine("retention-test", []order.TrackState{"DUE"}, map[order.TrackState]order.TrackFacts{"DUE": {NeedsWork: true}})
	if _, err := s.Update(ctx, retained.ID, func(o *order.Order) error {
		if err := o.MoveTo(order.Queued, order.Change{At: storetestTime.Add(time.Minute)}); err != nil {
			return err
		}
		return o.MoveTrack(due, "DUE", order.Change{At: storetestTime.Add(time.Minute)})
	}); err != nil {
		t.Fatal(err)
	}
	want := strconv.FormatInt(retained.RetainUntil.Unix(), 10)
	for _, id := range []string{kept.ID, retained.ID} {
		out, err := db.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("pk = :id"),
			ExpressionAttributeValues: map[string]types.AttributeValue{":id": &types.AttributeValueMemberS{Value: id}}})
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range out.Items {
			sk := item[dynamostore.AttrSK].(*types.AttributeValueMemberS).Value
			got, has := item[dynamostore.AttrExpiresAt].(*types.AttributeValueMemberN)
			switch {
			case id == kept.ID && has:
				t.Errorf("%s %s expires at %s without a retention", id, sk, got.Value)
			case id == retained.ID && (!has || got.Value != want):
				t.Errorf("%s %s: expiresAt %v, want %s", id, sk, got, want)
			}
		}
		if id == retained.ID && len(out.Items) != 2 { // the order, with its history, and the track's item
			t.Errorf("%s has %d items, want 2", id, len(out.Items))
		}
	}
}

type expiring struct{ At time.Time }

func (e expiring) ExpiresAt() time.Time { return e.At }

// TestExpiringRecordsAreMarkedForTTL: a record value that says when it expires is marked for the
// table's TTL by both kinds of save; one that does not is kept.
func TestExpiringRecordsAreMarkedForTTL(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	at := storetestTime.Add(time.Hour)
	if err := s.Save(t.Context(), "TEST", "checked", expiring{at}, 0); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(t.Context(), "TEST", "unchecked", expiring{at}, records.Any); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(t.Context(), "TEST", "kept", struct{}{}, records.Any); err != nil {
		t.Fatal(err)
	}
	out, err := db.Scan(t.Context(), &dynamodb.ScanInput{TableName: &table})
	if err != nil {
		t.Fatal(err)
	}
	marked := 0
	for _, item := range out.Items {
		if v, ok := item[dynamostore.AttrExpiresAt].(*types.AttributeValueMemberN); ok {
			marked++
			if v.Value != strconv.FormatInt(at.Unix(), 10) {
				t.Errorf("expiresAt %s, want %d", v.Value, at.Unix())
			}
		}
	}
	if len(out.Items) != 3 || marked != 2 {
		t.Fatalf("%d items, %d marked; want 3 and 2", len(out.Items), marked)
	}
}
