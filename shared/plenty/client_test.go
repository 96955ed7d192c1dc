package plenty_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/simkit"
	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

// wire records what went over the wire, below the client: request bodies of writes and the
// statuses of the answers. It is independent of the simulator's own bookkeeping.
type wire struct {
	base       http.RoundTripper
	mu         sync.Mutex
	bodies     map[string][]string // "METHOD path" → bodies
	status     map[int]int
	retryAfter string // of the last 429
}

func newWire() *wire {
	return &wire{base: http.DefaultTransport, bodies: map[string][]string{}, status: map[int]int{}}
}

func (w *wire) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
	}
	resp, err := w.base.RoundTrip(r)
	w.mu.Lock()
	defer w.mu.Unlock()
	if r.Method != http.MethodGet {
		w.bodies[r.Method+" "+r.URL.Path] = append(w.bodies[r.Method+" "+r.URL.Path], string(body))
	}
	if err == nil {
		w.status[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			w.retryAfter = resp.Header.Get("Retry-After")
		}
	}
	return resp, err
}

func (w *wire) count(status int) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.status[status]
}

func (w *wire) sent(key string) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]string(nil), w.bodies[key]...)
}

// simClient is a client of the simulator at base that shares store, sends through wr, and keeps
// time on the simulator's clock: its waits (the partner layer's and the pacer's) are recorded and
// move the simulator's clock on instead of sleeping.
func simClient(sim *plentysim.Sim, base string, store records.Store, wr *wire) (*plenty.Client, *waits) {
	c := plenty.New(base, secrets.Static{plentysim.DefaultUser + ":" + plentysim.DefaultPassword}, store, &http.Client{Transport: wr})
	clock := sim.Clock()
	w := &waits{}
	c.Sleep = func(ctx context.Context, d time.Duration) error { clock.Advance(d); return w.callerSleep(ctx, d) }
	c.Pacer.Sleep = func(ctx context.Context, d time.Duration) error { clock.Advance(d); return w.pacerSleep(ctx, d) }
	c.Pacer.Now, c.Now = clock.Now, clock.Now
	c.Backoff = backoff.Policy{Base: time.Millisecond, Cap: 5 * time.Second}
	c.Log, c.Pacer.Log = quiet, quiet
	return c, w
}

func serve(t *testing.T, cfg plentysim.Config) (*plentysim.Sim, string) {
	if cfg.Clock == nil {
		cfg.Clock = &simkit.Clock{}
	}
	return plentysim.Serve(t, cfg)
}

func calls(sim *plentysim.Sim, endpoint string) int { return sim.Counter().Calls()[endpoint] }

func anOrder(status plentysim.Status) plentysim.NewOrder {
	return plentysim.NewOrder{Email: "erika@example.com", FirstName: "Erika", LastName: "Mustermann", Company: "ACME",
		Street: "Hauptstr.", HouseNumber: "5a", PostalCode: "10115", Town: "Berlin", Phone: "+49 30 123", CountryID: 1,
		Items:         []plentysim.Item{{VariationID: 1012, Name: "Design Sessel", Quantity: "2", PriceGross: "149", PriceNet: "125.2101"}},
		ShippingGross: "4.99", ShippingNet: "4.1933", CouponCode: "SPRING", PaymentMethodID: 6000,
		ExternalOrderID: "SHOP-1001", Status: status}
}

func TestOneSessionForEveryGoroutineAndEnvironment(t *testing.T) {
	sim, base := serve(t, plentysim.Config{MaxSessions: 1})
	id := sim.AddOrder(anOrder("5"))
	store := memstore.New()
	wr := newWire()
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 3 { // three execution environments, each with its own client and warm copy
		c, _ := simClient(sim, base, store, wr)
		for range 20 {
			wg.Go(func() {
				for range 3 {
					if _, err := c.GetOrder(testCtx(t), id); err != nil {
						failed.Add(1)
						t.Error(err)
						return
					}
				}
			})
		}
	}
	wg.Wait()
	if failed.Load() != 0 || sim.Logins() > 1 || sim.PeakSessions() > 1 {
		t.Fatalf("%d failed, %d logins, peak %d sessions; want none, at most 1 and at most 1", failed.Load(), sim.Logins(), sim.PeakSessions())
	}
	// Sixty goroutines in three environments at once may meet a 429 (each environment sees the
	// others' calls only in the headers); it is waited out and retried, never failed.
	t.Logf("%d answers 429 in the burst", wr.count(http.StatusTooManyRequests))
	// A new execution environment starts warm from the store: no login.
	c, _ := simClient(sim, base, store, wr)
	if _, err := c.GetOrder(testCtx(t), id); err != nil || sim.Logins() != 1 {
		t.Fatalf("a new environment: %v, %d logins", err, sim.Logins())
	}
}

func TestATokenExpiredMidRunIsRenewedOnce(t *testing.T) {
	sim, base := serve(t, plentysim.Config{})
	id := sim.AddOrder(anOrder("5"))
	store := memstore.New()
	wr := newWire()
	var clients []*plenty.Client
	for range 3 {
		c, _ := simClient(sim, base, store, wr)
		clients = append(clients, c)
	}
	run := func() {
		var wg sync.WaitGroup
		for _, c := range clients {
			for range 20 {
				wg.Go(func() {
					if _, err := c.GetOrder(testCtx(t), id); err != nil {
						t.Error(err)
					}
				})
			}
		}
		wg.Wait()
	}
	run()
	if sim.Logins() != 1 {
		t.Fatalf("%d logins before the expiry", sim.Logins())
	}
	sim.ExpireTokens()
	run()
	if sim.Logins() != 2 || sim.PeakSessions() > 1 {
		t.Fatalf("%d logins, peak %d sessions; want exactly one re-login", sim.Logins(), sim.PeakSessions())
	}
	if n := wr.count(http.StatusUnauthorized); n < 1 || n > 60 {
		t.Fatalf("%d answers 401", n)
	}
}

func TestSessionCapIsLoggedAndNotRetried(t *testing.T) {
	sim, base := serve(t, plentysim.Config{MaxSessions: 1})
	// Somebody else (the merchant's staff) holds the only session.
	staff, _ := simClient(sim, base, memstore.New(), newWire())
	if _, err := staff.Statuses(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	c, _ := simClient(sim, base, memstore.New(), newWire())
	c.LoginWait = 20 * time.Millisecond
	_, err := c.Statuses(testCtx(t))
	if !plenty.IsSessionsFull(err) || partner.KindOf(err) != partner.Transient || !partner.Refused(err) {
		t.Fatalf("%v", err)
	}
	if n := calls(sim, plentysim.EndpointLogin); n != 2 {
		t.Fatalf("%d logins tried, want the staff's and one refused", n)
	}
}

// fastClock runs a stopped simulator clock speed times as fast as real time, in steps, until the
// test ends. Sleeping on it waits until it has moved on by d.
type fastClock struct {
	c *simkit.Clock
}

func runFast(t *testing.T, c *simkit.Clock, speed int) fastClock {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				c.Advance(time.Duration(speed) * time.Millisecond)
			}
		}
	}()
	t.Cleanup(func() { close(done); <-stopped })
	return fastClock{c}
}

func (f fastClock) sleep(ctx context.Context, d time.Duration) error {
	until := f.c.Now().Add(d)
	for f.c.Now().Before(until) {
		if err := backoff.Sleep(ctx, 200*time.Microsecond); err != nil {
			return err
		}
	}
	return nil
}

func TestSteadyWorkStaysUnderTheLimitsAndUsesThem(t *testing.T) {
	if testing.Short() {
		t.Skip("runs ten simulated minutes")
	}
	t0 := time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)
	clock := simkit.NewClock(t0)
	sim, base := serve(t, plentysim.Config{Clock: clock}) // the Basic tier: 80 reads, 40 writes a minute
	fast := runFast(t, clock, 100)
	var ids []int
	for range 4 {
		ids = append(ids, sim.AddOrder(anOrder("5")))
	}
	wr := newWire()
	c := plenty.New(base, secrets.Static{plentysim.DefaultUser + ":" + plentysim.DefaultPassword}, memstore.New(), &http.Client{Transport: wr})
	c.Now, c.Pacer.Now = clock.Now, clock.Now
	c.Sleep, c.Pacer.Sleep = fast.sleep, fast.sleep
	c.Log, c.Pacer.Log = quiet, quiet

	const period = 10 * time.Minute
	end := t0.Add(period)
	var writes, reads atomic.Int64
	var firstWrite atomic.Int64
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var wg sync.WaitGroup
	for g := range 6 { // three writers and three readers, as steady as they can go
		wg.Go(func() {
			for i := 0; clock.Now().Before(end) && ctx.Err() == nil; i++ {
				id := ids[(g+i)%len(ids)]
				var err error
				if g%2 == 0 {
					to := plenty.Status("5.1")
					if i%2 == 1 {
						to = "5"
					}
					_, err = c.SetStatus(ctx, id, to)
					if err == nil {
						firstWrite.CompareAndSwap(0, clock.Now().UnixNano())
						writes.Add(1)
					}
				} else {
					_, err = c.GetOrder(ctx, id)
					if err == nil {
						reads.Add(1)
					}
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if ctx.Err() != nil {
		t.Fatal("the simulated period did not finish in time")
	}
	if n := wr.count(http.StatusTooManyRequests); n != 0 {
		t.Fatalf("%d answers 429: the pacer let steady work run into the limit", n)
	}
	minutes := clock.Now().Sub(time.Unix(0, firstWrite.Load())).Minutes()
	writeShare := float64(writes.Load()) / (40 * minutes)
	readShare := float64(reads.Load()) / (80 * minutes)
	t.Logf("over %.1f simulated minutes: %d writes (%.1f%% of 40/min), %d reads (%.1f%% of 80/min), no 429",
		minutes, writes.Load(), 100*writeShare, reads.Load(), 100*readShare)
	if writeShare < 0.90 {
		t.Fatalf("used %.1f%% of the write limit, want at least 90%%", 100*writeShare)
	}
	if calls(sim, plentysim.EndpointUpdateOrder) != int(writes.Load()) {
		t.Fatalf("the simulator counted %d writes, the client %d", calls(sim, plentysim.EndpointUpdateOrder), writes.Load())
	}
}

func TestA429FromAnotherEnvironmentIsWaitedOut(t *testing.T) {
	sim, base := serve(t, plentysim.Config{WritePerMinute: 4})
	id := sim.AddOrder(anOrder("5"))
	store := memstore.New()
	wr := newWire()
	other, _ := simClient(sim, base, store, wr)
	other.Pacer.Reserve = -1 // a careless environment uses the whole window
	c, w := simClient(sim, base, store, wr)
	if _, err := c.Statuses(testCtx(t)); err != nil { // logs in (a write) and warms the read budget
		t.Fatal(err)
	}
	for range 3 {
		if _, err := other.SetStatus(testCtx(t), id, "5.1"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := c.SetStatus(testCtx(t), id, "5"); err != nil {
		t.Fatal(err)
	}
	if wr.count(http.StatusTooManyRequests) != 1 || calls(sim, plentysim.EndpointUpdateOrder) != 5 {
		t.Fatalf("%d answers 429, %d writes; want the refused one and its retry", wr.count(http.StatusTooManyRequests),
			calls(sim, plentysim.EndpointUpdateOrder))
	}
	wr.mu.Lock()
	ra, _ := strconv.Atoi(wr.retryAfter)
	wr.mu.Unlock()
	if d := w.total(); ra < 1 || d < time.Duration(ra)*time.Second {
		t.Fatalf("waited %v, want at least Retry-After's %d s", d, ra)
	}
}

func TestTransientFaultsAreRetried(t *testing.T) {
	for name, inject := range map[string]func(*plentysim.Sim){
		"429":      func(s *plentysim.Sim) { s.FailNext(plentysim.EndpointOrder, simkit.Fault429) },
		"503":      func(s *plentysim.Sim) { s.FailNext(plentysim.EndpointOrder, simkit.Fault503) },
		"502":      func(s *plentysim.Sim) { s.FailNext(plentysim.EndpointOrder, simkit.Fault502) },
		"html 200": func(s *plentysim.Sim) { s.FailNextWithHTML(plentysim.EndpointOrder, 1, http.StatusOK) },
		"html 502": func(s *plentysim.Sim) { s.FailNextWithHTML(plentysim.EndpointOrder, 1, http.StatusBadGateway) },
		"timeout":  func(s *plentysim.Sim) { s.FailNext(plentysim.EndpointOrder, simkit.FaultTimeout) },
		"twice":    func(s *plentysim.Sim) { s.FailNext(plentysim.EndpointOrder, simkit.Fault503, simkit.Fault429) },
	} {
		t.Run(name, func(t *testing.T) {
			sim, base := serve(t, plentysim.Config{})
			id := sim.AddOrder(anOrder("5"))
			c, _ := simClient(sim, base, memstore.New(), newWire())
			c.AttemptTimeout = 300 * time.Millisecond
			inject(sim)
			o, err := c.GetOrder(testCtx(t), id)
			if err != nil || o.ID != id {
				t.Fatalf("%+v %v", o, err)
			}
			want := 2
			if name == "twice" {
				want = 3
			}
			if n := calls(sim, plentysim.EndpointOrder); n != want {
				t.Fatalf("%d calls, want %d", n, want)
			}
		})
	}
	t.Run("set status after 503", func(t *testing.T) {
		sim, base := serve(t, plentysim.Config{})
		id := sim.AddOrder(anOrder("5"))
		c, _ := simClient(sim, base, memstore.New(), newWire())
		sim.FailNext(plentysim.EndpointUpdateOrder, simkit.Fault503)
		if _, err := c.SetStatus(testCtx(t), id, "5.1"); err != nil {
			t.Fatal(err)
		}
		if st, _ := sim.Order(id); st.Status != "5.1" || calls(sim, plentysim.EndpointUpdateOrder) != 2 {
			t.Fatalf("%+v after %d calls", st, calls(sim, plentysim.EndpointUpdateOrder))
		}
	})
}

func TestAStatusTheUserMayNotSetIsNotRetried(t *testing.T) {
	sim, base := serve(t, plentysim.Config{SettableStatuses: []plentysim.Status{"5.1", "6.2"}})
	id := sim.AddOrder(anOrder("5"))
	c, _ := simClient(sim, base, memstore.New(), newWire())
	_, err := c.SetStatus(testCtx(t), id, "7")
	var e *plenty.Error
	if !errors.As(err, &e) || e.Status != http.StatusForbidden || partner.KindOf(err) != partner.Unauthorized ||
		!strings.Contains(err.Error(), "PUT /rest/orders/{orderId}") {
		t.Fatalf("%v", err)
	}
	if n := calls(sim, plentysim.EndpointUpdateOrder); n != 1 {
		t.Fatalf("%d calls, want 1", n)
	}
	if st, _ := sim.Order(id); st.Status != "5" {
		t.Fatalf("status %s", st.Status)
	}
	// A status the system lacks is a validation error: permanent, not retried.
	_, err = c.SetStatus(testCtx(t), id, "6.4")
	if partner.KindOf(err) != partner.Permanent || calls(sim, plentysim.EndpointUpdateOrder) != 2 {
		t.Fatalf("%v after %d calls", err, calls(sim, plentysim.EndpointUpdateOrder))
	}
	// An unknown order is NotFound.
	if _, err := c.GetOrder(testCtx(t), 999999); partner.KindOf(err) != partner.NotFound {
		t.Fatalf("%v", err)
	}
}

func TestADecimalStatusIsSentAsAJSONNumber(t *testing.T) {
	sim, base := serve(t, plentysim.Config{})
	id := sim.AddOrder(anOrder("5"))
	wr := newWire()
	c, _ := simClient(sim, base, memstore.New(), wr)
	o, err := c.SetStatus(testCtx(t), id, "5.1")
	if err != nil || o.Status != "5.1" || o.ID != id {
		t.Fatalf("%+v %v", o, err)
	}
	if got := wr.sent("PUT /rest/orders/" + itoa(id)); len(got) != 1 || got[0] != `{"statusId":5.1}` {
		t.Fatalf("sent %q, want {\"statusId\":5.1}", got)
	}
	st, _ := sim.Order(id)
	if st.Status != "5.1" || len(st.StatusHistory) != 2 || st.StatusHistory[1] != "5.1" {
		t.Fatalf("%+v", st)
	}
	// 5 and 5.1 are different statuses: a search for 5 no longer finds the order.
	p, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{Status: "5"})
	if err != nil || len(p.Entries) != 0 {
		t.Fatalf("search 5: %+v %v", p, err)
	}
	p, err = c.SearchOrders(testCtx(t), plenty.SearchQuery{Status: "5.1"})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Status != "5.1" {
		t.Fatalf("search 5.1: %+v %v", p, err)
	}
	// Setting it again is harmless.
	if _, err := c.SetStatus(testCtx(t), id, "5.10"); err != nil {
		t.Fatal(err)
	}
	if st, _ := sim.Order(id); st.Status != "5.1" {
		t.Fatalf("%+v", st)
	}
}

func TestCreatePackageIsNeverRepeatedAfterAnUncertainAnswer(t *testing.T) {
	for name, f := range map[string]simkit.Fault{"504 after apply": simkit.Fault504AfterApply, "timeout": simkit.FaultTimeout,
		"503": simkit.Fault503} {
		t.Run(name, func(t *testing.T) {
			sim, base := serve(t, plentysim.Config{PagePlaceholder: true})
			sim.SetTimeoutHold(2 * time.Second)
			id := sim.AddOrder(anOrder("5.1"))
			c, _ := simClient(sim, base, memstore.New(), newWire())
			c.AttemptTimeout = 300 * time.Millisecond
			sim.FailNext(plentysim.EndpointCreatePackage, f)
			in := plenty.PackageCreation{PackageID: 2, PackageType: 26, PackageNumber: "00340434161094042557"}
			_, err := c.CreatePackage(testCtx(t), id, in)
			if err == nil || !plenty.IsUncertain(err) {
				t.Fatalf("%v: want an uncertain failure", err)
			}
			if n := calls(sim, plentysim.EndpointCreatePackage); n != 1 {
				t.Fatalf("%d posts, want 1", n)
			}
			// The caller lists before it posts again.
			ps, err := c.Packages(testCtx(t), id)
			if err != nil {
				t.Fatal(err)
			}
			applied := f == simkit.Fault504AfterApply
			if applied != (len(ps) == 1 && ps[0].PackageNumber == in.PackageNumber) || (!applied && len(ps) != 0) {
				t.Fatalf("packages %+v (applied %v)", ps, applied)
			}
			st, _ := sim.Order(id)
			if len(st.Packages) != 1+len(ps) || st.Packages[0].PackageNumber != "" {
				t.Fatalf("simulator packages %+v: the placeholder and at most the one posted", st.Packages)
			}
		})
	}
	t.Run("429 is a refusal: retried", func(t *testing.T) {
		sim, base := serve(t, plentysim.Config{})
		id := sim.AddOrder(anOrder("5.1"))
		c, _ := simClient(sim, base, memstore.New(), newWire())
		sim.FailNext(plentysim.EndpointCreatePackage, simkit.Fault429)
		p, err := c.CreatePackage(testCtx(t), id, plenty.PackageCreation{PackageID: 2, PackageType: 26, PackageNumber: "JJD0001"})
		if err != nil || p.ID == 0 || p.PackageNumber != "JJD0001" || p.PackageType != 26 {
			t.Fatalf("%+v %v", p, err)
		}
		if st, _ := sim.Order(id); len(st.Packages) != 1 || calls(sim, plentysim.EndpointCreatePackage) != 2 {
			t.Fatalf("%+v after %d posts", st.Packages, calls(sim, plentysim.EndpointCreatePackage))
		}
	})
}

func TestWorkedExample630Decodes(t *testing.T) {
	sim, _ := serve(t, plentysim.Config{})
	var o plenty.Order
	if err := json.Unmarshal(sim.WorkedExample630(), &o); err != nil {
		t.Fatal(err)
	}
	if o.ID != 630 || o.TypeID != 1 || o.PlentyID != 1000 || o.Status != "3" || o.LockStatus != "unlocked" ||
		!o.CreatedAt.Equal(time.Date(2017, 12, 13, 13, 19, 37, 0, time.UTC)) {
		t.Fatalf("%+v", o)
	}
	if v, _ := o.Property(plenty.PropertyShippingProfile); v != "6" || len(o.Properties) != 5 {
		t.Fatalf("properties %+v", o.Properties)
	}
	if len(o.AddressRelations) != 2 || o.AddressRelations[1] != (plenty.AddressRelation{TypeID: 2, AddressID: 33}) {
		t.Fatalf("address relations %+v", o.AddressRelations)
	}
	if len(o.Items) != 2 {
		t.Fatalf("items %+v", o.Items)
	}
	v, ship := o.Items[0], o.Items[1]
	if v.ID != 744 || v.TypeID != 1 || v.VariationID != 1012 || v.Quantity != "1" || v.Name != "Design Sessel Black&White" ||
		len(v.Amounts) != 1 || v.Amounts[0] != (plenty.Amount{Currency: "EUR", IsSystemCurrency: true, PriceGross: "149", PriceNet: "125.2101"}) {
		t.Fatalf("variation line %+v", v)
	}
	if ship.ID != 0 || ship.TypeID != plenty.ItemShippingCosts || ship.Amounts[0].PriceGross != "4.99" || ship.Amounts[0].PriceNet != "4.1933" {
		t.Fatalf("shipping line %+v", ship)
	}
}

func TestOrdersFromSearchToFulfilment(t *testing.T) {
	sim, base := serve(t, plentysim.Config{PageAsString: true, PagePlaceholder: true})
	ids := []int{sim.AddOrder(anOrder("5")), sim.AddOrder(anOrder("5")), sim.AddOrder(anOrder("4"))}
	c, _ := simClient(sim, base, memstore.New(), newWire())
	with := []string{"addresses", "orderItems.variation"}
	p, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{Status: "5", OrderType: 1, With: with, ItemsPerPage: 1})
	if err != nil || p.Page != 1 || p.TotalsCount != 2 || p.IsLastPage || p.LastPageNumber != 2 || len(p.Entries) != 1 || p.Entries[0].ID != ids[0] {
		t.Fatalf("page 1: %+v %v", p, err)
	}
	p2, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{Status: "5", OrderType: 1, With: with, ItemsPerPage: 1, Page: 2})
	if err != nil || !p2.IsLastPage || len(p2.Entries) != 1 || p2.Entries[0].ID != ids[1] {
		t.Fatalf("page 2: %+v %v", p2, err)
	}
	o, err := c.GetOrder(testCtx(t), ids[0], with...)
	if err != nil {
		t.Fatal(err)
	}
	a, ok := o.Address(plenty.AddressDelivery)
	if !ok || a.Name1 != "ACME" || a.Name2 != "Erika" || a.Name3 != "Mustermann" || a.Address1 != "Hauptstr." || a.Address2 != "5a" ||
		a.PostalCode != "10115" || a.CountryID != 1 {
		t.Fatalf("delivery address %+v (%+v)", a, o)
	}
	if ext, _ := o.Property(plenty.PropertyExternalOrderID); ext != "SHOP-1001" {
		t.Fatalf("property 7 %q", ext)
	}
	var sawItem, sawShipping bool
	for _, it := range o.Items {
		switch it.TypeID {
		case plenty.ItemVariation:
			sawItem = it.VariationID == 1012 && it.Quantity == "2" && len(it.Amounts) > 0 && it.Amounts[0].PriceGross == "149" &&
				it.Amounts[0].PriceNet == "125.2101"
		case plenty.ItemShippingCosts:
			sawShipping = len(it.Amounts) > 0 && it.Amounts[0].PriceGross == "4.99"
		}
	}
	if !sawItem || !sawShipping {
		t.Fatalf("items %+v", o.Items)
	}
	// Taken over: 5.1, then shipped with a tracking number, written once.
	if _, err := c.SetStatus(testCtx(t), ids[0], "5.1"); err != nil {
		t.Fatal(err)
	}
	ps, err := c.Packages(testCtx(t), ids[0])
	if err != nil || len(ps) != 0 {
		t.Fatalf("only the placeholder: %+v %v", ps, err)
	}
	if _, err := c.CreatePackage(testCtx(t), ids[0], plenty.PackageCreation{PackageID: 2, PackageType: 26, PackageNumber: "JJD0001"}); err != nil {
		t.Fatal(err)
	}
	ps, err = c.Packages(testCtx(t), ids[0])
	if err != nil || len(ps) != 1 || ps[0].PackageNumber != "JJD0001" {
		t.Fatalf("%+v %v", ps, err)
	}
	if _, err := c.SetStatus(testCtx(t), ids[0], "7"); err != nil {
		t.Fatal(err)
	}
	// Later the merchant cancels one; a return is booked against another.
	sim.Clock().Advance(time.Hour)
	since := sim.Clock().Now().Add(-time.Minute)
	sim.MoveOrder(ids[1], "8")
	ret := sim.AddReturn(ids[0], []plentysim.Item{{VariationID: 1012, Quantity: "1", PriceGross: "149", PriceNet: "125.2101"}}, "9.1")
	h, err := c.StatusHistory(testCtx(t), "8", since, 1)
	if err != nil || len(h.Entries) != 1 || h.Entries[0].OrderID != ids[1] || h.Entries[0].Status != "8" {
		t.Fatalf("history %+v %v", h, err)
	}
	rp, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{StatusFrom: "9", StatusTo: "10", OrderType: 3})
	if err != nil || len(rp.Entries) != 1 || rp.Entries[0].ID != ret || rp.Entries[0].TypeID != 3 || rp.Entries[0].Status != "9.1" {
		t.Fatalf("returns %+v %v", rp, err)
	}
	r, err := c.GetOrder(testCtx(t), ret)
	if err != nil || len(r.References) != 1 || r.References[0].ReferenceOrderID != ids[0] || r.References[0].ReferenceType != "parent" {
		t.Fatalf("return %+v %v", r, err)
	}
	changed, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{UpdatedSince: since})
	got := map[int]bool{}
	for _, o := range changed.Entries {
		got[o.ID] = true
	}
	if err != nil || !got[ids[1]] || !got[ret] || got[ids[2]] {
		t.Fatalf("changed since: %+v %v", changed, err)
	}
}

func TestStatusesAndTheirCheck(t *testing.T) {
	sim, base := serve(t, plentysim.Config{})
	c, _ := simClient(sim, base, memstore.New(), newWire())
	all, err := c.Statuses(testCtx(t))
	if err != nil || len(all) != len(plentysim.DefaultStatuses()) {
		t.Fatalf("%d statuses %v", len(all), err)
	}
	var named bool
	for _, s := range all {
		named = named || (s.ID == "5.1" && s.Names["de"] != "")
	}
	if !named {
		t.Fatalf("no names: %+v", all)
	}
	if err := c.CheckStatuses(testCtx(t), "5", "5.1", "6.2", "6.3", "8.8", "9"); err != nil {
		t.Fatal(err)
	}
	err = c.CheckStatuses(testCtx(t), "5", "5.2", "9.0.1")
	if partner.KindOf(err) != partner.Permanent || !strings.Contains(err.Error(), "5.2") || !strings.Contains(err.Error(), "9.0.1") {
		t.Fatalf("%v", err)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }
