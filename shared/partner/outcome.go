package partner

import (
	"context"
	"errors"

	"github.com/orderhub/orderhub/shared/metrics"
)

// Outcome names what came of one attempt for the partner call metrics (metrics.Outcome…): ok for
// an accepted answer (the partner's "already done" included), throttled for 429, server for a 5xx,
// refused for any other 4xx, timeout or transport for no answer, and for a 2xx or 3xx the client
// would not take, server when it retries it and refused otherwise.
func Outcome(status int, err error) string {
	var te *TransportError
	switch {
	case err == nil || KindOf(err) == AlreadyDone:
		return metrics.OutcomeOK
	case errors.As(err, &te):
		var to interface{ Timeout() bool }
		if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &to) && to.Timeout()) {
			return metrics.OutcomeTimeout
		}
		return metrics.OutcomeTransport
	case status == 429:
		return metrics.OutcomeThrottled
	case status >= 500:
		return metrics.OutcomeServer
	case status >= 400:
		return metrics.OutcomeRefused
	case KindOf(err) == Transient:
		return metrics.OutcomeServer
	}
	return metrics.OutcomeRefused
}
