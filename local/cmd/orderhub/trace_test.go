package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

func TestPrintTraceShowsEveryHop(t *testing.T) {
	at := time.Date(2026, 11, 22, 10, 0, 0, 0, time.UTC)
	o, err := order.New(order.SourceMarketplace, "221", at, order.Actor{Function: "receiver", RequestID: "r1"})
	if err != nil {
		t.Fatal(err)
	}
	_ = o.MoveTo(order.Queued, order.Change{At: at.Add(time.Second), By: order.Actor{Function: "enqueuer"}})
	o.Record(order.Change{At: at.Add(2 * time.Second), By: order.Actor{Function: "worker"}, Call: &order.PartnerCall{Partner: "plenigo", Operation: "ensure customer", Outcome: "created", Detail: "plenigo customer 9123"}})
	_ = o.MoveTo(order.ImportSubmitted, order.Change{At: at.Add(3 * time.Second), By: order.Actor{Function: "worker"}, Reason: "import accepted"})
	o.Customer.PlenigoCustomerID = "9123"
	f, err := os.Create(filepath.Join(t.TempDir(), "trace"))
	if err != nil {
		t.Fatal(err)
	}
	printTrace(f, o)
	_ = f.Close()
	b, _ := os.ReadFile(f.Name())
	out := string(b)
	for _, want := range []string{"order mkt-221", "state IMPORT_SUBMITTED", "plenigo customer 9123", "receiver", "RECEIVED → QUEUED",
		"plenigo ensure customer: created (plenigo customer 9123)", "QUEUED → IMPORT_SUBMITTED", "— import accepted"} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "\n"); n != 2+len(o.History) {
		t.Errorf("trace has %d lines, want a header, the ids and one line per history entry:\n%s", n, out)
	}
}
