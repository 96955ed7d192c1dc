package importing

import (
	"context"
	"sync"
)

// CachedCustomers keeps customer records in memory in front of a store, so a warm function resolves
// a repeat customer without any call. It is safe for concurrent invocations.
type CachedCustomers struct {
	Next Customers

	mu      sync.Mutex
	records map[string]CustomerRecord
}

// GetCustomer implements Customers.
func (c *CachedCustomers) GetCustomer(ctx context.Context, email string) (CustomerRecord, error) {
	c.mu.Lock()
	rec, ok := c.records[email]
	c.mu.Unlock()
	if ok {
		return rec, nil
	}
	rec, err := c.Next.GetCustomer(ctx, email)
	if err == nil {
		c.keep(rec)
	}
	return rec, err
}

// PutCustomer implements Customers.
func (c *CachedCustomers) PutCustomer(ctx context.Context, rec CustomerRecord) error {
	c.keep(rec) // even if the store fails: the record is true, only not durable
	return c.Next.PutCustomer(ctx, rec)
}

// DeleteCustomer implements Customers.
func (c *CachedCustomers) DeleteCustomer(ctx context.Context, email string) error {
	c.mu.Lock()
	delete(c.records, email)
	c.mu.Unlock()
	return c.Next.DeleteCustomer(ctx, email)
}

func (c *CachedCustomers) keep(rec CustomerRecord) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.records == nil {
		c.records = map[string]CustomerRecord{}
	}
	c.records[rec.Email] = rec
}
