package memstore

import (
	"context"
	"encoding/json"
	"time"

	"github.com/orderhub/orderhub/shared/records"
)

// Records are kept as JSON, as in DynamoDB, so a value a caller changes after Save is not changed
// in the store.

type record struct {
	doc     []byte
	version int
}

type lease struct {
	owner string
	until time.Time
}

// Load implements records.Store.
func (s *Store) Load(_ context.Context, kind, key string, v any) (int, error) {
	s.mu.RLock()
	r, ok := s.records[kind+"#"+key]
	s.mu.RUnlock()
	if !ok {
		return 0, records.ErrNotFound
	}
	return r.version, json.Unmarshal(r.doc, v)
}

// Save implements records.Store.
func (s *Store) Save(_ context.Context, kind, key string, v any, version int) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cur := s.records[kind+"#"+key]
	if version != records.Any && cur.version != version {
		return records.ErrStale
	}
	s.records[kind+"#"+key] = record{doc: doc, version: cur.version + 1}
	return nil
}

// Delete implements records.Store.
func (s *Store) Delete(_ context.Context, kind, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.records, kind+"#"+key)
	return nil
}

// AcquireLease implements records.Store.
func (s *Store) AcquireLease(_ context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if l, ok := s.leases[name]; ok && l.owner != owner && !l.until.Before(now) {
		return false, nil
	}
	s.leases[name] = lease{owner: owner, until: now.Add(ttl)}
	return true, nil
}

// ReleaseLease implements records.Store.
func (s *Store) ReleaseLease(_ context.Context, name, owner string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.leases[name].owner == owner {
		delete(s.leases, name)
	}
	return nil
}
