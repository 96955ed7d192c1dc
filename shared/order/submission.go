package order

import "time"

// Submission is the import worker's hold on an order's import step. Only the holder of an unexpired
// claim calls plenigo for the order, so redelivered, swept and concurrent jobs never put two imports
// of one order in flight. A claim expires by itself, so a worker that dies frees the order.
type Submission struct {
	Owner string    `json:"owner,omitempty"`
	Until time.Time `json:"until,omitzero"`
	// UncertainAt is when a submission was made whose outcome plenigo left open (no answer, a 5xx):
	// before submitting again, the worker asks plenigo whether it has the order.
	UncertainAt time.Time `json:"uncertainAt,omitzero"`
}

// Claim takes the import step for owner until now+ttl. It reports false, changing nothing, when the
// order does not await submission or another owner's claim has not expired.
func (o *Order) Claim(owner string, now time.Time, ttl time.Duration) bool {
	if !o.AwaitsSubmission() {
		return false
	}
	s := o.Submission
	if s.Owner != "" && s.Owner != owner {
		if now.Before(s.Until) {
			return false
		}
		// The holder never gave the claim up: it may have died after posting the import, so the
		// outcome of its submission is unknown.
		o.Submission.UncertainAt = s.Until
	}
	o.Submission.Owner, o.Submission.Until = owner, now.Add(ttl).UTC()
	return true
}

// ClaimedBy reports whether owner holds an unexpired claim at now.
func (o *Order) ClaimedBy(owner string, now time.Time) bool {
	return o.Submission.Owner == owner && now.Before(o.Submission.Until)
}

// Release gives the claim up; uncertain says whether the last submission's outcome is unknown.
func (o *Order) Release(uncertain bool, at time.Time) {
	o.Submission.Owner, o.Submission.Until = "", time.Time{}
	if uncertain {
		o.Submission.UncertainAt = at.UTC()
	}
}

// Submitted ends the import step's hold: plenigo accepted, has, or refused the order.
func (o *Order) Submitted() { o.Submission = Submission{} }
