package bonifiqsim

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
// answer, the auth check, and BonifiQ's envelope fault (scripted, then random). A call given
// Fault504AfterApply that then draws an envelope fault answers the envelope and changes nothing.

// SetFaults sets the share of calls (0 to 1) that get a random HTTP fault, drawn from kinds (all of
// simkit's when none are given); 0 turns them off.
func (s *Sim) SetFaults(rate float64, kinds ...simkit.Fault) {
	s.kit.Faults().SetRate(rate, kinds...)
}

// FailNext makes the next calls of an endpoint (e.g. EndpointUpsert) fail with faults, in order.
func (s *Sim) FailNext(endpoint string, faults ...simkit.Fault) {
	s.kit.Faults().FailNext(endpoint, faults...)
}

// LoseNextAnswer makes the next n calls of an endpoint apply their change and then answer 504, as a
// gateway does when BonifiQ's answer is late: the client cannot tell it from a timeout.
func (s *Sim) LoseNextAnswer(endpoint string, n int) {
	s.FailNext(endpoint, slices.Repeat([]simkit.Fault{simkit.Fault504AfterApply}, n)...)
}

// SetRetryAfter changes what a 429 sends in Retry-After (simkit.RetryAfterZero sends 0). BonifiQ
// publishes no rate limits.
func (s *Sim) SetRetryAfter(d time.Duration) { s.kit.SetRetryAfter(d) }

// SetTimeoutHold changes how long simkit.FaultTimeout holds a request before its 504 (default 30 s).
func (s *Sim) SetTimeoutHold(d time.Duration) { s.kit.SetTimeoutHold(d) }

// SetEnvelopeFaults sets the share of calls (0 to 1) answered 200 with a transient error envelope
// (HasError true, ErrorCode 500, no ErrorDescriptions) that change nothing; 0 turns them off. The
// draws come from a fixed seed.
func (s *Sim) SetEnvelopeFaults(rate float64) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.rate = rate
}

// FailNextWithEnvelope makes the next n calls of an endpoint answer the transient error envelope.
func (s *Sim) FailNextWithEnvelope(endpoint string, n int) {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	s.faults.script[endpoint] += n
}

// EnvelopeFaults returns how many calls per endpoint got the transient error envelope. simkit's
// Counter counts these calls but not as faulted.
func (s *Sim) EnvelopeFaults() map[string]int {
	s.faults.mu.Lock()
	defer s.faults.mu.Unlock()
	return maps.Clone(s.faults.hits)
}

// SetLatency delays every answer by d (real time); 0 turns it off.
func (s *Sim) SetLatency(d time.Duration) {
	s.slow.Set(d)
}

// SlowNext delays the next n answers of an endpoint by d (real time), instead of the latency.
func (s *Sim) SlowNext(endpoint string, n int, d time.Duration) {
	s.slow.SlowNext(endpoint, n, d)
}

// guard is the kit's guard: a slow answer, BonifiQ's Basic auth, then an envelope fault.
func (s *Sim) guard(w http.ResponseWriter, r *http.Request, endpoint string) bool {
	s.slow.Hold(r.Context(), endpoint)
	if !s.authorized(r) {
		s.mu.Lock()
		answer := s.cfg.AuthAnswer
		s.mu.Unlock()
		if answer == AuthEnvelope {
			fail(w, http.StatusOK, codeAuth, msgAuth)
		} else {
			w.Header().Set("WWW-Authenticate", `Basic realm="BonifiQ"`)
			fail(w, http.StatusUnauthorized, codeAuth, msgAuth)
		}
		return false
	}
	if s.faults.next(endpoint) {
		fail(w, http.StatusOK, codeTransient, msgTransient)
		return false
	}
	return true
}

// authorized checks the Basic credentials against the configured ones.
func (s *Sim) authorized(r *http.Request) bool {
	user, password, ok := r.BasicAuth()
	s.mu.Lock()
	defer s.mu.Unlock()
	return ok && user == s.cfg.User && password == s.cfg.Password
}

// envelopeFaults decides which calls get the transient error envelope.
type envelopeFaults struct {
	mu     sync.Mutex
	script map[string]int
	rate   float64
	rnd    *rand.Rand
	hits   map[string]int
}

func newEnvelopeFaults() *envelopeFaults {
	return &envelopeFaults{script: map[string]int{}, rnd: rand.New(rand.NewPCG(3, 4)), hits: map[string]int{}}
}

// next reports whether a call of endpoint gets the envelope fault, and counts it.
func (f *envelopeFaults) next(endpoint string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	hit := false
	if f.script[endpoint] > 0 {
		f.script[endpoint]--
		hit = true
	} else if f.rate > 0 && f.rnd.Float64() < f.rate {
		hit = true
	}
	if hit {
		f.hits[endpoint]++
	}
	return hit
}
