// Package records is the port for the small things orderhub keeps beside its orders: versioned
// records by kind and key (a partner's id for a customer, a log checkpoint, a session) and leases.
// Use cases keep their own typed records over it; the stores implement it without knowing them.
package records

import (
	"context"
	"errors"
	"time"
)

// Store keeps records and leases. Implementations: store/dynamostore and store/memstore; the
// contract both pass is store/storetest.RunRecords.
type Store interface {
	// Load decodes the record of kind and key into v and returns its version, or ErrNotFound.
	Load(ctx context.Context, kind, key string, v any) (version int, err error)
	// Save stores v as the record's next version if its version is still version (0: it must not
	// exist yet), and returns ErrStale otherwise. Version Any saves without a check.
	Save(ctx context.Context, kind, key string, v any, version int) error
	// Delete removes the record; removing one that does not exist is not an error.
	Delete(ctx context.Context, kind, key string) error
	// AcquireLease takes the lease name for owner until now+ttl, unless another owner holds it.
	AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error)
	// ReleaseLease gives the lease up if owner holds it.
	ReleaseLease(ctx context.Context, name, owner string) error
}

// Expiring is a record value that should be deleted at a time: a store that can (DynamoDB's TTL)
// marks the saved record to go then; a zero time keeps it.
type Expiring interface{ ExpiresAt() time.Time }

// Any is the version that makes Save skip its check.
const Any = -1

// Errors a Store returns; callers branch on them with errors.Is.
var (
	ErrNotFound = errors.New("record not found")
	ErrStale    = errors.New("record changed since it was read")
)

// Get loads a record as a T.
func Get[T any](ctx context.Context, s Store, kind, key string) (T, int, error) {
	var v T
	version, err := s.Load(ctx, kind, key, &v)
	return v, version, err
}
