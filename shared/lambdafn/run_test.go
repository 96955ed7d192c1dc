package lambdafn_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/lambdafn"
	"github.com/orderhub/orderhub/shared/metrics"
	"github.com/orderhub/orderhub/shared/order"
)

// TestTheOrdersStoreCountsTransitions: the store every function builds with Deps.Orders writes an
// OrderTransitions record to the function's log for each state change it commits.
func TestTheOrdersStoreCountsTransitions(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	var buf bytes.Buffer
	d := lambdafn.Deps{DynamoDB: db, Metrics: metrics.NewSink(slog.New(slog.NewJSONHandler(&buf, nil)), "orderhub/dev")}
	store := d.Orders(table)
	at := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	o, _ := order.New(order.SourceMarketplace, "counted", at, order.Actor{Function: "receiver"})
	if err := store.Create(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Update(t.Context(), o.ID, func(o *order.Order) error {
		return o.MoveTo(order.Queued, order.Change{At: at, By: order.Actor{Function: "enqueuer"}})
	}); err != nil {
		t.Fatal(err)
	}
	var to []string
	for _, l := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatal(err)
		}
		if rec[metrics.OrderTransitions] != 1.0 || rec["_aws"] == nil || rec["Track"] != "order" {
			t.Errorf("record %s", l)
		}
		to = append(to, rec["To"].(string))
	}
	if strings.Join(to, ",") != "RECEIVED,QUEUED" {
		t.Errorf("transitions to %v", to)
	}
	silent := lambdafn.Deps{DynamoDB: db}.Orders(table)
	if silent.Committed != nil {
		t.Error("a store without a metrics sink has a commit hook")
	}
}
