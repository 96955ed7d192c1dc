package plenigo_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plenigosim"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/secrets"
)

const (
	token = "test-token"
	offer = "O_MZA1E7173120881551"
	wbz   = "O_WBZ7PRINT0012MNTHS"
)

func setup(t *testing.T, cfg plenigosim.Config) (*plenigosim.Sim, *plenigo.Client) {
	t.Helper()
	cfg.Tokens = map[string]bool{token: true, "read-only": false}
	cfg.Offers = map[string]plenigosim.Offer{offer: {}, wbz: {WBZ: true}}
	if cfg.LogDelay == 0 {
		cfg.LogDelay = 20 * time.Millisecond
	}
	return plenigosim.Serve(t, cfg, token)
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return c
}

func kind(err error) partner.Kind { return partner.KindOf(err) }

func TestCustomerCreateIsIdempotentWithAStableID(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{})
	in := plenigo.CustomerCreation{CustomerID: "123456789012", Email: "john@account.com", Language: "de", FirstName: "John"}
	cu, created, err := c.CreateCustomer(ctx(t), in)
	if err != nil || !created || cu.CustomerID != "123456789012" {
		t.Fatalf("first create: %+v created=%v %v", cu, created, err)
	}
	cu, created, err = c.CreateCustomer(ctx(t), in)
	if err != nil || created || cu.CustomerID != "123456789012" {
		t.Fatalf("second create should be 208 with the same customer: %+v created=%v %v", cu, created, err)
	}
	in.CustomerID = "999"
	if _, _, err := c.CreateCustomer(ctx(t), in); kind(err) != partner.Conflict {
		t.Fatalf("same email, other id: %v (kind %v), want Conflict", err, kind(err))
	}
	found, err := c.FindCustomerByEmail(ctx(t), "JOHN@account.com")
	if err != nil || found.CustomerID != "123456789012" {
		t.Fatalf("find: %+v %v", found, err)
	}
	if _, err := c.FindCustomerByEmail(ctx(t), "nobody@example.com"); kind(err) != partner.NotFound {
		t.Fatalf("find unknown: %v", err)
	}
	if sim.CustomerCount() != 1 {
		t.Fatalf("%d customers", sim.CustomerCount())
	}
}

func TestValidationErrorsArePermanentAndNotRetried(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{})
	_, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{Email: "a@b.de"})
	var pe *plenigo.Error
	if !errors.As(err, &pe) || pe.Kind() != partner.Permanent || pe.Code != 99400 || len(pe.ValidationErrors) != 1 || pe.ValidationErrors[0].Field != "language" {
		t.Fatalf("missing language: %v", err)
	}
	if n := sim.Calls()["POST /customers"]; n != 1 {
		t.Fatalf("a validation error was retried: %d calls", n)
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	for name, f := range map[string]plenigosim.Fault{"429": plenigosim.Fault429, "500": plenigosim.Fault500, "502": plenigosim.Fault502, "503": plenigosim.Fault503, "timeout": plenigosim.FaultTimeout} {
		t.Run(name, func(t *testing.T) {
			sim, c := setup(t, plenigosim.Config{TimeoutHold: 2 * time.Second})
			c.AttemptTimeout = 200 * time.Millisecond
			sim.FailNext("POST /customers", f)
			if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "1", Email: "a@b.de", Language: "de"}); err != nil {
				t.Fatal(err)
			}
			if n := sim.Calls()["POST /customers"]; n != 2 {
				t.Fatalf("%d calls, want 2", n)
			}
		})
	}
}

func TestRetriesStopAtMaxAttempts(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{})
	sim.FailNext("GET /orders", plenigosim.Fault503, plenigosim.Fault503, plenigosim.Fault503, plenigosim.Fault503)
	_, err := c.OrdersByExternalSystemID(ctx(t), "x")
	if kind(err) != partner.Transient {
		t.Fatalf("err %v", err)
	}
	if n := sim.Calls()["GET /orders"]; n != 3 {
		t.Fatalf("%d calls, want 3 attempts", n)
	}
}

func TestImportIsAsyncAndConfirmedInTheLog(t *testing.T) {
	_, c := setup(t, plenigosim.Config{})
	cu, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Second)
	res, err := c.ImportOrders(ctx(t), plenigo.OrderImports{SuppressMail: true, Items: []plenigo.OrderImport{
		{ExternalSystemID: "mkt-1", PlenigoOfferID: offer, InvoiceCustomerID: cu.CustomerID, Quantity: 1, StartDate: start, PaymentMethod: "PAYPAL", ManagedBy: "EXTERNAL"},
		// A WBZ offer imported as an ordinary one: accepted, then refused in the log.
		{ExternalSystemID: "mkt-2", PlenigoOfferID: wbz, InvoiceCustomerID: cu.CustomerID, Quantity: 1, StartDate: start, PaymentMethod: "PAYPAL", ManagedBy: "EXTERNAL"},
	}})
	if err != nil || !res.Success || res.PromiseID == "" {
		t.Fatalf("import: %+v %v", res, err)
	}
	if page, _ := c.ImportLogPage(ctx(t), plenigo.LogQuery{Since: start}); len(page) != 0 {
		t.Fatalf("log entries before the delay: %+v", page)
	}
	var page []plenigo.LogEntry
	for deadline := time.Now().Add(5 * time.Second); len(page) < 2 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		page, err = c.ImportLogPage(ctx(t), plenigo.LogQuery{Since: start, Size: 100})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(page) != 2 || !page[0].Success || page[0].OrderID == 0 || page[0].ExternalSystemID != "mkt-1" ||
		page[1].Success || page[1].ErrorReason == "" || page[1].OrderID != 0 {
		t.Fatalf("log: %+v", page)
	}
	orders, err := c.OrdersByExternalSystemID(ctx(t), "mkt-1")
	if err != nil || len(orders) != 1 || orders[0].OrderID != page[0].OrderID {
		t.Fatalf("orders: %+v %v", orders, err)
	}
}

func importOne(t *testing.T, c *plenigo.Client, ext string) error {
	t.Helper()
	_, err := c.ImportOrders(ctx(t), plenigo.OrderImports{Items: []plenigo.OrderImport{{ExternalSystemID: ext, PlenigoOfferID: offer,
		InvoiceCustomerID: "42", Quantity: 1, StartDate: time.Now(), PaymentMethod: "BILLING"}}})
	return err
}

func TestDuplicateImportBothWays(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{})
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if err := importOne(t, c, "dealer-1"); err != nil {
		t.Fatal(err)
	}
	if err := importOne(t, c, "dealer-1"); kind(err) != partner.AlreadyDone || !plenigo.IsAlreadyImported(err) {
		t.Fatalf("sync duplicate: %v", err)
	}
	sim.SetDuplicateMode(plenigosim.DuplicateAsync)
	if err := importOne(t, c, "dealer-1"); err != nil {
		t.Fatalf("async duplicate is accepted first: %v", err)
	}
	time.Sleep(100 * time.Millisecond)
	if sim.OrdersFor("dealer-1") != 1 {
		t.Fatalf("%d orders for one externalSystemId", sim.OrdersFor("dealer-1"))
	}
	failed, err := c.ImportLogPage(ctx(t), plenigo.LogQuery{Since: time.Now().Add(-time.Minute), Size: 100})
	if err != nil || len(failed) != 2 || failed[1].Success || failed[1].ErrorReason == "" {
		t.Fatalf("log after async duplicate: %+v %v", failed, err)
	}
}

func TestAnImportWithAnUncertainAnswerIsNotPostedAgain(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{LogDelay: time.Millisecond})
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	sim.FailNext("POST /imports/orders", plenigosim.Fault504AfterApply)
	err := importOne(t, c, "mkt-504")
	if !plenigo.IsUncertain(err) {
		t.Fatalf("a 504 after the import was applied: %v, want an uncertain failure", err)
	}
	time.Sleep(50 * time.Millisecond)
	if sim.OrdersFor("mkt-504") != 1 || sim.Calls()["POST /imports/orders"] != 1 {
		t.Fatalf("%d orders after %d calls; the import must not be posted blindly again", sim.OrdersFor("mkt-504"), sim.Calls()["POST /imports/orders"])
	}
	sim.FailNext("POST /imports/orders", plenigosim.Fault429)
	if err := importOne(t, c, "mkt-429"); err != nil || sim.Calls()["POST /imports/orders"] != 3 {
		t.Fatalf("a refused (429) import is sent again: %v after %d calls", err, sim.Calls()["POST /imports/orders"])
	}
}

func TestTokenProblemsAreUnauthorized(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{})
	sim.SetToken(token, true, false) // expires mid-run
	if _, err := c.OrdersByExternalSystemID(ctx(t), "x"); kind(err) != partner.Unauthorized {
		t.Fatalf("expired token: %v", err)
	}
	if n := sim.Calls()["GET /orders"]; n != 1 {
		t.Fatalf("a 401 was retried: %d calls", n)
	}
	c.Token = secrets.Static{"read-only"}
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{Email: "a@b.de", Language: "de"}); kind(err) != partner.Unauthorized {
		t.Fatalf("read-only token writing: %v", err)
	}
}

func TestQueueFullIsTransient(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{QueueLimit: 1, LogDelay: time.Hour})
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if err := importOne(t, c, "a"); err != nil {
		t.Fatal(err)
	}
	err := importOne(t, c, "b")
	var pe *plenigo.Error
	if !errors.As(err, &pe) || pe.Code != 97004 || pe.Kind() != partner.Transient {
		t.Fatalf("queue full: %v", err)
	}
	if sim.Calls()["POST /imports/orders"] != 4 {
		t.Fatalf("97004 should be retried like other transient errors: %d calls", sim.Calls()["POST /imports/orders"])
	}
}

func TestWBZMark(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{})
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "7", Email: "d@dealer.de", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetWBZMark(ctx(t), "7", plenigo.WBZMark{DealerGroup: "Nord"}); kind(err) != partner.Permanent {
		t.Fatalf("mark without dealer number: %v", err)
	}
	if err := c.SetWBZMark(ctx(t), "7", plenigo.WBZMark{DealerGroup: "Nord", DealerNumber: "4711"}); err != nil || !sim.HasWBZMark("d@dealer.de") {
		t.Fatalf("mark: %v", err)
	}
	if err := c.SetWBZMark(ctx(t), "8", plenigo.WBZMark{DealerGroup: "Nord", DealerNumber: "4711"}); kind(err) != partner.NotFound {
		t.Fatalf("mark on unknown customer: %v", err)
	}
}

func TestLogPagingClampsSizeAndFollowsCursor(t *testing.T) {
	_, c := setup(t, plenigosim.Config{LogDelay: time.Millisecond})
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		if err := importOne(t, c, "p-"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(100 * time.Millisecond)
	since := time.Now().Add(-time.Minute)
	first, _ := c.ImportLogPage(ctx(t), plenigo.LogQuery{Since: since, Size: 1}) // clamped up to 5
	if len(first) != 5 {
		t.Fatalf("size 1 gave %d entries, want plenigo's minimum 5", len(first))
	}
	var all []plenigo.LogEntry
	var after int64
	for {
		page, err := c.ImportLogPage(ctx(t), plenigo.LogQuery{Since: since, StartingAfter: after, Size: 5})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 5 {
			break
		}
		after = page[len(page)-1].ID
	}
	if len(all) != 12 {
		t.Fatalf("paged %d entries, want 12", len(all))
	}
}

func TestOldLogEntriesExpire(t *testing.T) {
	var skew atomic.Int64
	_, c := setup(t, plenigosim.Config{LogDelay: time.Millisecond, Now: func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }})
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	if err := importOne(t, c, "old"); err != nil {
		t.Fatal(err)
	}
	time.Sleep(50 * time.Millisecond)
	skew.Store(int64(plenigosim.LogRetention + time.Hour))
	if page, _ := c.ImportLogPage(ctx(t), plenigo.LogQuery{Size: 100}); len(page) != 0 {
		t.Fatalf("entries older than 7 days are still served: %+v", page)
	}
}

func TestPlenigoCodesDecideBeforeStatuses(t *testing.T) {
	for name, c := range map[string]struct {
		e       plenigo.Error
		kind    partner.Kind
		refused bool
	}{
		"offer not found":        {plenigo.Error{Status: 404, Code: 60404}, partner.Permanent, false},
		"customer not found":     {plenigo.Error{Status: 404, Code: 20404}, partner.NotFound, false},
		"registration locked":    {plenigo.Error{Status: 423, Code: 20026}, partner.Transient, true},
		"customer not active":    {plenigo.Error{Status: 403, Code: 20001}, partner.Permanent, false},
		"token lacks a right":    {plenigo.Error{Status: 401, Code: 99009}, partner.Unauthorized, false},
		"import queue full":      {plenigo.Error{Status: 400, Code: 97004}, partner.Transient, true},
		"already imported":       {plenigo.Error{Status: 400, Code: 97001}, partner.AlreadyDone, false},
		"rate limited":           {plenigo.Error{Status: 429, Code: 99429}, partner.Transient, true},
		"gateway timeout":        {plenigo.Error{Status: 504, Code: 99504}, partner.Transient, false},
		"403 without a code":     {plenigo.Error{Status: 403}, partner.Permanent, false},
		"validation":             {plenigo.Error{Status: 400, Code: 99400}, partner.Permanent, false},
		"email in another combo": {plenigo.Error{Status: 400, Code: 20027}, partner.Conflict, false},
	} {
		e := c.e
		if e.Kind() != c.kind || partner.Refused(&e) != c.refused {
			t.Errorf("%s: kind %v refused %v; want %v, %v", name, e.Kind(), partner.Refused(&e), c.kind, c.refused)
		}
	}
}

func TestOrdersArePagedByIDAndFilteredByChange(t *testing.T) {
	sim, c := setup(t, plenigosim.Config{LogDelay: time.Millisecond})
	if _, _, err := c.CreateCustomer(ctx(t), plenigo.CustomerCreation{CustomerID: "42", Email: "a@b.de", Language: "de"}); err != nil {
		t.Fatal(err)
	}
	for i := range 12 {
		if err := importOne(t, c, "o-"+string(rune('a'+i))); err != nil {
			t.Fatal(err)
		}
	}
	sim.Flush()
	if !sim.DuplicateOrder("o-c") {
		t.Fatal("no order o-c to duplicate")
	}
	sim.LoseOrder("o-d")
	var all []plenigo.Order
	var after int64
	for pages := 0; ; pages++ {
		page, err := c.OrdersPage(ctx(t), plenigo.OrderQuery{Since: time.Now().Add(-time.Minute), StartingAfter: after, Size: 1}) // clamped to 5
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
		if len(page) < 5 {
			break
		}
		if pages > 5 {
			t.Fatal("paging does not end")
		}
		after = page[len(page)-1].OrderID
	}
	keys := map[string]int{}
	for i, o := range all {
		keys[o.ExternalSystemID]++
		if i > 0 && o.OrderID <= all[i-1].OrderID {
			t.Fatalf("orders not ascending by id: %d after %d", o.OrderID, all[i-1].OrderID)
		}
		if o.ChangedDate.IsZero() || o.Status != "ACTIVE" {
			t.Errorf("order %d: changed %v status %q", o.OrderID, o.ChangedDate, o.Status)
		}
	}
	if len(all) != 12 || keys["o-c"] != 2 || keys["o-d"] != 0 {
		t.Fatalf("%d orders, o-c %d times, o-d %d times; want 12, 2, 0", len(all), keys["o-c"], keys["o-d"])
	}
	if later, err := c.OrdersPage(ctx(t), plenigo.OrderQuery{Since: time.Now().Add(time.Minute), Size: 100}); err != nil || len(later) != 0 {
		t.Fatalf("orders changed in the future: %d, %v", len(later), err)
	}
}
