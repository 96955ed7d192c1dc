package importing

import (
	"context"
	"errors"
	"time"

	"github.com/orderhub/orderhub/shared/records"
)

// Record kinds of the import steps.
const (
	kindCustomer   = "CUSTOMER"
	kindCheckpoint = "CHECKPOINT"
)

// StoredCustomers keeps CustomerRecords in a records.Store, by email. With a Retention, each save
// marks the record (an email and its plenigo id: personal data) to be deleted that long after the
// customer's last order.
type StoredCustomers struct {
	Records   records.Store
	Retention time.Duration
	Now       func() time.Time // nil: time.Now
}

// GetCustomer implements Customers.
func (s StoredCustomers) GetCustomer(ctx context.Context, email string) (CustomerRecord, error) {
	rec, _, err := records.Get[CustomerRecord](ctx, s.Records, kindCustomer, email)
	if errors.Is(err, records.ErrNotFound) {
		return rec, ErrUnknownCustomer
	}
	return rec, err
}

// PutCustomer implements Customers. The record is true whoever wrote it last, so no version check.
func (s StoredCustomers) PutCustomer(ctx context.Context, c CustomerRecord) error {
	if s.Retention > 0 {
		now := time.Now
		if s.Now != nil {
			now = s.Now
		}
		c.RetainUntil = now().Add(s.Retention).UTC()
	}
	return s.Records.Save(ctx, kindCustomer, c.Email, c, records.Any)
}

// DeleteCustomer implements Customers.
func (s StoredCustomers) DeleteCustomer(ctx context.Context, email string) error {
	return s.Records.Delete(ctx, kindCustomer, email)
}

// LogMovedAt is when the import log reader last moved its checkpoint on: zero when it never did.
func LogMovedAt(ctx context.Context, recs records.Store) (time.Time, error) {
	cp, _, err := records.Get[Checkpoint](ctx, recs, kindCheckpoint, CheckpointImportLog)
	if errors.Is(err, records.ErrNotFound) {
		return time.Time{}, nil
	}
	return cp.MovedAt, err
}
