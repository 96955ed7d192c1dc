package receiver

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"unicode/utf8"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// FuzzReceiverOnDynamoDB is FuzzReceiver against DynamoDB Local instead of the in-memory store (run
// with `make fuzz-store`): whatever arrives, the answer is below 500 with a JSON body, and every
// order the answer names reads back from the table whole and valid.
func FuzzReceiverOnDynamoDB(f *testing.F) {
	addSeeds(f)
	db, table, _ := localaws.TestTable(f, "OrdersTable")
	store := dynamostore.New(db, table)
	h := newHandler(f, store)
	h.Log = slog.New(slog.NewJSONHandler(io.Discard, nil))
	f.Fuzz(func(t *testing.T, body []byte, dealer bool) {
		resp, err := h.Handle(context.Background(), fuzzRequest(t, body, dealer))
		if err != nil || resp.StatusCode >= 500 || resp.StatusCode < 200 || !json.Valid([]byte(resp.Body)) {
			t.Fatalf("status %d, error %v, body %q", resp.StatusCode, err, resp.Body)
		}
		var ans struct {
			OrderID string `json:"orderId"`
			Results []struct {
				OrderID string `json:"orderId"`
				Status  string `json:"status"`
			} `json:"results"`
		}
		_ = json.Unmarshal([]byte(resp.Body), &ans)
		ids := []string{ans.OrderID}
		for _, r := range ans.Results {
			if r.Status == "accepted" || r.Status == "duplicate" {
				ids = append(ids, r.OrderID)
			}
		}
		for _, id := range ids {
			if id == "" {
				continue
			}
			o, err := store.Get(context.Background(), id)
			if err != nil {
				t.Fatalf("order %q answered %d cannot be read back: %v", id, resp.StatusCode, err)
			}
			checkStored(t, o)
		}
	})
}

// checkStored holds a stored order to the domain's own rules.
func checkStored(t *testing.T, o *order.Order) {
	t.Helper()
	if o.ID != order.ID(o.Source, o.SourceRef) || len(o.ID) > order.MaxExternalIDLen || !o.State.Valid() {
		t.Fatalf("stored order %q (%s, %q) in state %q", o.ID, o.Source, o.SourceRef, o.State)
	}
	if len(o.History) == 0 || o.History[0].Seq != 1 || o.History[len(o.History)-1].To != o.State {
		t.Fatalf("order %s: history %+v does not end in %s", o.ID, o.History, o.State)
	}
	b, _ := json.Marshal(o)
	if !utf8.Valid(b) || o.Customer.Email == "" || len(o.Items) == 0 || len(o.Items) > 100 {
		t.Fatalf("order %s: email %q, %d items", o.ID, o.Customer.Email, len(o.Items))
	}
}
