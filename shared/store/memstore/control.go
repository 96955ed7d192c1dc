package memstore

import (
	"context"
	"sync"
	"time"

	"github.com/orderhub/orderhub/shared/importing"
)

// Control is the in-memory importing.Customers and importing.Checkpoints.
type Control struct {
	mu          sync.Mutex
	customers   map[string]importing.CustomerRecord
	checkpoints map[string]importing.Checkpoint
	leases      map[string]lease
}

type lease struct {
	owner string
	until time.Time
}

// NewControl returns an empty Control.
func NewControl() *Control {
	return &Control{customers: map[string]importing.CustomerRecord{}, checkpoints: map[string]importing.Checkpoint{}, leases: map[string]lease{}}
}

// GetCustomer implements importing.Customers.
func (c *Control) GetCustomer(_ context.Context, email string) (importing.CustomerRecord, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	r, ok := c.customers[email]
	if !ok {
		return r, importing.ErrUnknownCustomer
	}
	return r, nil
}

// PutCustomer implements importing.Customers.
func (c *Control) PutCustomer(_ context.Context, r importing.CustomerRecord) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.customers[r.Email] = r
	return nil
}

// DeleteCustomer implements importing.Customers.
func (c *Control) DeleteCustomer(_ context.Context, email string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.customers, email)
	return nil
}

// LoadCheckpoint implements importing.Checkpoints.
func (c *Control) LoadCheckpoint(_ context.Context, name string) (importing.Checkpoint, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.checkpoints[name], nil
}

// SaveCheckpoint implements importing.Checkpoints.
func (c *Control) SaveCheckpoint(_ context.Context, name string, cp importing.Checkpoint) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.checkpoints[name].Version != cp.Version {
		return importing.ErrStaleCheckpoint
	}
	cp.Version++
	c.checkpoints[name] = cp
	return nil
}

// AcquireLease implements importing.Checkpoints.
func (c *Control) AcquireLease(_ context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if l, ok := c.leases[name]; ok && l.owner != owner && !l.until.Before(now) {
		return false, nil
	}
	c.leases[name] = lease{owner: owner, until: now.Add(ttl)}
	return true, nil
}

// ReleaseLease implements importing.Checkpoints.
func (c *Control) ReleaseLease(_ context.Context, name, owner string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.leases[name].owner == owner {
		delete(c.leases, name)
	}
	return nil
}
