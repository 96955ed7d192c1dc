package importing

import (
	"context"
	"errors"
	"time"
)

// The ports the import steps need. Customers and checkpoints are records of the import's own, kept
// over the shared records port (records.Store) by records.go; the queue is shared/queue on SQS.

// CustomerRecord is what orderhub remembers of a plenigo customer, so the next order of the same
// email costs no plenigo call.
type CustomerRecord struct {
	Email     string          `json:"email"`
	PlenigoID string          `json:"plenigoId"`
	WBZMarks  map[string]bool `json:"wbzMarks,omitempty"` // the "group|number" mark set (plenigo keeps one)
	// WBZAddresses are the WBZ delivery addresses created for the customer, by content.
	WBZAddresses map[string]int64 `json:"wbzAddresses,omitempty"`
	// RetainUntil is when the record is deleted (StoredCustomers.Retention); zero keeps it.
	RetainUntil time.Time `json:"retainUntil,omitzero"`
}

// ExpiresAt implements records.Expiring.
func (c CustomerRecord) ExpiresAt() time.Time { return c.RetainUntil }

// Customers stores CustomerRecords by email.
type Customers interface {
	GetCustomer(ctx context.Context, email string) (CustomerRecord, error) // ErrUnknownCustomer if absent
	PutCustomer(ctx context.Context, c CustomerRecord) error
	DeleteCustomer(ctx context.Context, email string) error
}

// ErrUnknownCustomer is returned by Customers.GetCustomer for an email never seen.
var ErrUnknownCustomer = errors.New("customer not known")

// Checkpoint is the position of a reader in a partner's log: the newest change it has applied, the
// entries it has applied in the window it re-reads (so re-reading them costs nothing), and where an
// unfinished scan stopped.
type Checkpoint struct {
	Since   time.Time           `json:"since"`
	Applied map[int64]time.Time `json:"applied,omitempty"` // entry id → the change applied
	// An unfinished scan: it reads entries changed since ScanFrom, has applied every entry up to the
	// id After, and has seen changes up to Newest. A run that stops early leaves them set.
	// MovedAt is when a run last moved the checkpoint on (a run that finds nothing new saves
	// nothing): operators see from it when plenigo's log last had news.
	MovedAt  time.Time `json:"movedAt,omitzero"`
	ScanFrom time.Time `json:"scanFrom,omitzero"`
	After    int64     `json:"after,omitempty"`
	Newest   time.Time `json:"newest,omitzero"`
}

// Queue carries import jobs (order ids) to the worker.
type Queue interface {
	// Send enqueues one job per order id and returns the ids that could not be sent.
	Send(ctx context.Context, orderIDs []string) (failed []string, err error)
}
