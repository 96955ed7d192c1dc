package plenty_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

// answer is one canned answer.
type answer struct {
	status int
	body   string
	header map[string]string
	hold   time.Duration // wait before answering (a timeout)
}

func jsonAnswer(status int, body string) answer { return answer{status: status, body: body} }

// received is what the canned server got.
type received struct {
	method, path, query, auth string
	body                      []byte
}

// canned is a plentymarkets stand-in: logins answer a new token each (or the scripted login
// answers), every other call takes the next scripted answer of its "METHOD path", then a default.
type canned struct {
	mu       sync.Mutex
	logins   int
	login    []answer
	script   map[string][]answer
	fallback map[string]answer
	got      []received
	valid    map[string]bool // tokens the server accepts; nil accepts any
}

func newCanned(t *testing.T) (*canned, *httptest.Server) {
	c := &canned{script: map[string][]answer{}, fallback: map[string]answer{}}
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	return c, srv
}

func (c *canned) next(key string, a ...answer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.script[key] = append(c.script[key], a...)
}

func (c *canned) calls(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := 0
	for _, r := range c.got {
		if r.method+" "+r.path == key {
			n++
		}
	}
	return n
}

func (c *canned) loginCount() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logins
}

func (c *canned) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	key := r.Method + " " + r.URL.Path
	c.mu.Lock()
	c.got = append(c.got, received{method: r.Method, path: r.URL.Path, query: r.URL.RawQuery, auth: r.Header.Get("Authorization"), body: b})
	var a answer
	switch {
	case key == "POST /rest/login" && len(c.login) > 0:
		a, c.login = c.login[0], c.login[1:]
		if a.status == 200 {
			c.logins++
		}
	case key == "POST /rest/login":
		c.logins++
		tok := fmt.Sprintf("token-%d", c.logins)
		if c.valid != nil {
			c.valid = map[string]bool{tok: true}
		}
		a = jsonAnswer(200, `{"token_type":"Bearer","expires_in":86400,"access_token":"`+tok+`","refresh_token":"r"}`)
	case c.valid != nil && !c.valid[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")]:
		a = jsonAnswer(401, `{"error":"access_denied","message":"The resource owner or authorization server denied the request."}`)
	case len(c.script[key]) > 0:
		a, c.script[key] = c.script[key][0], c.script[key][1:]
	default:
		var ok bool
		if a, ok = c.fallback[key]; !ok {
			a = jsonAnswer(200, `{"id": 1, "statusId": 5}`)
		}
	}
	c.mu.Unlock()
	if a.hold > 0 {
		select {
		case <-time.After(a.hold):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range a.header {
		w.Header().Set(k, v)
	}
	if a.body != "" && w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(a.status)
	_, _ = io.WriteString(w, a.body)
}

// waits records the waits of the partner layer and of the pacer instead of sleeping them; each
// moves the pacer's clock on by the wait, so the pacer sees the time pass.
type waits struct {
	mu            sync.Mutex
	now           time.Time
	caller, pacer []time.Duration
}

func (w *waits) clock() time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.now
}

func (w *waits) callerSleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.caller = append(w.caller, d)
	w.now = w.now.Add(d)
	return nil
}

func (w *waits) pacerSleep(_ context.Context, d time.Duration) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pacer = append(w.pacer, d)
	w.now = w.now.Add(d)
	return nil
}

func (w *waits) paced() []time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]time.Duration(nil), w.pacer...)
}

func (w *waits) total() time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	var sum time.Duration
	for _, d := range append(append([]time.Duration(nil), w.caller...), w.pacer...) {
		sum += d
	}
	return sum
}

var quiet = slog.New(slog.DiscardHandler)

// cannedClient is a client of srv sharing store, whose waits are recorded, not slept.
func cannedClient(srv *httptest.Server, store records.Store) (*plenty.Client, *waits) {
	c := plenty.New(srv.URL, secrets.Static{"orderhub-rest:secret"}, store, srv.Client())
	w := &waits{now: time.Now()}
	c.Sleep = w.callerSleep
	c.Pacer.Sleep, c.Pacer.Now = w.pacerSleep, w.clock
	c.Backoff = backoff.Policy{Base: time.Millisecond, Cap: 5 * time.Second}
	c.Log = quiet
	return c, w
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func kindOf(err error) partner.Kind { return partner.KindOf(err) }

func throttleHeaders(prefix string, limit, left, decay int) map[string]string {
	return map[string]string{prefix + "-Limit": fmt.Sprint(limit), prefix + "-Calls-Left": fmt.Sprint(left), prefix + "-Decay": fmt.Sprint(decay)}
}

func TestPacerWaitsOutTheWindowAtTheReserve(t *testing.T) {
	srv, base := newCanned(t)
	c, w := cannedClient(base, memstore.New())
	srv.fallback["GET /rest/orders/1"] = answer{status: 200, body: `{"id":1}`,
		header: throttleHeaders("X-Plenty-Global-Short-Period", 80, 2, 30)}
	if _, err := c.GetOrder(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	if len(w.paced()) != 0 {
		t.Fatalf("the first call waited %v", w.paced())
	}
	if _, err := c.GetOrder(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	p := w.paced()
	if len(p) != 1 || p[0] < 29*time.Second || p[0] > 31*time.Second {
		t.Fatalf("with 2 calls left (the reserve) the pacer should wait out Decay 30 s and the margin: %v", p)
	}
	// Writes have their own budget: a write is not held back by the read window.
	if _, err := c.SetStatus(testCtx(t), 1, "5.1"); err != nil {
		t.Fatal(err)
	}
	if len(w.paced()) != 1 {
		t.Fatalf("a write waited for the read window: %v", w.paced())
	}
}

func TestPacerSpreadsCallsOverTheWindow(t *testing.T) {
	srv, base := newCanned(t)
	c, w := cannedClient(base, memstore.New())
	srv.fallback["PUT /rest/orders/1"] = answer{status: 200, body: `{"id":1}`,
		header: throttleHeaders("X-Plenty-Global-Short-Period", 40, 39, 60)}
	for range 4 {
		if _, err := c.SetStatus(testCtx(t), 1, "5.1"); err != nil {
			t.Fatal(err)
		}
	}
	p := w.paced()
	// After the first answer: 39 left, 2 kept, so the calls spread over 60 s, one every ~1.6 s.
	if len(p) != 2 {
		t.Fatalf("waits %v", p)
	}
	for _, d := range p {
		if d < 1400*time.Millisecond || d > 1800*time.Millisecond {
			t.Fatalf("waits %v, want about 60 s / 37 each", p)
		}
	}
}

func TestPacerRefusesAWaitPastTheDeadline(t *testing.T) {
	srv, base := newCanned(t)
	c, _ := cannedClient(base, memstore.New())
	srv.fallback["GET /rest/orders/1"] = answer{status: 200, body: `{"id":1}`,
		header: throttleHeaders("X-Plenty-Global-Long-Period", 59760, 5, 3600)}
	if _, err := c.GetOrder(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := c.GetOrder(ctx, 1)
	var e *plenty.Error
	if !errors.As(err, &e) || !e.Throttled || kindOf(err) != partner.Transient || !partner.Refused(err) || plenty.IsUncertain(err) ||
		e.RetryAfter < 59*time.Minute {
		t.Fatalf("a daily budget at its reserve with an hour to go: %v", err)
	}
	if n := srv.calls("GET /rest/orders/1"); n != 1 {
		t.Fatalf("%d calls: the held-back call was sent", n)
	}
}

func TestPacerReadsRouteLimits(t *testing.T) {
	srv, base := newCanned(t)
	c, w := cannedClient(base, memstore.New())
	h := throttleHeaders("X-Plenty-Global-Short-Period", 80, 70, 60)
	for k, v := range throttleHeaders("X-Plenty-Route", 10, 1, 20) {
		h[k] = v
	}
	srv.fallback["GET /rest/orders/search"] = answer{status: 200, body: `{"page":1,"isLastPage":true,"entries":[]}`, header: h}
	for range 2 {
		if _, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{Status: "5"}); err != nil {
			t.Fatal(err)
		}
	}
	if p := w.paced(); len(p) != 1 || p[0] < 19*time.Second {
		t.Fatalf("the route's own window has 1 call left: waits %v", p)
	}
	// Another route of the read budget is not held by the search route's window.
	if _, err := c.GetOrder(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	if p := w.paced(); len(p) > 2 || (len(p) == 2 && p[1] > 2*time.Second) {
		t.Fatalf("GET order waited for the search route (it may wait its share of the read window, under a second): %v", p)
	}
}

func TestA429IsRetriedAfterRetryAfter(t *testing.T) {
	srv, base := newCanned(t)
	c, w := cannedClient(base, memstore.New())
	h := throttleHeaders("X-Plenty-Global-Short-Period", 40, 0, 20)
	h["Retry-After"] = "20"
	h["X-Plenty-Global-Short-Period-Calls-Reset"] = fmt.Sprint(time.Now().Add(20 * time.Second).Unix())
	srv.next("PUT /rest/orders/1", answer{status: 429, body: `{"error":{"message":"short period write limit reached"}}`, header: h})
	if _, err := c.SetStatus(testCtx(t), 1, "5.1"); err != nil {
		t.Fatal(err)
	}
	if n := srv.calls("PUT /rest/orders/1"); n != 2 {
		t.Fatalf("%d calls, want the 429 and its retry", n)
	}
	if d := w.total(); d < 19*time.Second || d > 23*time.Second {
		t.Fatalf("waited %v in all, want Retry-After's 20 s (the backoff's cap is 5 s, the pacer waits the rest)", d)
	}
}

func TestTransientAnswersAreRetried(t *testing.T) {
	html := `<!DOCTYPE html><html><body>Wartungsarbeiten</body></html>`
	for name, a := range map[string]answer{
		"503":              jsonAnswer(503, `{"error":{"message":"Service Unavailable"}}`),
		"502 html":         {status: 502, body: html, header: map[string]string{"Content-Type": "text/html"}},
		"200 html":         {status: 200, body: html, header: map[string]string{"Content-Type": "text/html"}},
		"200 html as json": {status: 200, body: html},
		"empty 200":        {status: 200},
		"429":              {status: 429, body: `{"error":"short period read limit reached"}`, header: map[string]string{"Retry-After": "1"}},
		"504":              {status: 504},
		"timeout":          {status: 200, body: `{"id":1}`, hold: 2 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			srv, base := newCanned(t)
			c, _ := cannedClient(base, memstore.New())
			c.AttemptTimeout = 200 * time.Millisecond
			srv.next("GET /rest/orders/1", a)
			o, err := c.GetOrder(testCtx(t), 1)
			if err != nil || o.ID != 1 {
				t.Fatalf("%+v %v", o, err)
			}
			if n := srv.calls("GET /rest/orders/1"); n != 2 {
				t.Fatalf("%d calls, want 2", n)
			}
		})
	}
}

func TestRefusalsAreNotRetried(t *testing.T) {
	tests := []struct {
		name  string
		a     answer
		kind  partner.Kind
		words []string
	}{
		{"403", jsonAnswer(403, `{"error":{"message":"This action is unauthorized."}}`), partner.Unauthorized,
			[]string{"403", "lacks the right", "PUT /rest/orders/{orderId}"}},
		{"422", jsonAnswer(422, `{"error":{"code":422,"message":"The given data was invalid."},"validation_errors":{"statusId":["The status id is invalid."]}}`),
			partner.Permanent, []string{"422", "statusId: The status id is invalid."}},
		{"400", jsonAnswer(400, `{"message":"bad"}`), partner.Permanent, []string{"400 bad"}},
		{"404", jsonAnswer(404, `{"error":{"message":"No query results for model [Plenty\\Modules\\Order\\Models\\Order] 1"}}`),
			partner.NotFound, []string{"404", "No query results"}},
		{"404 html", answer{status: 404, body: "<html>Not Found</html>"}, partner.NotFound, []string{"HTML"}},
		{"redirect", answer{status: 301, header: map[string]string{"Location": "https://other.example/rest/orders/1"}},
			partner.Permanent, []string{"https://other.example", "exact host"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, base := newCanned(t)
			c, _ := cannedClient(base, memstore.New())
			srv.next("PUT /rest/orders/1", tt.a)
			_, err := c.SetStatus(testCtx(t), 1, "5.1")
			if kindOf(err) != tt.kind {
				t.Fatalf("%v: kind %v, want %v", err, kindOf(err), tt.kind)
			}
			for _, w := range tt.words {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			if n := srv.calls("PUT /rest/orders/1"); n != 1 {
				t.Fatalf("%d calls, want 1", n)
			}
		})
	}
}

func TestDecimalStatusGoesOutAsAJSONNumber(t *testing.T) {
	srv, base := newCanned(t)
	c, _ := cannedClient(base, memstore.New())
	for in, want := range map[plenty.Status]string{"5.1": `{"statusId":5.1}`, "5.10": `{"statusId":5.1}`, "19.1": `{"statusId":19.1}`,
		"7": `{"statusId":7}`, "8.0": `{"statusId":8}`} {
		srv.mu.Lock()
		srv.got = nil
		srv.mu.Unlock()
		if _, err := c.SetStatus(testCtx(t), 1, in); err != nil {
			t.Fatal(err)
		}
		srv.mu.Lock()
		last := srv.got[len(srv.got)-1]
		srv.mu.Unlock()
		if string(last.body) != want {
			t.Errorf("status %q sent as %s, want %s", in, last.body, want)
		}
	}
	if _, err := c.SetStatus(testCtx(t), 1, "9.0.1"); kindOf(err) != partner.Permanent {
		t.Fatalf("9.0.1 is no number plentymarkets can take: %v", err)
	}
}

func TestCreatePackageIsNotRepeatedAfterAnUncertainAnswer(t *testing.T) {
	const ep = "POST /rest/orders/7/shipping/packages"
	for name, a := range map[string]answer{
		"503":      jsonAnswer(503, ``),
		"502 html": {status: 502, body: "<html>Bad Gateway</html>"},
		"200 html": {status: 200, body: "<html>Wartung</html>"},
		"timeout":  {status: 200, body: `{"id":1}`, hold: 2 * time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			srv, base := newCanned(t)
			c, _ := cannedClient(base, memstore.New())
			c.AttemptTimeout = 200 * time.Millisecond
			srv.next(ep, a)
			_, err := c.CreatePackage(testCtx(t), 7, plenty.PackageCreation{PackageID: 2, PackageType: 26, PackageNumber: "00340434161094042557"})
			if err == nil || !plenty.IsUncertain(err) {
				t.Fatalf("%v: want an uncertain failure", err)
			}
			if n := srv.calls(ep); n != 1 {
				t.Fatalf("%d posts, want 1", n)
			}
		})
	}
	t.Run("429 is a refusal and retried", func(t *testing.T) {
		srv, base := newCanned(t)
		c, _ := cannedClient(base, memstore.New())
		srv.next(ep, answer{status: 429, body: `{"error":"short period write limit reached"}`, header: map[string]string{"Retry-After": "2"}})
		srv.fallback[ep] = jsonAnswer(200, `{"id":701,"orderId":7,"packageId":2,"packageType":26,"packageNumber":"00340434161094042557"}`)
		p, err := c.CreatePackage(testCtx(t), 7, plenty.PackageCreation{PackageID: 2, PackageType: 26, PackageNumber: "00340434161094042557"})
		if err != nil || p.ID != 701 || p.PackageNumber != "00340434161094042557" {
			t.Fatalf("%+v %v", p, err)
		}
		if n := srv.calls(ep); n != 2 {
			t.Fatalf("%d posts, want 2", n)
		}
	})
}

func TestLoginReadsEitherSpelling(t *testing.T) {
	for name, body := range map[string]string{
		"documented": `{"token_type":"Bearer","expires_in":86400,"access_token":"tok","refresh_token":"r"}`,
		"camelCase":  `{"tokenType":"Bearer","expiresIn":"86400","accessToken":"tok","refreshToken":"r"}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv, base := newCanned(t)
			store := memstore.New()
			c, _ := cannedClient(base, store)
			srv.login = []answer{jsonAnswer(200, body)}
			if _, err := c.GetOrder(testCtx(t), 1); err != nil {
				t.Fatal(err)
			}
			srv.mu.Lock()
			auth := srv.got[len(srv.got)-1].auth
			login := string(srv.got[0].body)
			srv.mu.Unlock()
			if auth != "Bearer tok" || login != `{"password":"secret","username":"orderhub-rest"}` {
				t.Fatalf("auth %q, login body %s", auth, login)
			}
			rec, _, err := records.Get[plenty.SessionRecord](testCtx(t), store, plenty.SessionKind, plenty.SessionKey(base.URL, "orderhub-rest"))
			if err != nil || rec.AccessToken != "tok" || time.Until(rec.ExpiresAt) < 23*time.Hour {
				t.Fatalf("stored session %+v %v", rec, err)
			}
		})
	}
}

func TestBadCredentialsAreUnauthorized(t *testing.T) {
	for name, a := range map[string]answer{
		"401":               jsonAnswer(401, `{"error":"invalid_credentials","message":"The user credentials were incorrect."}`),
		"200 without token": jsonAnswer(200, `{"error":"invalid_credentials"}`),
	} {
		t.Run(name, func(t *testing.T) {
			srv, base := newCanned(t)
			c, _ := cannedClient(base, memstore.New())
			srv.login = []answer{a}
			_, err := c.GetOrder(testCtx(t), 1)
			if kindOf(err) != partner.Unauthorized || strings.Contains(err.Error(), "secret") {
				t.Fatalf("%v (kind %v)", err, kindOf(err))
			}
			if srv.calls("GET /rest/orders/1") != 0 || srv.calls("POST /rest/login") != 1 {
				t.Fatal("a refused login was retried or the call sent")
			}
		})
	}
	_, base := newCanned(t)
	c := plenty.New(base.URL, secrets.Static{"no-colon"}, memstore.New(), nil)
	if _, err := c.GetOrder(testCtx(t), 1); kindOf(err) != partner.Unauthorized {
		t.Fatalf("credentials without a colon: %v", err)
	}
}

func TestA401LogsInOnceAndRetriesOnce(t *testing.T) {
	srv, base := newCanned(t)
	store := memstore.New()
	c, _ := cannedClient(base, store)
	srv.valid = map[string]bool{}
	if _, err := c.GetOrder(testCtx(t), 1); err != nil {
		t.Fatal(err)
	}
	// The token stops working (expired early, or revoked): the next call gets 401.
	srv.mu.Lock()
	srv.valid = map[string]bool{"nothing": true}
	srv.mu.Unlock()
	if _, err := c.SetStatus(testCtx(t), 1, "5.1"); err != nil {
		t.Fatal(err)
	}
	if srv.loginCount() != 2 || srv.calls("PUT /rest/orders/1") != 2 {
		t.Fatalf("%d logins, %d puts; want 2 and 2", srv.loginCount(), srv.calls("PUT /rest/orders/1"))
	}
	// A 401 that persists after the new login is not chased further.
	srv.mu.Lock()
	srv.valid = nil
	srv.mu.Unlock()
	srv.fallback["GET /rest/orders/2"] = jsonAnswer(401, `{"error":"access_denied"}`)
	_, err := c.GetOrder(testCtx(t), 2)
	if kindOf(err) != partner.Unauthorized || srv.calls("GET /rest/orders/2") != 2 || srv.loginCount() != 3 {
		t.Fatalf("%v: %d calls, %d logins; want Unauthorized after 2 calls and one more login", err,
			srv.calls("GET /rest/orders/2"), srv.loginCount())
	}
}

func TestSessionsFullIsTransientAndNotRetriedSoon(t *testing.T) {
	srv, base := newCanned(t)
	store := memstore.New()
	c, _ := cannedClient(base, store)
	c.LoginWait = 50 * time.Millisecond
	srv.login = []answer{jsonAnswer(429, `{"error":"too_many_concurrent_sessions","max_current_sessions":3,"message":"Too many users. Only 3 users can be logged in simultaneously in the back end."}`)}
	_, err := c.GetOrder(testCtx(t), 1)
	if !plenty.IsSessionsFull(err) || kindOf(err) != partner.Transient || !strings.Contains(err.Error(), "3 concurrent") {
		t.Fatalf("%v", err)
	}
	if n := srv.calls("POST /rest/login"); n != 1 {
		t.Fatalf("%d logins: a refused session was retried at once", n)
	}
	// Another environment does not try to log in while the refusal holds.
	other, _ := cannedClient(base, store)
	other.LoginWait = 50 * time.Millisecond
	_, err = other.GetOrder(testCtx(t), 1)
	var e *plenty.Error
	if !errors.As(err, &e) || !e.Throttled || kindOf(err) != partner.Transient {
		t.Fatalf("%v", err)
	}
	if n := srv.calls("POST /rest/login"); n != 1 {
		t.Fatalf("%d logins while the refusal holds", n)
	}
}

func TestOneLoginForManyGoroutinesAndEnvironments(t *testing.T) {
	srv, base := newCanned(t)
	store := memstore.New()
	srv.login = nil
	var wg sync.WaitGroup
	var failed atomic.Int32
	for range 3 {
		c, _ := cannedClient(base, store)
		for range 20 {
			wg.Go(func() {
				if _, err := c.GetOrder(testCtx(t), 1); err != nil {
					failed.Add(1)
					t.Log(err)
				}
			})
		}
	}
	wg.Wait()
	if failed.Load() != 0 || srv.loginCount() != 1 {
		t.Fatalf("%d failures, %d logins; want 0 and 1", failed.Load(), srv.loginCount())
	}
}

func TestSessionIsRenewedBeforeItExpiresByOneCaller(t *testing.T) {
	srv, base := newCanned(t)
	store := memstore.New()
	now := time.Now()
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	a, _ := cannedClient(base, store)
	b, _ := cannedClient(base, store)
	a.Now, b.Now = clock, clock
	for _, c := range []*plenty.Client{a, b} {
		if _, err := c.GetOrder(testCtx(t), 1); err != nil {
			t.Fatal(err)
		}
	}
	if srv.loginCount() != 1 {
		t.Fatalf("%d logins", srv.loginCount())
	}
	mu.Lock()
	now = now.Add(24*time.Hour - 9*time.Minute) // within the 10 minutes before expiry
	mu.Unlock()
	for _, c := range []*plenty.Client{a, b, a} {
		if _, err := c.GetOrder(testCtx(t), 1); err != nil {
			t.Fatal(err)
		}
	}
	if srv.loginCount() != 2 {
		t.Fatalf("%d logins, want one renewal for both environments", srv.loginCount())
	}
	srv.mu.Lock()
	last := srv.got[len(srv.got)-1].auth
	srv.mu.Unlock()
	if last != "Bearer token-2" {
		t.Fatalf("the renewed token is not used: %q", last)
	}
}

func TestSearchQuery(t *testing.T) {
	srv, base := newCanned(t)
	c, _ := cannedClient(base, memstore.New())
	c.PlentyID = 1000
	srv.fallback["GET /rest/orders/search"] = jsonAnswer(200, `{"page":"1","totalsCount":0,"isLastPage":true,"lastPageNumber":1,"entries":[]}`)
	since := time.Date(2025, 3, 1, 12, 0, 0, 0, time.FixedZone("CET", 3600))
	if _, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{StatusFrom: "9", StatusTo: "10", OrderType: 3, UpdatedSince: since,
		With: []string{"addresses", "orderItems.variation"}, ItemsPerPage: 100}); err != nil {
		t.Fatal(err)
	}
	srv.mu.Lock()
	q := srv.got[len(srv.got)-1].query
	srv.mu.Unlock()
	for _, want := range []string{"statusId=gte%3A9+AND+lt%3A10", "orderTypeId=3", "plentyId=1000",
		"updatedAt=gte%3A2025-03-01T11%3A00%3A00%2B00%3A00", "with%5B%5D=addresses", "with%5B%5D=orderItems.variation",
		"page=1", "itemsPerPage=100", "sortBy=orderId", "sortOrder=asc"} {
		if !strings.Contains(q, want) {
			t.Errorf("query %s lacks %s", q, want)
		}
	}
	// Past the last page plentymarkets may answer another page: it is read as the end.
	srv.fallback["GET /rest/orders/search"] = jsonAnswer(200, `{"page":3,"totalsCount":120,"isLastPage":true,"lastPageNumber":3,"entries":[{"id":1}]}`)
	p, err := c.SearchOrders(testCtx(t), plenty.SearchQuery{Status: "5", Page: 4})
	if err != nil || len(p.Entries) != 0 || !p.IsLastPage || p.Page != 4 {
		t.Fatalf("%+v %v", p, err)
	}
}

func TestPackagesSkipPlaceholders(t *testing.T) {
	srv, base := newCanned(t)
	c, _ := cannedClient(base, memstore.New())
	srv.fallback["GET /rest/orders/7/shipping/packages"] = jsonAnswer(200, `[
		{"id": 700, "orderId": 7, "packageId": 0, "packageNumber": "", "packageType": 0},
		{"id": "701", "orderId": 7, "packageId": 2, "packageNumber": "00340434161094042557", "packageType": "26", "weight": 1200}]`)
	ps, err := c.Packages(testCtx(t), 7)
	if err != nil || len(ps) != 1 || ps[0] != (plenty.Package{ID: 701, PackageID: 2, PackageType: 26, PackageNumber: "00340434161094042557"}) {
		t.Fatalf("%+v %v", ps, err)
	}
}

func TestStatusesReadsEveryPageAndCheckNamesTheMissing(t *testing.T) {
	srv, base := newCanned(t)
	c, _ := cannedClient(base, memstore.New())
	srv.next("GET /rest/orders/statuses",
		jsonAnswer(200, `{"page":"1","isLastPage":false,"lastPageNumber":2,"entries":[{"statusId":5},{"statusId":5.1},{"statusId":6.2}]}`),
		jsonAnswer(200, `{"page":"2","isLastPage":true,"lastPageNumber":2,"entries":[{"statusId":8},{"statusId":9.1}]}`))
	all, err := c.Statuses(testCtx(t))
	if err != nil || len(all) != 5 || all[4].ID != "9.1" {
		t.Fatalf("%+v %v", all, err)
	}
	srv.fallback["GET /rest/orders/statuses"] = jsonAnswer(200, `{"page":1,"isLastPage":true,"entries":[{"statusId":5},{"statusId":5.1},{"statusId":8}]}`)
	if err := c.CheckStatuses(testCtx(t), "5", "5.10", "8.0"); err != nil {
		t.Fatal(err)
	}
	err = c.CheckStatuses(testCtx(t), "5", "6.3", "9.0.1", "8.8")
	if kindOf(err) != partner.Permanent || !strings.Contains(err.Error(), "6.3, 8.8") || !strings.Contains(err.Error(), `"9.0.1" (not a decimal)`) {
		t.Fatalf("%v", err)
	}
}

func TestStatusHistoryQuery(t *testing.T) {
	srv, base := newCanned(t)
	c, _ := cannedClient(base, memstore.New())
	srv.fallback["GET /rest/orders/status-history"] = jsonAnswer(200, `{"page":2,"totalsCount":"3","isLastPage":true,"entries":[
		{"id":9001,"orderId":"1001","statusId":8,"createdAt":"2025-03-01T13:00:00+01:00","userId":1,"procedureText":"Status changed"}]}`)
	h, err := c.StatusHistory(testCtx(t), "8", time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), 2)
	if err != nil || h.Page != 2 || len(h.Entries) != 1 || h.Entries[0].OrderID != 1001 || h.Entries[0].Status != "8" {
		t.Fatalf("%+v %v", h, err)
	}
	srv.mu.Lock()
	q := srv.got[len(srv.got)-1].query
	srv.mu.Unlock()
	if q != "createdAtFrom=2025-03-01T00%3A00%3A00%2B00%3A00&page=2&statusId=8" {
		t.Fatalf("query %s", q)
	}
}

func TestSettings(t *testing.T) {
	t.Setenv(plenty.EnvBaseURL, "https://p12345.my.plentysystems.com/rest/")
	t.Setenv(plenty.EnvCredentials, "orderhub-rest:pa,ss:word")
	t.Setenv(plenty.EnvAttemptTimeout, "12s")
	t.Setenv(plenty.EnvPlentyID, "1000")
	var env envconfig.Reader
	s := plenty.ReadSettings(&env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	c := s.Client(nil, memstore.New(), nil, nil)
	if c.BaseURL != "https://p12345.my.plentysystems.com" || c.AttemptTimeout != 12*time.Second || c.PlentyID != 1000 {
		t.Fatalf("%+v", c)
	}
	vals, err := c.Credentials.Values(context.Background())
	if err != nil || len(vals) != 1 || vals[0] != "orderhub-rest:pa,ss:word" {
		t.Fatalf("local credentials are taken whole: %q %v", vals, err)
	}
	t.Setenv(plenty.EnvBaseURL, "")
	var env2 envconfig.Reader
	plenty.ReadSettings(&env2)
	if err := env2.Err(); err == nil || !strings.Contains(err.Error(), plenty.EnvBaseURL) {
		t.Fatalf("the base URL is required: %v", err)
	}
}
