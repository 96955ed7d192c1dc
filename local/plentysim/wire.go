package plentysim

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // plentymarkets writes its dates in the system's zone, Europe/Berlin
)

// berlin is the zone the simulator writes dates in, as a German plentymarkets system does: the
// offset changes with daylight saving (+01:00, +02:00), which clients must parse rather than assume.
var berlin = func() *time.Location {
	l, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		panic(err)
	}
	return l
}()

// w3c writes a time as plentymarkets does: "2017-12-13T14:19:37+01:00".
func w3c(t time.Time) string { return t.In(berlin).Format(time.RFC3339) }

// parseW3C reads a date-time filter value: W3C (RFC 3339) with a zone, or a date alone (midnight in
// the system's zone). A "+" that arrived unencoded has become a space, and such a value is refused.
func parseW3C(s string) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, true
	}
	if t, err := time.ParseInLocation("2006-01-02", s, berlin); err == nil {
		return t, true
	}
	return time.Time{}, false
}

// callWriter carries what the kit's error writer needs to know about the call it answers.
type callWriter struct {
	http.ResponseWriter
	write bool // the call is a write (any method but GET and HEAD)
}

func isWrite(method string) bool { return method != http.MethodGet && method != http.MethodHead }

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// apiError is the error body the simulator writes for the application's errors:
// {"error":{"code":404,"message":"…"}}. Validation errors add validation_errors, a map of field
// to messages. The wrapper is unconfirmed; clients seen in the wild read error.message and
// validation_errors.
type apiError struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	ValidationErrors map[string][]string `json:"validation_errors,omitempty"`
}

func fail(w http.ResponseWriter, status int, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = status, msg
	writeJSON(w, status, e)
}

// invalid answers 422 with one validation error.
func invalid(w http.ResponseWriter, field, msg string) {
	var e apiError
	e.Error.Code, e.Error.Message = http.StatusUnprocessableEntity, "The given data was invalid."
	e.ValidationErrors = map[string][]string{field: {msg}}
	writeJSON(w, http.StatusUnprocessableEntity, e)
}

// notSimulated answers 501 for a documented parameter the simulator does not implement, so that a
// test relying on it fails loudly instead of getting a wrong answer.
func notSimulated(w http.ResponseWriter, what string) {
	fail(w, http.StatusNotImplemented, "plentysim does not simulate "+what)
}

// orderNotFound answers 404 for an unknown order, with the text of the model lookup that fails.
func orderNotFound(w http.ResponseWriter, id string) {
	fail(w, http.StatusNotFound, `No query results for model [Plenty\Modules\Order\Models\Order] `+id)
}

// gatewayPage is what the web server in front of plentymarkets answers when the application behind
// it fails or is away: an HTML page, not JSON.
func gatewayPage(status int) string {
	t := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<html>\r\n<head><title>" + t + "</title></head>\r\n<body>\r\n<center><h1>" + t +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}

// writeStatus is the kit's error writer. 404 (unknown route), 429 and 500 come from the application
// and carry JSON (429 the throttle's text, and the throttle headers as they stand); 502, 503 and 504
// come from the web server in front of it and carry its HTML page.
func (s *Sim) writeStatus(w http.ResponseWriter, status int) {
	write := false
	if cw, ok := w.(*callWriter); ok {
		write = cw.write
	}
	switch status {
	case http.StatusTooManyRequests:
		s.throttle.peek(w.Header(), s.clock.Now(), write)
		fail(w, status, limitMessage(write, "short"))
	case http.StatusNotFound, http.StatusInternalServerError:
		s.throttle.peek(w.Header(), s.clock.Now(), write)
		fail(w, status, http.StatusText(status))
	default:
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(gatewayPage(status)))
	}
}

// envelope is plentymarkets' paging envelope.
type envelope struct {
	Page           any   `json:"page"` // a number, or a string with Config.PageAsString
	TotalsCount    int   `json:"totalsCount"`
	IsLastPage     bool  `json:"isLastPage"`
	LastPageNumber int   `json:"lastPageNumber"`
	FirstOnPage    int   `json:"firstOnPage"`
	LastOnPage     int   `json:"lastOnPage"`
	ItemsPerPage   int   `json:"itemsPerPage"`
	Entries        []any `json:"entries"`
}

// paging is a request's page and page size.
type paging struct{ page, perPage int }

// readPaging reads page (default 1) and itemsPerPage (default 50); on a bad value it answers 422
// and returns false.
func readPaging(w http.ResponseWriter, q url.Values) (paging, bool) {
	p := paging{page: 1, perPage: 50}
	for _, f := range []struct {
		name string
		to   *int
	}{{"page", &p.page}, {"itemsPerPage", &p.perPage}} {
		v := q.Get(f.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			invalid(w, f.name, "The "+f.name+" must be an integer.")
			return p, false
		}
		if n > 0 {
			*f.to = n
		}
	}
	return p, true
}

// pageOf cuts one page from entries and wraps it in the envelope; the caller holds s.mu.
func (s *Sim) pageOf(p paging, entries []any) envelope {
	total := len(entries)
	last := max(1, (total+p.perPage-1)/p.perPage)
	from := min((p.page-1)*p.perPage, total)
	to := min(from+p.perPage, total)
	e := envelope{Page: p.page, TotalsCount: total, IsLastPage: p.page >= last, LastPageNumber: last,
		ItemsPerPage: p.perPage, Entries: entries[from:to]}
	if to > from {
		e.FirstOnPage, e.LastOnPage = from+1, to
	}
	if e.Entries == nil {
		e.Entries = []any{}
	}
	if s.cfg.PageAsString {
		e.Page = strconv.Itoa(p.page)
	}
	return e
}

// withValues reads the relations a request asks for. plentymarkets' guide writes with[]=a&with[]=b;
// PHP clients send with[0]=a&with[1]=b, others with=a,b. All three are read.
func withValues(q url.Values) []string {
	var out []string
	for k, vs := range q {
		if k != "with" && !strings.HasPrefix(k, "with[") {
			continue
		}
		for _, v := range vs {
			for _, part := range strings.Split(v, ",") {
				if part = strings.TrimSpace(part); part != "" {
					out = append(out, part)
				}
			}
		}
	}
	return out
}

// paramName is a query key without a trailing array index ("with[0]" → "with").
func paramName(k string) string {
	if i := strings.IndexByte(k, '['); i > 0 {
		return k[:i]
	}
	return k
}

// orderIDParam reads the {orderId} path parameter; on a bad one it answers 404 and returns false.
func orderIDParam(w http.ResponseWriter, r *http.Request) (int, bool) {
	v := r.PathValue("orderId")
	id, err := strconv.Atoi(v)
	if err != nil || id <= 0 {
		orderNotFound(w, v)
		return 0, false
	}
	return id, true
}

// boolParam reads a boolean query parameter ("true", "1", "false", "0") with a default.
func boolParam(q url.Values, name string, def bool) bool {
	switch strings.ToLower(q.Get(name)) {
	case "true", "1":
		return true
	case "false", "0":
		return false
	}
	return def
}
