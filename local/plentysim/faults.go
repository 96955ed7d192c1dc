package plentysim

import (
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/orderhub/orderhub/local/simkit"
)

// A call takes its faults in this order: simkit's HTTP fault (scripted, then random), then a slow
// answer, an HTML answer (scripted, then random), the throttle, and the Bearer check. A call stopped
// by any of them changes nothing (but Fault504AfterApply, which applies the call and then answers
// 504).

// SetFaults sets the share of calls (0 to 1) that get a random HTTP fault, drawn from kinds (all of
// simkit's when none are given); 0 turns them off. 429 faults carry the throttle's body; 502, 503 and
// 504 the web server's HTML page.
func (s *Sim) SetFaults(rate float64, kinds ...simkit.Fault) {
	s.kit.Faults().SetRate(rate, kinds...)
}

// FailNext makes the next calls of an endpoint (e.g. EndpointUpdateOrder) fail with faults, in order.
func (s *Sim) FailNext(endpoint string, faults ...simkit.Fault) {
	s.kit.Faults().FailNext(endpoint, faults...)
}

// SetRetryAfter changes what a simkit 429 fault sends in Retry-After (the throttle's own 429s send
// the seconds until their period ends).
func (s *Sim) SetRetryAfter(d time.Duration) { s.kit.SetRetryAfter(d) }

// SetTimeoutHold changes how long simkit.FaultTimeout holds a request before its 504 (default 30 s).
func (s *Sim) SetTimeoutHold(d time.Duration) { s.kit.SetTimeoutHold(d) }

// SetHTMLFaults sets the share of calls (0 to 1) answered with an HTML page instead of JSON, half of
// them with status 200 and half with 502, as plentymarkets systems do when something in front of the
// application answers (a maintenance or login page, a gateway error). They change nothing. The draws
// come from a fixed seed; 0 turns them off.
func (s *Sim) SetHTMLFaults(rate float64) {
	s.html.mu.Lock()
	defer s.html.mu.Unlock()
	s.html.rate = rate
}

// FailNextWithHTML makes the next n calls of an endpoint answer an HTML page with status (200 or
// 502, or any other), changing nothing.
func (s *Sim) FailNextWithHTML(endpoint string, n int, status int) {
	s.html.mu.Lock()
	defer s.html.mu.Unlock()
	s.html.script[endpoint] = append(s.html.script[endpoint], slices.Repeat([]int{status}, n)...)
}

// HTMLFaults returns how many calls per endpoint got an HTML answer. simkit's Counter counts these
// calls, but not as faulted.
func (s *Sim) HTMLFaults() map[string]int {
	s.html.mu.Lock()
	defer s.html.mu.Unlock()
	return maps.Clone(s.html.hits)
}

// SetLatency delays every answer by d (real time); 0 turns it off.
func (s *Sim) SetLatency(d time.Duration) {
	s.slow.Set(d)
}

// SlowNext delays the next n answers of an endpoint by d (real time), instead of the latency.
func (s *Sim) SlowNext(endpoint string, n int, d time.Duration) {
	s.slow.SlowNext(endpoint, n, d)
}

// guard is the kit's guard: a slow answer, an HTML answer, the throttle, then the Bearer check
// (login and refresh check their own credentials).
func (s *Sim) guard(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	s.slow.Hold(r.Context(), endpoint)
	if status, hit := s.html.next(endpoint); hit {
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(htmlPage))
		return false
	}
	write := isWrite(r.Method)
	if empty := s.throttle.take(w.Header(), s.clock.Now(), write, endpoint); empty != nil {
		refuseThrottled(w, write, empty)
		return false
	}
	if endpoint == EndpointLogin || endpoint == EndpointRefresh {
		return true
	}
	if _, ok := s.bearer(r); !ok {
		unauthenticated(w)
		return false
	}
	return true
}

// htmlPage is the page an HTML fault answers: what a browser would see, not the API.
const htmlPage = `<!DOCTYPE html>
<html lang="de">
<head><meta charset="utf-8"><title>plentymarkets</title></head>
<body><h1>Wartungsarbeiten</h1><p>Das System ist in Kürze wieder erreichbar.</p></body>
</html>
`

// htmlFaults decides which calls get an HTML answer.
type htmlFaults struct {
	mu     sync.Mutex
	script map[string][]int
	rate   float64
	rnd    *rand.Rand
	hits   map[string]int
}

func newHTMLFaults() *htmlFaults {
	return &htmlFaults{script: map[string][]int{}, rnd: rand.New(rand.NewPCG(5, 6)), hits: map[string]int{}}
}

// next returns the status of the HTML answer a call of endpoint gets, if any, and counts it.
func (f *htmlFaults) next(endpoint string) (int, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status := 0
	if q := f.script[endpoint]; len(q) > 0 {
		status, f.script[endpoint] = q[0], q[1:]
	} else if f.rate > 0 && f.rnd.Float64() < f.rate {
		status = http.StatusOK
		if f.rnd.IntN(2) == 1 {
			status = http.StatusBadGateway
		}
	}
	if status == 0 {
		return 0, false
	}
	f.hits[endpoint]++
	return status, true
}
