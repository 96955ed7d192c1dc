package intake

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	"golang.org/x/sync/errgroup"

	"github.com/orderhub/orderhub/shared/order"
)

// batchWriters bounds the concurrent store writes of one batch.
const batchWriters = 16

// BatchResult is what became of one purchase of a batch.
type BatchResult struct {
	Index            int         `json:"index"`
	ExternalSystemID string      `json:"externalSystemId,omitempty"`
	OrderID          string      `json:"orderId,omitempty"`
	Status           string      `json:"status"` // accepted, duplicate, rejected, failed
	State            order.State `json:"state,omitempty"`
	Reason           string      `json:"reason,omitempty"`
	Error            *InputError `json:"error,omitempty"`
	Cause            error       `json:"-"` // why a failed purchase could not be stored, for the log
}

// BatchAnswer is the answer to a whole batch: counts, and a result per purchase in batch order.
type BatchAnswer struct {
	Accepted   int           `json:"accepted"`
	Duplicates int           `json:"duplicates"`
	Conflicts  int           `json:"conflicts"`
	Rejected   int           `json:"rejected"`
	Failed     int           `json:"failed"`
	Results    []BatchResult `json:"results"`
}

// AcceptBatch accepts each readable purchase of a batch, side by side, once: a purchase repeated
// within the batch is answered as a duplicate of its first occurrence without a second write.
func (s *Service) AcceptBatch(ctx context.Context, items []DealerItem, by order.Actor) BatchAnswer {
	ans := BatchAnswer{Results: make([]BatchResult, len(items))}
	first := make(map[string]int, len(items))
	var g errgroup.Group
	g.SetLimit(batchWriters)
	for i, it := range items {
		r := &ans.Results[i]
		r.Index, r.ExternalSystemID = it.Index, it.ExternalSystemID
		switch {
		case it.Err != nil:
			r.Status, r.Error = "rejected", it.Err
		case first[it.Order.ID] > 0:
			r.Status, r.OrderID = "duplicate", it.Order.ID
			r.Reason = "same externalSystemId as purchase " + strconv.Itoa(first[it.Order.ID]-1) + " of this batch"
		default:
			first[it.Order.ID] = i + 1
			r.OrderID = it.Order.ID
			g.Go(func() error {
				out, err := s.Accept(ctx, it.Order, by)
				var ie *InputError
				if errors.As(err, &ie) {
					r.Status, r.Error = "rejected", ie
					return nil
				}
				if err != nil {
					r.Status, r.Reason, r.Cause = "failed", "could not be stored; retry the batch", err
					return nil
				}
				r.Status, r.State, r.Reason = out.Status(), out.State, out.Reason
				if out.Conflict {
					r.Error = conflictError()
				}
				return nil
			})
		}
	}
	_ = g.Wait()
	for _, r := range ans.Results {
		switch r.Status {
		case "accepted":
			ans.Accepted++
		case "duplicate":
			ans.Duplicates++
		case "conflict":
			ans.Conflicts++
		case "rejected":
			ans.Rejected++
		case "failed":
			ans.Failed++
		}
	}
	return ans
}

// HTTPStatus is the status the batch is answered with: 503 when any purchase could not be stored
// (stored ones are duplicates on the retry, so resending the whole batch is safe), 202 when any was
// accepted, 409 when some ids were taken by other content and nothing else was new, 200 when all
// were known already, 400 when none could be read.
func (a BatchAnswer) HTTPStatus() int {
	switch {
	case a.Failed > 0:
		return http.StatusServiceUnavailable
	case a.Accepted > 0:
		return http.StatusAccepted
	case a.Conflicts > 0:
		return http.StatusConflict
	case a.Duplicates == 0:
		return http.StatusBadRequest
	}
	return http.StatusOK
}

// Status names the outcome as the receiver answers it: accepted, duplicate or conflict.
func (o Outcome) Status() string {
	switch {
	case o.Conflict:
		return "conflict"
	case o.Duplicate:
		return "duplicate"
	}
	return "accepted"
}

// conflictError explains a conflict to the sender.
func conflictError() *InputError {
	return &InputError{Code: "conflict", Message: "this id was received before with other content; nothing was changed. Send a new purchase under a new id"}
}

// ConflictError is the error body of a conflict.
func ConflictError() InputError { return *conflictError() }
