package metrics

import (
	"context"
	"time"
)

// Partner call metrics: PartnerCalls counts HTTP attempts and PartnerCallMilliseconds is each
// attempt's latency, by Partner, Endpoint and Outcome, and by Partner and Outcome across endpoints.
const (
	PartnerCalls            = "PartnerCalls"
	PartnerCallMilliseconds = "PartnerCallMilliseconds"
)

// Dimensions of the partner call metrics. Partner is the client's name (plenigo, plenty, bonifiq);
// Endpoint the operation (partner.Request.Op: "import orders", "set status", …), a constant of
// each client; Outcome one of the outcomes below.
const (
	DimPartner  = "Partner"
	DimEndpoint = "Endpoint"
	DimOutcome  = "Outcome"
)

// The outcomes of one attempt.
const (
	OutcomeOK        = "ok"        // answered and accepted (the partner's "already done" included)
	OutcomeRefused   = "refused"   // a 4xx other than 429, or an answer the client refused
	OutcomeThrottled = "throttled" // 429
	OutcomeServer    = "server"    // a 5xx, or a 2xx the client could not use and retries
	OutcomeTimeout   = "timeout"   // no answer within the attempt's time
	OutcomeTransport = "transport" // no answer: connection refused or reset, a broken body
)

// PartnerCall is one HTTP attempt to a partner.
type PartnerCall struct {
	Partner, Endpoint, Outcome string
	Status                     int // the answer's HTTP status, 0 without one
	Attempt                    int // 1 for the first attempt of a call
	Latency                    time.Duration
}

// PartnerCall writes one record for an attempt.
func (s *Sink) PartnerCall(ctx context.Context, c PartnerCall) {
	if !s.on() {
		return
	}
	s.write(ctx, "partner call", [][]string{{DimPartner, DimEndpoint, DimOutcome}, {DimPartner, DimOutcome}},
		[]metric{{PartnerCalls, "Count"}, {PartnerCallMilliseconds, "Milliseconds"}},
		[]any{DimPartner, c.Partner, DimEndpoint, c.Endpoint, DimOutcome, c.Outcome, PartnerCalls, 1,
			PartnerCallMilliseconds, float64(c.Latency.Microseconds()) / 1000, "status", c.Status, "attempt", c.Attempt})
}
