package plentysim_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/simkit"
)

// start is the simulator clock's start: a winter day, so dates carry +01:00.
var start = time.Date(2025, 1, 15, 9, 0, 0, 0, time.UTC)

type rig struct {
	t     *testing.T
	sim   *plentysim.Sim
	base  string
	clock *simkit.Clock
	token string
}

// newRig serves a simulator on a stopped clock. Unless the test sets them, the throttle limits are
// high enough not to get in the way.
func newRig(t *testing.T, cfg plentysim.Config) *rig {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = simkit.NewClock(start)
	}
	if cfg.ReadPerMinute == 0 && cfg.WritePerMinute == 0 && cfg.ReadPerDay == 0 && cfg.WritePerDay == 0 {
		cfg.ReadPerMinute, cfg.WritePerMinute, cfg.ReadPerDay, cfg.WritePerDay = 10000, 10000, 100000, 100000
	}
	sim, base := plentysim.Serve(t, cfg)
	return &rig{t: t, sim: sim, base: base, clock: cfg.Clock}
}

type answer struct {
	status int
	header http.Header
	raw    string
	body   any
}

func (a answer) obj() map[string]any { m, _ := a.body.(map[string]any); return m }

func (a answer) str(key string) string { s, _ := a.obj()[key].(string); return s }

// num is a number field's text ("5.1"), or "" when it is not a number.
func (a answer) num(key string) string { n, _ := a.obj()[key].(json.Number); return n.String() }

func (a answer) entries() []map[string]any {
	var out []map[string]any
	es, _ := a.obj()["entries"].([]any)
	for _, e := range es {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

// ids are the entries' ids, sorted.
func (a answer) ids() []int {
	var out []int
	for _, e := range a.entries() {
		out = append(out, intOf(e["id"]))
	}
	slices.Sort(out)
	return out
}

// list is an array answer's objects.
func (a answer) list() []map[string]any {
	var out []map[string]any
	es, _ := a.body.([]any)
	for _, e := range es {
		m, _ := e.(map[string]any)
		out = append(out, m)
	}
	return out
}

func intOf(v any) int {
	n, _ := v.(json.Number)
	i, _ := strconv.Atoi(n.String())
	return i
}

// form is a body sent as application/x-www-form-urlencoded; raw is sent as it is.
type (
	form url.Values
	raw  string
)

// call sends a request with the given Authorization token ("" for none) and body: nil, form, raw,
// or anything else as JSON.
func (r *rig) call(tok, method, path string, body any) answer {
	r.t.Helper()
	var rd io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case form:
		rd, ctype = strings.NewReader(url.Values(b).Encode()), "application/x-www-form-urlencoded"
	case raw:
		rd, ctype = strings.NewReader(string(b)), "application/json"
	default:
		j, err := json.Marshal(b)
		if err != nil {
			r.t.Fatal(err)
		}
		rd, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	if err != nil {
		r.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return r.send(req)
}

func (r *rig) send(req *http.Request) answer {
	r.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		r.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	a := answer{status: resp.StatusCode, header: resp.Header, raw: string(b)}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	_ = d.Decode(&a.body)
	return a
}

// login logs in with JSON and returns the access token.
func (r *rig) login() string {
	r.t.Helper()
	a := r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
	r.expect(a, 200)
	return a.str("access_token")
}

// do calls with the rig's token, logging in first when it has none.
func (r *rig) do(method, path string, body any) answer {
	r.t.Helper()
	if r.token == "" {
		r.token = r.login()
	}
	return r.call(r.token, method, path, body)
}

func (r *rig) expect(a answer, status int) {
	r.t.Helper()
	if a.status != status {
		r.t.Fatalf("answer %d %s, want %d", a.status, a.raw, status)
	}
}

// ok calls and fails unless the answer is 200.
func (r *rig) ok(method, path string, body any) answer {
	r.t.Helper()
	a := r.do(method, path, body)
	r.expect(a, 200)
	return a
}

func order(email string, status plentysim.Status) plentysim.NewOrder {
	return plentysim.NewOrder{Email: email, FirstName: "Maria", LastName: "Muster", Company: "Muster GmbH",
		Street: "Hauptstraße", HouseNumber: "12a", PostalCode: "10115", Town: "Berlin", Phone: "+49 30 123456",
		Items: []plentysim.Item{{VariationID: 1012, Name: "Design Sessel", Quantity: "2", PriceGross: "149", PriceNet: "125.2101"},
			{VariationID: 2040, Name: "Kissen", PriceGross: "19.99", PriceNet: "16.7983"}},
		ShippingGross: "4.99", ShippingNet: "4.1933", PaymentMethodID: 6000, ExternalOrderID: "SHOP-" + email,
		Status: status}
}

func TestLoginForms(t *testing.T) {
	creds := url.Values{"username": {plentysim.DefaultUser}, "password": {plentysim.DefaultPassword}}
	multi := func(r *rig) *http.Request {
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		_ = mw.WriteField("username", plentysim.DefaultUser)
		_ = mw.WriteField("password", plentysim.DefaultPassword)
		_ = mw.Close()
		req, _ := http.NewRequest("POST", r.base+"/rest/login", &b)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		return req
	}
	tests := []struct {
		name string
		req  func(r *rig) answer
	}{
		{"JSON", func(r *rig) answer {
			return r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
		}},
		{"form", func(r *rig) answer { return r.call("", "POST", "/rest/login", form(creds)) }},
		{"multipart form", func(r *rig) answer { return r.send(multi(r)) }},
		{"query", func(r *rig) answer { return r.call("", "POST", "/rest/login?"+creds.Encode(), nil) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, plentysim.Config{})
			a := tt.req(r)
			r.expect(a, 200)
			if a.str("access_token") == "" || a.str("access_token") != a.str("accessToken") ||
				a.str("refresh_token") == "" || a.str("refresh_token") != a.str("refreshToken") {
				t.Fatalf("tokens in both spellings: %s", a.raw)
			}
			if a.num("expires_in") != "86400" || a.num("expiresIn") != "86400" || a.str("token_type") != "Bearer" ||
				a.str("tokenType") != "Bearer" || a.num("concurrent_sessions") != "1" || a.num("max_current_sessions") != "3" {
				t.Fatalf("login answer %s", a.raw)
			}
			r.expect(r.call(a.str("accessToken"), "GET", "/rest/orders/search", nil), 200)
			if r.sim.Logins() != 1 || r.sim.OpenSessions() != 1 {
				t.Fatalf("logins %d, open %d", r.sim.Logins(), r.sim.OpenSessions())
			}
		})
	}
}

func TestLoginRefused(t *testing.T) {
	tests := []struct {
		name string
		body any
		path string
	}{
		{"wrong password JSON", map[string]string{"username": plentysim.DefaultUser, "password": "nope"}, "/rest/login"},
		{"wrong user form", form{"username": {"someone"}, "password": {plentysim.DefaultPassword}}, "/rest/login"},
		{"wrong password query", nil, "/rest/login?username=" + plentysim.DefaultUser + "&password=nope"},
		{"nothing", nil, "/rest/login"},
		{"not JSON", raw("{username"), "/rest/login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, plentysim.Config{})
			a := r.call("", "POST", tt.path, tt.body)
			r.expect(a, 401)
			if a.str("error") != "invalid_credentials" || a.str("access_token") != "" {
				t.Fatalf("body %s", a.raw)
			}
			if r.sim.Logins() != 0 || r.sim.OpenSessions() != 0 {
				t.Fatal("a refused login counted")
			}
		})
	}
	t.Run("configured credentials", func(t *testing.T) {
		r := newRig(t, plentysim.Config{User: "api", Password: "pw"})
		r.expect(r.call("", "POST", "/rest/login", map[string]string{"username": "api", "password": "pw"}), 200)
		r.expect(r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword}), 401)
	})
}

func TestSessionCap(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	var toks []string
	for range 3 {
		toks = append(toks, r.login())
	}
	a := r.call("", "POST", "/rest/login", form{"username": {plentysim.DefaultUser}, "password": {plentysim.DefaultPassword}})
	r.expect(a, 429)
	want := `{"error":"too_many_concurrent_sessions","max_current_sessions":3,"message":"Too many users. Only 3 users can be logged in simultaneously in the back end. Try again soon or upgrade your contract (https://www.plentymarkets.eu/preise/)"}`
	if a.raw != want {
		t.Fatalf("cap body\n%s\nwant\n%s", a.raw, want)
	}
	if r.sim.OpenSessions() != 3 || r.sim.PeakSessions() != 3 || r.sim.Logins() != 3 {
		t.Fatalf("open %d peak %d logins %d", r.sim.OpenSessions(), r.sim.PeakSessions(), r.sim.Logins())
	}
	// Logout frees a place; the token stops working.
	out := r.call(toks[0], "POST", "/rest/logout", nil)
	r.expect(out, 200)
	if out.raw != "" {
		t.Fatalf("logout body %q", out.raw)
	}
	r.expect(r.call(toks[0], "GET", "/rest/orders/search", nil), 401)
	r.expect(r.call(toks[0], "POST", "/rest/logout", nil), 401)
	if r.sim.OpenSessions() != 2 {
		t.Fatalf("open %d after logout", r.sim.OpenSessions())
	}
	r.login()
	if r.sim.OpenSessions() != 3 || r.sim.PeakSessions() != 3 || r.sim.Logins() != 4 {
		t.Fatalf("open %d peak %d logins %d", r.sim.OpenSessions(), r.sim.PeakSessions(), r.sim.Logins())
	}
	r.expect(r.call(toks[1], "GET", "/rest/orders/search", nil), 200)

	t.Run("configured cap", func(t *testing.T) {
		r := newRig(t, plentysim.Config{MaxSessions: 1})
		r.login()
		a := r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
		r.expect(a, 429)
		if a.num("max_current_sessions") != "1" || !strings.Contains(a.str("message"), "Only 1 users") {
			t.Fatalf("body %s", a.raw)
		}
	})
}

func TestConcurrentLoginsRespectTheCap(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	codes := map[int]int{}
	for range 12 {
		wg.Go(func() {
			req, _ := http.NewRequest("POST", r.base+"/rest/login", strings.NewReader(
				`{"username":"`+plentysim.DefaultUser+`","password":"`+plentysim.DefaultPassword+`"}`))
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[200] != 3 || codes[429] != 9 || r.sim.PeakSessions() != 3 {
		t.Fatalf("codes %v, peak %d", codes, r.sim.PeakSessions())
	}
}

func TestTokensExpireOnTheClock(t *testing.T) {
	t.Run("24 hours", func(t *testing.T) {
		r := newRig(t, plentysim.Config{})
		tok := r.login()
		r.clock.Advance(24*time.Hour - time.Second)
		r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
		r.clock.Advance(time.Second)
		a := r.call(tok, "GET", "/rest/orders/search", nil)
		r.expect(a, 401)
		if a.str("error") != "access_denied" {
			t.Fatalf("401 body %s", a.raw)
		}
		if r.sim.OpenSessions() != 0 {
			t.Fatal("an expired session still counts")
		}
	})
	t.Run("configured TTL", func(t *testing.T) {
		r := newRig(t, plentysim.Config{TokenTTL: time.Hour})
		a := r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
		if a.num("expires_in") != "3600" || a.num("expiresIn") != "3600" {
			t.Fatalf("expires %s", a.raw)
		}
		r.clock.Advance(time.Hour)
		r.expect(r.call(a.str("access_token"), "GET", "/rest/orders/search", nil), 401)
	})
	t.Run("ExpireTokens", func(t *testing.T) {
		r := newRig(t, plentysim.Config{})
		var toks []string
		for range 3 {
			toks = append(toks, r.login())
		}
		r.sim.ExpireTokens()
		for _, tok := range toks {
			r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 401)
		}
		if r.sim.OpenSessions() != 0 {
			t.Fatalf("open %d", r.sim.OpenSessions())
		}
		tok := r.login() // the expired sessions no longer hold places
		r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
	})
}

func TestBearerCheck(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	tok := r.login()
	tests := []struct {
		name, header string
		status       int
	}{
		{"none", "", 401},
		{"garbage", "Bearer garbage", 401},
		{"basic", "Basic " + tok, 401},
		{"lower-case scheme", "bearer " + tok, 200},
		{"valid", "Bearer " + tok, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", r.base+"/rest/orders/search", nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			r.expect(r.send(req), tt.status)
		})
	}
}

func TestRefresh(t *testing.T) {
	tests := []struct {
		name string
		send func(r *rig, access, refresh string) answer
	}{
		{"empty body with Bearer", func(r *rig, access, _ string) answer { return r.call(access, "POST", "/rest/login/refresh", nil) }},
		{"form refresh_token", func(r *rig, _, refresh string) answer {
			return r.call("", "POST", "/rest/login/refresh", form{"refresh_token": {refresh}})
		}},
		{"JSON refreshToken", func(r *rig, _, refresh string) answer {
			return r.call("", "POST", "/rest/login/refresh", map[string]string{"refreshToken": refresh})
		}},
		{"JSON refresh_token with Bearer", func(r *rig, access, refresh string) answer {
			return r.call(access, "POST", "/rest/login/refresh", map[string]string{"refresh_token": refresh})
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, plentysim.Config{})
			l := r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
			a := tt.send(r, l.str("access_token"), l.str("refresh_token"))
			r.expect(a, 200)
			if a.str("accessToken") == "" || a.str("tokenType") != "Bearer" || a.num("expiresIn") != "86400" ||
				a.str("refreshToken") == "" || a.str("access_token") != "" || a.str("accessToken") == l.str("access_token") {
				t.Fatalf("TokenData %s", a.raw)
			}
			r.expect(r.call(l.str("access_token"), "GET", "/rest/orders/search", nil), 401)
			r.expect(r.call(a.str("accessToken"), "GET", "/rest/orders/search", nil), 200)
			// The old refresh token is spent.
			r.expect(r.call("", "POST", "/rest/login/refresh", form{"refresh_token": {l.str("refresh_token")}}), 401)
			if r.sim.OpenSessions() != 1 || r.sim.Logins() != 1 {
				t.Fatalf("open %d logins %d", r.sim.OpenSessions(), r.sim.Logins())
			}
		})
	}
	t.Run("after expiry", func(t *testing.T) {
		r := newRig(t, plentysim.Config{})
		l := r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
		r.clock.Advance(25 * time.Hour)
		a := r.call(l.str("access_token"), "POST", "/rest/login/refresh", nil)
		r.expect(a, 200)
		r.expect(r.call(a.str("accessToken"), "GET", "/rest/orders/search", nil), 200)
	})
	t.Run("refused", func(t *testing.T) {
		r := newRig(t, plentysim.Config{})
		l := r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
		r.expect(r.call("", "POST", "/rest/login/refresh", nil), 401)
		r.expect(r.call("", "POST", "/rest/login/refresh", map[string]string{"refreshToken": "def50200nope"}), 401)
		r.expect(r.call(l.str("access_token"), "POST", "/rest/logout", nil), 200)
		r.expect(r.call("", "POST", "/rest/login/refresh", map[string]string{"refreshToken": l.str("refresh_token")}), 401)
	})
}

// limits reads the throttle headers of one prefix: limit, calls left, decay.
func limits(a answer, prefix string) (limit, left, decay string) {
	return a.header.Get(prefix + "-Limit"), a.header.Get(prefix + "-Calls-Left"), a.header.Get(prefix + "-Decay")
}

const (
	short = "X-Plenty-Global-Short-Period"
	long  = "X-Plenty-Global-Long-Period"
	route = "X-Plenty-Route"
)

func TestThrottleDefaultsAreBasic(t *testing.T) {
	sim, base := plentysim.Serve(t, plentysim.Config{Clock: simkit.NewClock(start)})
	r := &rig{t: t, sim: sim, base: base}
	login := r.call("", "POST", "/rest/login", map[string]string{"username": plentysim.DefaultUser, "password": plentysim.DefaultPassword})
	read := r.call(login.str("access_token"), "GET", "/rest/orders/search", nil)
	for _, c := range []struct {
		a                   answer
		prefix, limit, left string
	}{
		{login, short, "40", "39"}, {login, long, "17280", "17279"},
		{read, short, "80", "79"}, {read, long, "59760", "59759"}, {read, route, "80", "79"},
	} {
		if l, left, _ := limits(c.a, c.prefix); l != c.limit || left != c.left {
			t.Errorf("%s: limit %s left %s, want %s %s", c.prefix, l, left, c.limit, c.left)
		}
	}
	if _, _, d := limits(read, long); d != "86400" {
		t.Errorf("long decay %s", d)
	}
	if l, _, _ := limits(login, route); l != "" {
		t.Error("login has a route limit")
	}
}

func TestThrottle(t *testing.T) {
	r := newRig(t, plentysim.Config{ReadPerMinute: 3, WritePerMinute: 3, ReadPerDay: 1000, WritePerDay: 1000})
	id := r.sim.AddOrder(order("a@example.com", "5"))
	tok := r.login() // a write: 2 writes left
	for i, want := range []string{"2", "1", "0"} {
		a := r.call(tok, "GET", "/rest/orders/"+strconv.Itoa(id), nil)
		r.expect(a, 200)
		if l, left, decay := limits(a, short); l != "3" || left != want || decay != "60" {
			t.Fatalf("read %d: short %s/%s/%s, want 3/%s/60", i, l, left, decay, want)
		}
		if _, left, _ := limits(a, long); left != strconv.Itoa(999-i) {
			t.Fatalf("read %d: long left %s", i, left)
		}
	}
	r.clock.Advance(10 * time.Second)
	a := r.call(tok, "GET", "/rest/orders/"+strconv.Itoa(id), nil)
	r.expect(a, 429)
	if a.header.Get("Retry-After") != "50" || a.header.Get(short+"-Calls-Reset") != strconv.FormatInt(start.Add(time.Minute).Unix(), 10) {
		t.Fatalf("429 headers %v", a.header)
	}
	if _, left, decay := limits(a, short); left != "0" || decay != "50" {
		t.Fatalf("429 short left %s decay %s", left, decay)
	}
	if !strings.Contains(a.raw, "short period read limit reached") {
		t.Fatalf("429 body %s", a.raw)
	}
	// Writes have their own bucket.
	w := r.call(tok, "PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 5.1})
	r.expect(w, 200)
	if l, left, _ := limits(w, short); l != "3" || left != "1" {
		t.Fatalf("write short %s/%s", l, left)
	}
	r.expect(r.call(tok, "PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 6}), 200)
	w = r.call(tok, "PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 7})
	r.expect(w, 429)
	if !strings.Contains(w.raw, "short period write limit reached") || w.header.Get("Retry-After") == "" {
		t.Fatalf("write 429 %v %s", w.header, w.raw)
	}
	if st, _ := r.sim.Order(id); st.Status != "6" {
		t.Fatalf("a throttled write was applied: %s", st.Status)
	}
	// A minute on, both buckets are full again; a refused call used up nothing.
	r.clock.Advance(50 * time.Second)
	a = r.call(tok, "GET", "/rest/orders/"+strconv.Itoa(id), nil)
	r.expect(a, 200)
	if _, left, decay := limits(a, short); left != "2" || decay != "60" {
		t.Fatalf("after a minute: left %s decay %s", left, decay)
	}
	if _, left, _ := limits(a, long); left != "996" {
		t.Fatalf("long left %s: refused calls counted", left)
	}
	r.expect(r.call(tok, "PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 7}), 200)
}

func TestThrottleLongPeriod(t *testing.T) {
	r := newRig(t, plentysim.Config{ReadPerMinute: 100, WritePerMinute: 100, ReadPerDay: 2, WritePerDay: 100, TokenTTL: 48 * time.Hour})
	tok := r.login()
	for range 2 {
		r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
	}
	r.clock.Advance(time.Hour)
	a := r.call(tok, "GET", "/rest/orders/search", nil)
	r.expect(a, 429)
	if !strings.Contains(a.raw, "long period read limit reached") || a.header.Get("Retry-After") != strconv.Itoa(23*3600) ||
		a.header.Get(long+"-Calls-Reset") != strconv.FormatInt(start.Add(24*time.Hour).Unix(), 10) {
		t.Fatalf("long 429 %v %s", a.header, a.raw)
	}
	r.clock.Advance(23 * time.Hour)
	r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
}

func TestRouteLimit(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	r.sim.SetRouteLimit(plentysim.EndpointSearch, 2)
	tok := r.login()
	for _, want := range []string{"1", "0"} {
		a := r.call(tok, "GET", "/rest/orders/search", nil)
		r.expect(a, 200)
		if l, left, _ := limits(a, route); l != "2" || left != want {
			t.Fatalf("route %s/%s", l, left)
		}
	}
	a := r.call(tok, "GET", "/rest/orders/search", nil)
	r.expect(a, 429)
	if a.header.Get(route+"-Calls-Reset") == "" || !strings.Contains(a.raw, "route read limit reached") {
		t.Fatalf("route 429 %v %s", a.header, a.raw)
	}
	// Other reads go on.
	a = r.call(tok, "GET", "/rest/orders", nil)
	r.expect(a, 200)
	if a.header.Get(route+"-Limit") != "" {
		t.Fatal("route headers on another route")
	}
	r.clock.Advance(time.Minute)
	r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
	r.sim.SetRouteLimit(plentysim.EndpointSearch, 0)
	if a := r.call(tok, "GET", "/rest/orders/search", nil); a.header.Get(route+"-Limit") != "" {
		t.Fatal("route limit not removed")
	}
}

// fixture adds orders in statuses 5, 5.1, 6, 8, 8.8, 9 and a return in 9.1, a second apart.
type fixture struct {
	r                               *rig
	s5, s51, s6, s8, s88, s9, ret91 int
}

func newFixture(t *testing.T, cfg plentysim.Config) *fixture {
	r := newRig(t, cfg)
	f := &fixture{r: r}
	for _, o := range []struct {
		id     *int
		status plentysim.Status
	}{{&f.s5, "5"}, {&f.s51, "5.1"}, {&f.s6, "6"}, {&f.s8, "8"}, {&f.s88, "8.8"}, {&f.s9, "9"}} {
		*o.id = r.sim.AddOrder(order(fmt.Sprintf("c%s@example.com", o.status), o.status))
		r.clock.Advance(time.Second)
	}
	f.ret91 = r.sim.AddReturn(f.s6, []plentysim.Item{{VariationID: 1012, Name: "Design Sessel", PriceGross: "149", PriceNet: "125.2101"}}, "9.1")
	r.clock.Advance(time.Second)
	return f
}

func TestSearchStatusFilters(t *testing.T) {
	f := newFixture(t, plentysim.Config{})
	all := []int{f.s5, f.s51, f.s6, f.s8, f.s88, f.s9, f.ret91}
	without := func(ids ...int) []int {
		return slices.DeleteFunc(slices.Clone(all), func(id int) bool { return slices.Contains(ids, id) })
	}
	tests := []struct {
		query string
		want  []int
	}{
		{"statusId=5", []int{f.s5}},
		{"statusId=eq:5", []int{f.s5}},
		{"statusId=5.0", []int{f.s5}},
		{"statusId=5.1", []int{f.s51}},
		{"statusId=5.10", []int{f.s51}},
		{"statusId=in:5,5.1", []int{f.s5, f.s51}},
		{"statusId=in:5.1,8.8", []int{f.s51, f.s88}},
		{"statusId=nin:5,5.1,6", []int{f.s8, f.s88, f.s9, f.ret91}},
		{"statusId=between:5,6", []int{f.s5, f.s51, f.s6}},
		{"statusId=9", []int{f.s9}},
		{"statusId=8", []int{f.s8}},
		{"statusId=gte:9+AND+lt:10", []int{f.s9, f.ret91}},
		{"statusId=gte:9%2BAND%2Blt:10", []int{f.s9, f.ret91}},
		{"statusId=gte:9%20AND%20lt:10", []int{f.s9, f.ret91}},
		{"statusId=gt:5+AND+lt:6", []int{f.s51}},
		{"statusId=lt:5.1", []int{f.s5}},
		{"statusId=lte:5.1", []int{f.s5, f.s51}},
		{"statusId=not:5", without(f.s5)},
		{"statusId=eq:5+OR+gt:8.5", []int{f.s5, f.s88, f.s9, f.ret91}},
		{"statusId=eq:5+OR+gte:9+AND+lt:9.5", []int{f.s5, f.s9, f.ret91}},
		{"statusId=6.3", nil},
		{"statusId=nn:", all},
		{"orderTypeId=1&statusId=gte:9", []int{f.s9}},
		{"orderTypeId=3", []int{f.ret91}},
		{"orderTypeId=in:1,3&statusId=in:9,9.1", []int{f.s9, f.ret91}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := f.r.ok("GET", "/rest/orders/search?"+tt.query, nil)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := a.ids(); !slices.Equal(got, want) {
				t.Fatalf("ids %v, want %v", got, want)
			}
			if a.num("totalsCount") != strconv.Itoa(len(tt.want)) {
				t.Fatalf("totalsCount %s", a.num("totalsCount"))
			}
		})
	}
}

func TestSearchRefusesBadFilters(t *testing.T) {
	f := newFixture(t, plentysim.Config{})
	tests := []struct {
		query  string
		status int
		field  string
	}{
		{"statusId=9.0.1", 422, "statusId"},
		{"statusId=between:5", 422, "statusId"},
		{"statusId=in:", 422, "statusId"},
		{"orderTypeId=sales", 422, "orderTypeId"},
		{"updatedAt=gte:2025-01-15T10:00:00 01:00", 422, "updatedAt"}, // a "+" sent unencoded
		{"unknownFilter=1", 422, "unknownFilter"},
		{"sortBy=colour", 422, "sortBy"},
		{"sortOrder=up", 422, "sortOrder"},
		{"with[]=bogus", 422, "with"},
		{"page=x", 422, "page"},
		{"tag=3", 501, ""},
		{"orderDate_3=gte:2025-01-01", 501, ""},
		{"with[]=payments", 501, ""},
		{"sortBy=invoiceNumber", 501, ""},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := f.r.do("GET", "/rest/orders/search?"+strings.ReplaceAll(tt.query, " ", "%20"), nil)
			f.r.expect(a, tt.status)
			if tt.field != "" {
				ve, _ := a.obj()["validation_errors"].(map[string]any)
				if ve[tt.field] == nil {
					t.Fatalf("validation_errors %s", a.raw)
				}
			}
		})
	}
}

func TestSearchOtherFilters(t *testing.T) {
	f := newFixture(t, plentysim.Config{})
	r := f.r
	since := r.clock.Now()
	r.clock.Advance(time.Minute)
	r.sim.MoveOrder(f.s5, "6")
	r.expect(r.do("POST", "/rest/orders/"+strconv.Itoa(f.s51)+"/shipping/packages",
		map[string]any{"packageId": 3, "packageType": 26, "packageNumber": "00340434161094042557"}), 200)
	r.ok("PUT", "/rest/orders/"+strconv.Itoa(f.s8), map[string]any{"properties": []any{map[string]any{"typeId": 7, "value": "NEW-8"}}})
	tests := []struct {
		query string
		want  []int
	}{
		{"updatedAt=gte:" + url.QueryEscape(since.Add(time.Second).In(time.FixedZone("", 3600)).Format(time.RFC3339)), []int{f.s5, f.s8}},
		{"updatedAt=gte:" + url.QueryEscape(since.Add(time.Second).UTC().Format(time.RFC3339)), []int{f.s5, f.s8}},
		{"updatedAt=lt:" + url.QueryEscape(start.Add(2*time.Second).Format(time.RFC3339)), []int{f.s51}},
		{"createdAt=between:" + url.QueryEscape(start.Format(time.RFC3339)) + "," + url.QueryEscape(start.Add(time.Second).Format(time.RFC3339)), []int{f.s5, f.s51}},
		{"orderProperty_7=NEW-8", []int{f.s8}},
		{"orderProperty_7=SHOP-c9@example.com", []int{f.s9}},
		{"packageNumber=00340434161094042557", []int{f.s51}},
		{"itemVariationId=2040&orderTypeId=1&statusId=lt:6", []int{f.s51}},
		{"orderReference_parent=" + strconv.Itoa(f.s6), []int{f.ret91}},
		{"plentyId=1000&statusId=5.1", []int{f.s51}},
		{"lockStatus=unlocked&statusId=8.8", []int{f.s88}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := r.ok("GET", "/rest/orders/search?"+tt.query, nil)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := a.ids(); !slices.Equal(got, want) {
				t.Fatalf("ids %v, want %v", got, want)
			}
		})
	}
}

func TestSearchPagingAndSorting(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	var ids []int
	for i := range 7 {
		ids = append(ids, r.sim.AddOrder(order(fmt.Sprintf("p%d@example.com", i), "5")))
	}
	a := r.ok("GET", "/rest/orders/search", nil)
	if a.num("page") != "1" || a.num("itemsPerPage") != "50" || a.num("totalsCount") != "7" || a.obj()["isLastPage"] != true {
		t.Fatalf("defaults %s", a.raw)
	}
	// Order id descending by default.
	if got := intOf(a.entries()[0]["id"]); got != ids[6] {
		t.Fatalf("first entry %d, want %d", got, ids[6])
	}
	tests := []struct {
		page                      int
		first, last, firstID      int
		isLast                    bool
		count                     int
		lastPageNumber, totalsCnt int
	}{
		{1, 1, 3, ids[0], false, 3, 3, 7},
		{2, 4, 6, ids[3], false, 3, 3, 7},
		{3, 7, 7, ids[6], true, 1, 3, 7},
		{4, 0, 0, 0, true, 0, 3, 7},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("page %d", tt.page), func(t *testing.T) {
			a := r.ok("GET", fmt.Sprintf("/rest/orders/search?sortBy=orderId&sortOrder=asc&itemsPerPage=3&page=%d", tt.page), nil)
			o := a.obj()
			if a.num("page") != strconv.Itoa(tt.page) || intOf(o["firstOnPage"]) != tt.first || intOf(o["lastOnPage"]) != tt.last ||
				o["isLastPage"] != tt.isLast || len(a.entries()) != tt.count || intOf(o["lastPageNumber"]) != tt.lastPageNumber ||
				intOf(o["totalsCount"]) != tt.totalsCnt || intOf(o["itemsPerPage"]) != 3 {
				t.Fatalf("envelope %s", a.raw)
			}
			if tt.count > 0 && intOf(a.entries()[0]["id"]) != tt.firstID {
				t.Fatalf("first id %v, want %d", a.entries()[0]["id"], tt.firstID)
			}
		})
	}
	t.Run("page as string", func(t *testing.T) {
		r.sim.SetPageAsString(true)
		defer r.sim.SetPageAsString(false)
		a := r.ok("GET", "/rest/orders/search?page=2&itemsPerPage=3", nil)
		if a.str("page") != "2" || !strings.Contains(a.raw, `"page":"2"`) {
			t.Fatalf("page %s", a.raw)
		}
	})
	t.Run("sort by status", func(t *testing.T) {
		r.sim.MoveOrder(ids[2], "5.1")
		r.sim.MoveOrder(ids[4], "4")
		a := r.ok("GET", "/rest/orders/search?sortBy=statusId&sortOrder=asc", nil)
		if intOf(a.entries()[0]["id"]) != ids[4] || intOf(a.entries()[6]["id"]) != ids[2] {
			t.Fatalf("sorted %v", a.raw)
		}
	})
}

func TestSearchEntriesAreBareUnlessAsked(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	id := r.sim.AddOrder(order("bare@example.com", "5.1"))
	keys := func(m map[string]any) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		slices.Sort(out)
		return out
	}
	a := r.ok("GET", "/rest/orders/search", nil)
	e := a.entries()[0]
	want := []string{"createdAt", "id", "locationId", "lockStatus", "numberOfDecimals", "ownerId", "plentyId",
		"referrerId", "roundTotalsOnly", "statusId", "typeId", "updatedAt"}
	if got := keys(e); !slices.Equal(got, want) {
		t.Fatalf("bare entry keys %v, want %v", got, want)
	}
	if _, isString := e["locationId"].(string); !isString {
		t.Fatal("locationId not a string, as plentymarkets' search example writes it")
	}
	if !strings.Contains(a.raw, `"statusId":5.1,`) {
		t.Fatalf("statusId %s", a.raw)
	}
	for _, q := range []string{"with[]=addresses&with[]=orderItems.variation", "with[0]=addresses&with[1]=orderItems.variation",
		"with=addresses,orderItems.variation"} {
		t.Run(q, func(t *testing.T) {
			e := r.ok("GET", "/rest/orders/search?"+q, nil).entries()[0]
			addrs, _ := e["addresses"].([]any)
			items, _ := e["orderItems"].([]any)
			if len(addrs) != 1 || len(items) != 3 || e["properties"] != nil || e["amounts"] != nil {
				t.Fatalf("entry %v", e)
			}
			first, _ := items[0].(map[string]any)
			v, _ := first["variation"].(map[string]any)
			if intOf(v["id"]) != 1012 {
				t.Fatalf("variation %v", first)
			}
		})
	}
	t.Run("lazyLoaded=false", func(t *testing.T) {
		e := r.ok("GET", "/rest/orders/search?lazyLoaded=false", nil).entries()[0]
		for _, k := range []string{"amounts", "properties", "dates", "addressRelations", "relations", "orderItems", "orderReferences"} {
			if e[k] == nil {
				t.Fatalf("no %s in %v", k, e)
			}
		}
	})
	t.Run("FullSearchEntries", func(t *testing.T) {
		r.sim.SetFullSearchEntries(true)
		defer r.sim.SetFullSearchEntries(false)
		e := r.ok("GET", "/rest/orders/search?with[]=addresses", nil).entries()[0]
		if e["properties"] == nil || e["addresses"] == nil || intOf(e["id"]) != id {
			t.Fatalf("entry %v", e)
		}
	})
}

func TestSearchComplexFilter(t *testing.T) {
	f := newFixture(t, plentysim.Config{})
	body := map[string]any{
		"conditionType": "and",
		"fields":        []any{map[string]any{"field": "orderTypeId", "operator": "eq", "value": 1}},
		"groups": []any{map[string]any{"conditionType": "or", "fields": []any{
			map[string]any{"field": "statusId", "operator": "between", "value": []any{5, 5.1}},
			map[string]any{"field": "statusId", "operator": "in", "value": []any{"8.8", 9}},
		}, "groups": []any{}}},
	}
	want := []int{f.s5, f.s51, f.s88, f.s9}
	for _, method := range []string{"POST", "GET"} {
		t.Run(method, func(t *testing.T) {
			a := f.r.ok(method, "/rest/orders/search", body)
			if got := a.ids(); !slices.Equal(got, want) {
				t.Fatalf("ids %v, want %v", got, want)
			}
		})
	}
	t.Run("with simple filters", func(t *testing.T) {
		a := f.r.ok("POST", "/rest/orders/search?statusId=not:5", body)
		if got := a.ids(); !slices.Equal(got, []int{f.s51, f.s88, f.s9}) {
			t.Fatalf("ids %v", got)
		}
	})
	for name, bad := range map[string]any{
		"operator":      map[string]any{"fields": []any{map[string]any{"field": "statusId", "operator": "like", "value": 5}}},
		"field":         map[string]any{"fields": []any{map[string]any{"field": "colour", "operator": "eq", "value": 5}}},
		"conditionType": map[string]any{"conditionType": "xor"},
		"value":         map[string]any{"fields": []any{map[string]any{"field": "statusId", "operator": "between", "value": 5}}},
		"not JSON":      raw("statusId=5"),
	} {
		t.Run("bad "+name, func(t *testing.T) { f.r.expect(f.r.do("POST", "/rest/orders/search", bad), 422) })
	}
}

func TestLegacyOrderList(t *testing.T) {
	f := newFixture(t, plentysim.Config{})
	r := f.r
	since := r.clock.Now()
	r.clock.Advance(time.Minute)
	r.sim.MoveOrder(f.s51, "6.2")
	tests := []struct {
		query string
		want  []int
	}{
		{"statusFrom=5&statusTo=5", []int{f.s5}},
		{"statusFrom=5.1&statusTo=5.1", []int{}},
		{"statusFrom=6.2&statusTo=6.2", []int{f.s51}},
		{"statusFrom=9&statusTo=9.9", []int{f.s9, f.ret91}},
		{"statusFrom=8", []int{f.s8, f.s88, f.s9, f.ret91}},
		{"orderType=3", []int{f.ret91}},
		{"orderType=1,3&statusTo=5", []int{f.s5}},
		{"updatedAtFrom=" + url.QueryEscape(since.Add(time.Second).Format(time.RFC3339)), []int{f.s51}},
		{"parentOrderId=" + strconv.Itoa(f.s6), []int{f.ret91}},
		{"externalOrderId=SHOP-c8@example.com", []int{f.s8}},
		{"orderIds=" + strconv.Itoa(f.s5) + "," + strconv.Itoa(f.s9), []int{f.s5, f.s9}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			a := r.ok("GET", "/rest/orders?"+tt.query, nil)
			want := slices.Clone(tt.want)
			slices.Sort(want)
			if got := a.ids(); !slices.Equal(got, want) && len(got)+len(want) > 0 {
				t.Fatalf("ids %v, want %v", got, want)
			}
		})
	}
	a := r.ok("GET", "/rest/orders?statusFrom=5&statusTo=6", nil)
	es := a.entries()
	if intOf(es[0]["id"]) != f.s5 { // ascending by default
		t.Fatalf("order %s", a.raw)
	}
	if es[0]["orderItems"] == nil || es[0]["properties"] == nil || es[0]["amounts"] == nil || es[0]["addresses"] != nil {
		t.Fatalf("legacy entries are whole orders: %v", es[0])
	}
	es = r.ok("GET", "/rest/orders?statusFrom=5&statusTo=5&addOrderItems=false&with[]=addresses", nil).entries()
	if es[0]["orderItems"] != nil || es[0]["addresses"] == nil {
		t.Fatalf("addOrderItems=false with addresses: %v", es[0])
	}
	r.expect(r.do("GET", "/rest/orders?statusFrom=x", nil), 422)
	r.expect(r.do("GET", "/rest/orders?paymentStatus=unpaid", nil), 501)
	r.expect(r.do("GET", "/rest/orders?colour=red", nil), 422)
}

func TestOrderDocument(t *testing.T) {
	r := newRig(t, plentysim.Config{PlentyID: 54321})
	o := order("doc@example.com", "")
	o.CouponCode, o.CouponGross, o.CouponNet, o.Lang = "SPRING10", "10", "8.4034", "en"
	id := r.sim.AddOrder(o)
	a := r.ok("GET", "/rest/orders/"+strconv.Itoa(id)+"?with[]=addresses", nil)
	d := a.obj()
	if !strings.Contains(a.raw, `"statusId":5,`) || intOf(d["typeId"]) != 1 || intOf(d["plentyId"]) != 54321 ||
		d["lockStatus"] != "unlocked" || d["statusName"] != "[5] Freigabe Versand" || a.num("referrerId") != "0" {
		t.Fatalf("order fields %s", a.raw)
	}
	if d["createdAt"] != "2025-01-15T10:00:00+01:00" {
		t.Fatalf("createdAt %v", d["createdAt"])
	}
	props := map[int]string{}
	for _, p := range d["properties"].([]any) {
		m := p.(map[string]any)
		props[intOf(m["typeId"])] = m["value"].(string)
	}
	if props[7] != "SHOP-doc@example.com" || props[18] != "SPRING10" || props[3] != "6000" || props[6] != "en" {
		t.Fatalf("properties %v", props)
	}
	items := d["orderItems"].([]any)
	types := map[int]map[string]any{}
	for _, it := range items {
		m := it.(map[string]any)
		types[intOf(m["typeId"])] = m
	}
	ship, coupon := types[6], types[4]
	if ship == nil || ship["id"] != json.Number("0") || ship["position"] != nil || ship["attributeValues"] != "" {
		t.Fatalf("shipping line %v", ship)
	}
	amount := func(m map[string]any, k string) string {
		return m["amounts"].([]any)[0].(map[string]any)[k].(json.Number).String()
	}
	if amount(ship, "priceGross") != "4.99" || amount(coupon, "priceGross") != "-10" || amount(coupon, "priceNet") != "-8.4034" {
		t.Fatalf("amounts: shipping %v coupon %v", ship, coupon)
	}
	var lines int
	for _, it := range items {
		m := it.(map[string]any)
		if intOf(m["typeId"]) == 1 {
			lines++
			if _, isString := m["position"].(string); !isString || m["attributeValues"] != nil {
				t.Fatalf("variation line %v", m)
			}
		}
	}
	if lines != 2 {
		t.Fatalf("%d variation lines", lines)
	}
	// 2 × 149 + 19.99 + 4.99 − 10 = 312.98 gross
	am := d["amounts"].([]any)[0].(map[string]any)
	if am["grossTotal"] != json.Number("312.98") || am["currency"] != "EUR" || am["isSystemCurrency"] != true {
		t.Fatalf("order amounts %v", am)
	}
	rels := d["addressRelations"].([]any)
	if len(rels) != 2 || intOf(rels[0].(map[string]any)["typeId"]) != 1 || intOf(rels[1].(map[string]any)["typeId"]) != 2 {
		t.Fatalf("addressRelations %v", rels)
	}
	var receiver bool
	for _, x := range d["relations"].([]any) {
		m := x.(map[string]any)
		receiver = receiver || (m["referenceType"] == "contact" && m["relation"] == "receiver")
	}
	if !receiver {
		t.Fatalf("relations %v", d["relations"])
	}
	addr := d["addresses"].([]any)[0].(map[string]any)
	if addr["name1"] != "Muster GmbH" || addr["name2"] != "Maria" || addr["name3"] != "Muster" || addr["address1"] != "Hauptstraße" ||
		addr["address2"] != "12a" || addr["postalCode"] != "10115" || addr["town"] != "Berlin" || addr["countryId"] != json.Number("1") ||
		intOf(addr["id"]) != intOf(rels[0].(map[string]any)["addressId"]) {
		t.Fatalf("address %v", addr)
	}
	opts := map[int]string{}
	for _, x := range addr["options"].([]any) {
		m := x.(map[string]any)
		opts[intOf(m["typeId"])] = m["value"].(string)
	}
	if opts[5] != "doc@example.com" || opts[4] != "+49 30 123456" {
		t.Fatalf("options %v", opts)
	}
	if d["orderReferences"] == nil || len(d["orderReferences"].([]any)) != 0 {
		t.Fatalf("orderReferences %v", d["orderReferences"])
	}
	t.Run("unknown", func(t *testing.T) {
		for _, p := range []string{"/rest/orders/99999", "/rest/orders/abc"} {
			a := r.do("GET", p, nil)
			r.expect(a, 404)
			if !strings.Contains(a.raw, "No query results for model") {
				t.Fatalf("404 body %s", a.raw)
			}
		}
	})
	t.Run("addOrderItems=false", func(t *testing.T) {
		if r.ok("GET", "/rest/orders/"+strconv.Itoa(id)+"?addOrderItems=false", nil).obj()["orderItems"] != nil {
			t.Fatal("order items without being asked")
		}
	})
}

func TestUpdateOrder(t *testing.T) {
	r := newRig(t, plentysim.Config{SettableStatuses: []plentysim.Status{"5.1", "6.2", "6.3", "8.8"}})
	id := r.sim.AddOrder(order("put@example.com", "5"))
	r.clock.Advance(time.Minute)
	path := "/rest/orders/" + strconv.Itoa(id)
	a := r.ok("PUT", path, raw(`{"statusId": 5.1}`))
	if !strings.Contains(a.raw, `"statusId":5.1,`) || intOf(a.obj()["id"]) != id || a.obj()["orderItems"] == nil ||
		a.obj()["updatedAt"] != "2025-01-15T10:01:00+01:00" {
		t.Fatalf("PUT answer %s", a.raw)
	}
	st, _ := r.sim.Order(id)
	if st.Status != "5.1" || !slices.Equal(st.StatusHistory, []plentysim.Status{"5", "5.1"}) {
		t.Fatalf("state %+v", st)
	}
	// Not settable: 403, nothing changes.
	a = r.do("PUT", path, map[string]any{"statusId": 7})
	r.expect(a, 403)
	// Unknown status: 422.
	r.expect(r.do("PUT", path, map[string]any{"statusId": 42}), 422)
	r.expect(r.do("PUT", path, map[string]any{"statusId": "9.0.1"}), 422)
	if st, _ := r.sim.Order(id); st.Status != "5.1" || len(st.StatusHistory) != 2 {
		t.Fatalf("refused PUTs changed %+v", st)
	}
	// A status as a numeric string; properties merged by typeId.
	a = r.ok("PUT", path, map[string]any{"statusId": "6.20", "properties": []any{
		map[string]any{"typeId": 7, "value": "WMS-1"}, map[string]any{"typeId": 995, "value": "wemalo"}}})
	st, _ = r.sim.Order(id)
	if st.Status != "6.2" || st.Properties[7] != "WMS-1" || st.Properties[995] != "wemalo" || st.Properties[3] != "6000" {
		t.Fatalf("after merge %+v", st)
	}
	// The same status again adds no history entry.
	r.ok("PUT", path, map[string]any{"statusId": 6.2})
	if st, _ := r.sim.Order(id); len(st.StatusHistory) != 3 {
		t.Fatalf("history %v", st.StatusHistory)
	}
	r.sim.SetReplaceProperties(true)
	r.ok("PUT", path, map[string]any{"properties": []any{map[string]any{"typeId": 7, "value": "ONLY"}}})
	if st, _ := r.sim.Order(id); len(st.Properties) != 1 || st.Properties[7] != "ONLY" {
		t.Fatalf("after replace %v", st.Properties)
	}
	r.expect(r.do("PUT", "/rest/orders/99999", map[string]any{"statusId": 5.1}), 404)
	r.expect(r.do("PUT", path, raw(`{"statusId":`)), 400)
	r.expect(r.do("PUT", path, map[string]any{"orderItems": []any{}}), 501)
	r.expect(r.do("PUT", path, map[string]any{"properties": "x"}), 422)
	// The history entries of REST changes carry the REST user.
	h := r.ok("GET", "/rest/orders/"+strconv.Itoa(id)+"/status-history", nil)
	hist := h.list()
	last := hist[len(hist)-1]
	if len(hist) != 3 || last["statusId"] != json.Number("6.2") || intOf(last["userId"]) != 3 {
		t.Fatalf("history %s", h.raw)
	}
	t.Run("every status settable by default", func(t *testing.T) {
		r := newRig(t, plentysim.Config{})
		id := r.sim.AddOrder(order("any@example.com", "5"))
		r.ok("PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 7})
		r.sim.SetSettableStatuses([]plentysim.Status{"5.1"})
		r.expect(r.do("PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 8}), 403)
	})
}

func TestCancelOrder(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	id := r.sim.AddOrder(order("cancel@example.com", "5"))
	a := r.ok("PUT", "/rest/orders/"+strconv.Itoa(id)+"/cancel", map[string]any{"message": "Kunde hat storniert"})
	if a.raw != "" {
		t.Fatalf("cancel body %q", a.raw)
	}
	st, _ := r.sim.Order(id)
	if st.Status != "8" {
		t.Fatalf("status %s", st.Status)
	}
	h := r.ok("GET", "/rest/orders/status-history?orderId="+strconv.Itoa(id)+"&statusId=8", nil)
	if len(h.entries()) != 1 || h.entries()[0]["procedureText"] != "Kunde hat storniert" {
		t.Fatalf("history %s", h.raw)
	}
	r.ok("PUT", "/rest/orders/"+strconv.Itoa(id)+"/cancel", map[string]any{"statusId": 8.1})
	if st, _ := r.sim.Order(id); st.Status != "8.1" {
		t.Fatalf("status %s", st.Status)
	}
	r.expect(r.do("PUT", "/rest/orders/99999/cancel", nil), 404)
	r.sim.SetSettableStatuses([]plentysim.Status{"5.1"})
	r.expect(r.do("PUT", "/rest/orders/"+strconv.Itoa(id)+"/cancel", nil), 403)
}

func TestStatuses(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	a := r.ok("GET", "/rest/orders/statuses?itemsPerPage=5", nil)
	if a.num("totalsCount") != "19" || a.num("lastPageNumber") != "4" || len(a.entries()) != 5 || a.entries()[0]["names"] != nil {
		t.Fatalf("statuses %s", a.raw)
	}
	var all []string
	for page := 1; ; page++ {
		a := r.ok("GET", fmt.Sprintf("/rest/orders/statuses?itemsPerPage=5&page=%d&with=names", page), nil)
		for _, e := range a.entries() {
			names := e["names"].(map[string]any)
			if names["de"] == nil || names["en"] == nil {
				t.Fatalf("names %v", e)
			}
			all = append(all, e["statusId"].(json.Number).String())
		}
		if a.obj()["isLastPage"] == true {
			break
		}
	}
	var want []string
	for _, st := range plentysim.DefaultStatuses() {
		want = append(want, string(st))
	}
	if !slices.Equal(all, want) {
		t.Fatalf("statuses %v, want %v", all, want)
	}
	a = r.ok("GET", "/rest/orders/statuses?statusIdFrom=5&statusIdTo=6&with[]=names&language=en", nil)
	if len(a.entries()) != 3 || a.entries()[1]["statusId"] != json.Number("5.1") {
		t.Fatalf("range %s", a.raw)
	}
	if names := a.entries()[0]["names"].(map[string]any); len(names) != 1 || names["en"] == nil {
		t.Fatalf("language %v", names)
	}
	t.Run("configured", func(t *testing.T) {
		r := newRig(t, plentysim.Config{Statuses: []plentysim.Status{"5", "5.10", "9.0"}})
		a := r.ok("GET", "/rest/orders/statuses", nil)
		if !strings.Contains(a.raw, `"statusId":5.1,`) || !strings.Contains(a.raw, `"statusId":9,`) || len(a.entries()) != 3 {
			t.Fatalf("statuses %s", a.raw)
		}
	})
}

func TestStatusHistory(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	a1 := r.sim.AddOrder(order("h1@example.com", "5"))
	a2 := r.sim.AddOrder(order("h2@example.com", "5"))
	r.clock.Advance(time.Hour)
	cut := r.clock.Now()
	r.sim.MoveOrder(a1, "8")
	r.sim.MoveOrder(a2, "8.8")
	r.clock.Advance(time.Hour)
	r.sim.MoveOrder(a2, "8")
	a3 := r.sim.AddOrder(order("h3@example.com", "8.1"))
	// Entries: a1 5, a2 5, a1 8, a2 8.8, a2 8, a3 8.1.
	a := r.ok("GET", "/rest/orders/status-history?itemsPerPage=4", nil)
	if a.num("totalsCount") != "6" || a.num("lastPageNumber") != "2" || a.obj()["isLastPage"] != false || len(a.entries()) != 4 {
		t.Fatalf("page 1 %s", a.raw)
	}
	e := a.entries()[2]
	for _, k := range []string{"id", "orderId", "statusId", "createdAt", "userId", "procedureText"} {
		if e[k] == nil {
			t.Fatalf("entry without %s: %v", k, e)
		}
	}
	if intOf(e["orderId"]) != a1 || e["statusId"] != json.Number("8") || e["createdAt"] != "2025-01-15T11:00:00+01:00" {
		t.Fatalf("entry %v", e)
	}
	a = r.ok("GET", "/rest/orders/status-history?itemsPerPage=4&page=2", nil)
	if len(a.entries()) != 2 || a.obj()["isLastPage"] != true || intOf(a.entries()[1]["orderId"]) != a3 {
		t.Fatalf("page 2 %s", a.raw)
	}
	tests := []struct {
		query string
		want  []string // orderId:statusId
	}{
		{"statusId=8", []string{fmt.Sprint(a1, ":8"), fmt.Sprint(a2, ":8")}},
		{"statusId=8.8", []string{fmt.Sprint(a2, ":8.8")}},
		{"statusId=8&createdAtFrom=" + url.QueryEscape(cut.Add(time.Minute).Format(time.RFC3339)), []string{fmt.Sprint(a2, ":8")}},
		{"createdAtTo=" + url.QueryEscape(start.Format(time.RFC3339)), []string{fmt.Sprint(a1, ":5"), fmt.Sprint(a2, ":5")}},
		{"orderId=" + strconv.Itoa(a2), []string{fmt.Sprint(a2, ":5"), fmt.Sprint(a2, ":8.8"), fmt.Sprint(a2, ":8")}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			var got []string
			for _, e := range r.ok("GET", "/rest/orders/status-history?"+tt.query, nil).entries() {
				got = append(got, fmt.Sprint(intOf(e["orderId"]), ":", e["statusId"]))
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("entries %v, want %v", got, tt.want)
			}
		})
	}
	r.expect(r.do("GET", "/rest/orders/status-history?createdAtFrom=yesterday", nil), 422)
	r.expect(r.do("GET", "/rest/orders/status-history?colour=red", nil), 422)
	r.expect(r.do("GET", "/rest/orders/99999/status-history", nil), 404)
}

func TestPackages(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	id := r.sim.AddOrder(order("pkg@example.com", "5.1"))
	path := "/rest/orders/" + strconv.Itoa(id) + "/shipping/packages"
	tests := []struct {
		name    string
		body    any
		missing []string
	}{
		{"without packageType", map[string]any{"packageId": 3, "packageNumber": "TRACK-1"}, []string{"packageType"}},
		{"without packageId", map[string]any{"packageType": 26, "packageNumber": "TRACK-1"}, []string{"packageId"}},
		{"without both", map[string]any{"packageNumber": "TRACK-1"}, []string{"packageId", "packageType"}},
		{"package type 33", map[string]any{"packageId": 3, "packageType": 33}, []string{"packageType"}},
		{"number not a string", map[string]any{"packageId": 3, "packageType": 26, "packageNumber": 123}, []string{"packageNumber"}},
		{"snake_case", map[string]any{"package_id": 3, "package_type": 26, "package_number": "TRACK-1"}, []string{"packageId", "packageType"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := r.do("POST", path, tt.body)
			r.expect(a, 422)
			ve, _ := a.obj()["validation_errors"].(map[string]any)
			for _, f := range tt.missing {
				if ve[f] == nil {
					t.Fatalf("no validation error for %s: %s", f, a.raw)
				}
			}
		})
	}
	if st, _ := r.sim.Order(id); len(st.Packages) != 0 {
		t.Fatalf("refused POSTs created packages: %v", st.Packages)
	}
	first := r.ok("POST", path, map[string]any{"packageId": 3, "packageType": 26, "packageNumber": "00340434161094042557", "weight": 1200})
	o := first.obj()
	if o["packageNumber"] != "00340434161094042557" || intOf(o["orderId"]) != id || intOf(o["packageType"]) != 26 ||
		intOf(o["packageId"]) != 3 || intOf(o["weight"]) != 1200 || intOf(o["id"]) == 0 || o["createdAt"] == nil {
		t.Fatalf("package %s", first.raw)
	}
	// Every POST creates a package, the same number again included.
	second := r.ok("POST", path, map[string]any{"packageId": "3", "packageType": 0, "packageNumber": "00340434161094042557"})
	if intOf(second.obj()["id"]) == intOf(o["id"]) {
		t.Fatal("the second POST did not create a package")
	}
	list := r.ok("GET", path, nil)
	if pkgs := list.list(); len(pkgs) != 2 {
		t.Fatalf("packages %s", list.raw)
	}
	nums := r.ok("GET", "/rest/orders/"+strconv.Itoa(id)+"/packagenumbers", nil)
	if nums.raw != `["00340434161094042557","00340434161094042557"]` {
		t.Fatalf("packagenumbers %s", nums.raw)
	}
	st, _ := r.sim.Order(id)
	if len(st.Packages) != 2 || st.Packages[1].PackageType != 0 || st.Packages[0].PackageID != 3 {
		t.Fatalf("state %+v", st.Packages)
	}
	if r.ok("GET", path+"?with=labelBase64", nil).raw == list.raw {
		t.Fatal("with=labelBase64 changed nothing")
	}
	r.expect(r.do("POST", "/rest/orders/99999/shipping/packages", map[string]any{"packageId": 3, "packageType": 26}), 404)
	r.expect(r.do("GET", "/rest/orders/99999/shipping/packages", nil), 404)
	r.expect(r.do("GET", "/rest/orders/99999/packagenumbers", nil), 404)

	t.Run("placeholder", func(t *testing.T) {
		r := newRig(t, plentysim.Config{PagePlaceholder: true})
		id := r.sim.AddOrder(order("ph@example.com", "5"))
		path := "/rest/orders/" + strconv.Itoa(id) + "/shipping/packages"
		pkgs := r.ok("GET", path, nil).list()
		if len(pkgs) != 1 || pkgs[0]["packageNumber"] != "" {
			t.Fatalf("placeholder %v", pkgs)
		}
		r.ok("POST", path, map[string]any{"packageId": 3, "packageType": 26, "packageNumber": "TRACK-9"})
		pkgs = r.ok("GET", path, nil).list()
		if len(pkgs) != 2 || pkgs[0]["packageNumber"] != "" || pkgs[1]["packageNumber"] != "TRACK-9" {
			t.Fatalf("packages %v", pkgs)
		}
		if nums := r.ok("GET", "/rest/orders/"+strconv.Itoa(id)+"/packagenumbers", nil).raw; nums != `["TRACK-9"]` {
			t.Fatalf("packagenumbers %s", nums)
		}
		// The placeholder can be filled in instead.
		ph := intOf(pkgs[0]["id"])
		up := r.ok("PUT", path+"/"+strconv.Itoa(ph), map[string]any{"packageNumber": "TRACK-0", "packageType": 26})
		if up.obj()["packageNumber"] != "TRACK-0" {
			t.Fatalf("update %s", up.raw)
		}
		st, _ := r.sim.Order(id)
		if st.Packages[0].PackageNumber != "TRACK-0" || st.Packages[0].PackageType != 26 {
			t.Fatalf("state %+v", st.Packages)
		}
		r.expect(r.do("PUT", path+"/999999", map[string]any{"packageNumber": "X"}), 404)
		r.expect(r.do("PUT", path+"/"+strconv.Itoa(ph), map[string]any{"packageType": "box"}), 422)
		// Search finds the order by either number.
		if got := r.ok("GET", "/rest/orders/search?packageNumber=TRACK-0", nil).ids(); !slices.Equal(got, []int{id}) {
			t.Fatalf("search by package number %v", got)
		}
	})
}

func TestReturns(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	sales := r.sim.AddOrder(order("ret@example.com", "7"))
	r.clock.Advance(time.Hour)
	ret := r.sim.AddReturn(sales, []plentysim.Item{{VariationID: 2040, Name: "Kissen", PriceGross: "19.99", PriceNet: "16.7983"}}, "")
	st, _ := r.sim.Order(ret)
	if st.TypeID != 3 || st.Status != "9" {
		t.Fatalf("return %+v", st)
	}
	d := r.ok("GET", "/rest/orders/"+strconv.Itoa(ret), nil).obj()
	refs := d["orderReferences"].([]any)
	ref := refs[0].(map[string]any)
	if len(refs) != 1 || intOf(ref["originOrderId"]) != sales || intOf(ref["referenceOrderId"]) != sales ||
		ref["referenceType"] != "parent" || intOf(ref["orderId"]) != ret || intOf(d["typeId"]) != 3 {
		t.Fatalf("orderReferences %v", refs)
	}
	line := d["orderItems"].([]any)[0].(map[string]any)
	lineRefs := line["references"].([]any)
	if len(lineRefs) != 1 || lineRefs[0].(map[string]any)["referenceType"] != "parent" {
		t.Fatalf("line references %v", line)
	}
	origin := r.ok("GET", "/rest/orders/"+strconv.Itoa(sales)+"?with[]=originOrderReferences", nil).obj()
	ors := origin["originOrderReferences"].([]any)
	if len(ors) != 1 || intOf(ors[0].(map[string]any)["orderId"]) != ret {
		t.Fatalf("originOrderReferences %v", ors)
	}
	// The sales order keeps its own status; the return is found by type and status.
	if st, _ := r.sim.Order(sales); st.Status != "7" {
		t.Fatalf("sales status %s", st.Status)
	}
	r.sim.MoveOrder(ret, "9.1")
	if got := r.ok("GET", "/rest/orders/search?orderTypeId=3&statusId=9", nil).ids(); len(got) != 0 {
		t.Fatalf("statusId=9 found 9.1: %v", got)
	}
	if got := r.ok("GET", "/rest/orders/search?orderTypeId=3&statusId=gte:9+AND+lt:10", nil).ids(); !slices.Equal(got, []int{ret}) {
		t.Fatalf("returns %v", got)
	}
}

func TestMerchantHelpers(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	id := r.sim.AddOrder(order("m@example.com", "5"))
	r.sim.MoveOrder(id, "8")
	r.sim.MoveOrder(id, "8")
	st, ok := r.sim.Order(id)
	if !ok || st.Status != "8" || !slices.Equal(st.StatusHistory, []plentysim.Status{"5", "8"}) || st.Properties[7] != "SHOP-m@example.com" {
		t.Fatalf("state %+v", st)
	}
	if got := r.ok("GET", "/rest/orders/search?statusId=8", nil).ids(); !slices.Equal(got, []int{id}) {
		t.Fatalf("cancelled order not found: %v", got)
	}
	if _, ok := r.sim.Order(424242); ok {
		t.Fatal("unknown order found")
	}
	for name, f := range map[string]func(){
		"unknown status":       func() { r.sim.MoveOrder(id, "12.5") },
		"not a status":         func() { r.sim.AddOrder(plentysim.NewOrder{Status: "9.0.1"}) },
		"unknown order":        func() { r.sim.MoveOrder(424242, "5") },
		"return without order": func() { r.sim.AddReturn(424242, nil, "") },
		"bad price":            func() { r.sim.AddOrder(plentysim.NewOrder{Items: []plentysim.Item{{PriceGross: "1,50"}}}) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			f()
		})
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		fault  simkit.Fault
		status int
		html   bool
		text   string
	}{
		{simkit.Fault429, 429, false, "short period read limit reached"},
		{simkit.Fault500, 500, false, "Internal Server Error"},
		{simkit.Fault502, 502, true, "502 Bad Gateway"},
		{simkit.Fault503, 503, true, "503 Service Unavailable"},
		{simkit.FaultTimeout, 504, true, "504 Gateway Timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.fault.String(), func(t *testing.T) {
			r := newRig(t, plentysim.Config{})
			r.sim.SetTimeoutHold(10 * time.Millisecond)
			r.sim.FailNext(plentysim.EndpointSearch, tt.fault)
			a := r.call("", "GET", "/rest/orders/search", nil) // no token: the fault comes first
			r.expect(a, tt.status)
			if isHTML := strings.HasPrefix(a.header.Get("Content-Type"), "text/html"); isHTML != tt.html || !strings.Contains(a.raw, tt.text) {
				t.Fatalf("answer %v %s", a.header, a.raw)
			}
			if tt.status == 429 && a.header.Get("Retry-After") == "" {
				t.Fatal("429 without Retry-After")
			}
			r.expect(r.call("", "GET", "/rest/orders/search", nil), 401)
			if r.sim.Counter().Faulted()[plentysim.EndpointSearch] != 1 || r.sim.Counter().Calls()[plentysim.EndpointSearch] != 2 {
				t.Fatalf("counts %v %v", r.sim.Counter().Calls(), r.sim.Counter().Faulted())
			}
		})
	}
	t.Run("504 after apply", func(t *testing.T) {
		r := newRig(t, plentysim.Config{})
		id := r.sim.AddOrder(order("f@example.com", "5"))
		r.sim.FailNext(plentysim.EndpointUpdateOrder, simkit.Fault504AfterApply)
		r.expect(r.do("PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 5.1}), 504)
		if st, _ := r.sim.Order(id); st.Status != "5.1" {
			t.Fatalf("status %s", st.Status)
		}
	})
	t.Run("random", func(t *testing.T) {
		r := newRig(t, plentysim.Config{})
		tok := r.login()
		r.sim.SetFaults(0.5, simkit.Fault503)
		codes := map[int]int{}
		for range 40 {
			codes[r.call(tok, "GET", "/rest/orders/search", nil).status]++
		}
		if codes[503] == 0 || codes[200] == 0 || codes[503]+codes[200] != 40 {
			t.Fatalf("codes %v", codes)
		}
	})
}

func TestHTMLFaults(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	id := r.sim.AddOrder(order("html@example.com", "5"))
	tok := r.login()
	r.sim.FailNextWithHTML(plentysim.EndpointSearch, 1, 200)
	r.sim.FailNextWithHTML(plentysim.EndpointSearch, 1, 502)
	for _, want := range []int{200, 502} {
		a := r.call(tok, "GET", "/rest/orders/search", nil)
		if a.status != want || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.HasPrefix(a.raw, "<!DOCTYPE html>") ||
			json.Valid([]byte(a.raw)) {
			t.Fatalf("HTML answer %d %v %s", a.status, a.header, a.raw)
		}
	}
	r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
	// An HTML answer to a write changes nothing.
	r.sim.FailNextWithHTML(plentysim.EndpointUpdateOrder, 1, 200)
	r.expect(r.call(tok, "PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 5.1}), 200)
	if st, _ := r.sim.Order(id); st.Status != "5" {
		t.Fatalf("an HTML answer applied the change: %s", st.Status)
	}
	r.sim.SetHTMLFaults(1)
	codes := map[int]int{}
	for range 20 {
		a := r.call(tok, "GET", "/rest/orders/search", nil)
		if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
			t.Fatalf("not HTML: %s", a.raw)
		}
		codes[a.status]++
	}
	if codes[200] == 0 || codes[502] == 0 {
		t.Fatalf("codes %v", codes)
	}
	r.sim.SetHTMLFaults(0)
	r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
	if got := r.sim.HTMLFaults(); got[plentysim.EndpointSearch] != 22 || got[plentysim.EndpointUpdateOrder] != 1 {
		t.Fatalf("HTMLFaults %v", got)
	}
}

func TestLatency(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	tok := r.login()
	r.sim.SetLatency(60 * time.Millisecond)
	began := time.Now()
	r.expect(r.call(tok, "GET", "/rest/orders/search", nil), 200)
	if d := time.Since(began); d < 60*time.Millisecond {
		t.Fatalf("answered in %v", d)
	}
	r.sim.SetLatency(0)
	r.sim.SlowNext(plentysim.EndpointOrders, 1, 60*time.Millisecond)
	began = time.Now()
	r.expect(r.call(tok, "GET", "/rest/orders", nil), 200)
	if d := time.Since(began); d < 60*time.Millisecond {
		t.Fatalf("answered in %v", d)
	}
}

func TestCounter(t *testing.T) {
	r := newRig(t, plentysim.Config{})
	id := r.sim.AddOrder(order("count@example.com", "5"))
	r.ok("GET", "/rest/orders/search?statusId=5", nil)
	r.ok("GET", "/rest/orders/"+strconv.Itoa(id), nil)
	r.ok("PUT", "/rest/orders/"+strconv.Itoa(id), map[string]any{"statusId": 5.1})
	r.ok("POST", "/rest/orders/"+strconv.Itoa(id)+"/shipping/packages", map[string]any{"packageId": 1, "packageType": 26})
	a := r.do("GET", "/rest/nothing/here", nil)
	r.expect(a, 404)
	if !json.Valid([]byte(a.raw)) {
		t.Fatalf("404 body %s", a.raw)
	}
	r.sim.Counter().ExpectCalls(t, map[string]int{
		plentysim.EndpointLogin: 1, plentysim.EndpointSearch: 1, plentysim.EndpointOrder: 1,
		plentysim.EndpointUpdateOrder: 1, plentysim.EndpointCreatePackage: 1, "GET /unknown": 1, plentysim.EndpointRefresh: 0,
	})
}

func TestWorkedExample630(t *testing.T) {
	sim := plentysim.New(plentysim.Config{})
	b := sim.WorkedExample630()
	if !json.Valid(b) {
		t.Fatal("not JSON")
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var o map[string]any
	if err := d.Decode(&o); err != nil {
		t.Fatal(err)
	}
	if o["id"] != json.Number("630") || o["statusId"] != json.Number("3") || o["statusName"] != "[3] Warten auf Zahlung" {
		t.Fatalf("order %v", o)
	}
	items := o["orderItems"].([]any)
	v, ship := items[0].(map[string]any), items[1].(map[string]any)
	if v["position"] != "0" || v["attributeValues"] != nil || intOf(v["typeId"]) != 1 {
		t.Fatalf("variation line %v", v)
	}
	if ship["id"] != json.Number("0") || intOf(ship["typeId"]) != 6 || ship["attributeValues"] != "" || ship["position"] != nil {
		t.Fatalf("shipping line %v", ship)
	}
	amt := v["amounts"].([]any)[0].(map[string]any)
	if amt["priceNet"] != json.Number("125.2101") || o["amounts"].([]any)[0].(map[string]any)["grossTotal"] != json.Number("153.99") {
		t.Fatalf("amounts %v", amt)
	}
	// The simulator's own documents decode with the same shape.
	r := newRig(t, plentysim.Config{})
	id := r.sim.AddOrder(order("shape@example.com", "3"))
	var mine map[string]any
	_ = json.Unmarshal([]byte(r.ok("GET", "/rest/orders/"+strconv.Itoa(id), nil).raw), &mine)
	var theirs map[string]any
	_ = json.Unmarshal(b, &theirs)
	for k := range theirs {
		if _, ok := mine[k]; !ok {
			t.Errorf("the simulator's order has no %q", k)
		}
	}
}
