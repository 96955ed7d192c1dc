package importing

import (
	"context"
	"errors"
	"time"
)

// CustomerRecord is what orderhub remembers of a plenigo customer, so the next order of the same
// email costs no plenigo call.
type CustomerRecord struct {
	Email     string          `json:"email"`
	PlenigoID string          `json:"plenigoId"`
	WBZMarks  map[string]bool `json:"wbzMarks,omitempty"` // "group|number" marks already set
}

// Customers stores CustomerRecords by email.
type Customers interface {
	GetCustomer(ctx context.Context, email string) (CustomerRecord, error) // ErrUnknownCustomer if absent
	PutCustomer(ctx context.Context, c CustomerRecord) error
	DeleteCustomer(ctx context.Context, email string) error
}

// ErrUnknownCustomer is returned by Customers.GetCustomer for an email never seen.
var ErrUnknownCustomer = errors.New("customer not known")

// Checkpoint is the position of a reader in a partner's log: the newest change it has seen, and the
// entries it has applied in the window it re-reads, so re-reading them costs nothing.
type Checkpoint struct {
	Since   time.Time           `json:"since"`
	Applied map[int64]time.Time `json:"applied,omitempty"` // entry id → the change applied
	Version int                 `json:"-"`
}

// Checkpoints stores reader positions and short leases, so overlapping scheduled runs do not
// work at the same time.
type Checkpoints interface {
	// LoadCheckpoint returns the checkpoint, the zero one (Version 0) if there is none.
	LoadCheckpoint(ctx context.Context, name string) (Checkpoint, error)
	// SaveCheckpoint stores cp if nobody saved since cp.Version was read; ErrStaleCheckpoint otherwise.
	SaveCheckpoint(ctx context.Context, name string, cp Checkpoint) error
	// AcquireLease takes the lease name for owner until now+ttl, unless another owner holds it.
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if owner holds it.
	ReleaseLease(ctx context.Context, name, owner string) error
}

// ErrStaleCheckpoint means another run saved the checkpoint first.
var ErrStaleCheckpoint = errors.New("checkpoint changed since it was read")

// Queue carries import jobs (order ids) to the worker.
type Queue interface {
	// Send enqueues one job per order id and returns the ids that could not be sent.
	Send(ctx context.Context, orderIDs []string) (failed []string, err error)
}
