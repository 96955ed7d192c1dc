// Package memstore is an in-memory order.Repository and records.Store for domain tests and
// benchmarks. It passes the same contract suites (store/storetest) as the DynamoDB store.
package memstore

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

// maxAttempts bounds Update's optimistic retries, as in the DynamoDB store.
const maxAttempts = 10

// Store keeps orders, records and leases in maps. The zero value is not usable; call New.
type Store struct {
	mu      sync.RWMutex
	orders  map[string]*order.Order
	records map[string]record
	leases  map[string]lease
}

// New returns an empty store.
func New() *Store {
	return &Store{orders: map[string]*order.Order{}, records: map[string]record{}, leases: map[string]lease{}}
}

// Create implements order.Repository.
func (s *Store) Create(_ context.Context, o *order.Order) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.orders[o.ID]; ok {
		return order.ErrExists
	}
	if err := o.CheckSize(); err != nil { // the DynamoDB store's limit, so tests meet it too
		return err
	}
	o.Version = 1
	s.orders[o.ID] = o.Clone()
	return nil
}

// Get implements order.Repository.
func (s *Store) Get(_ context.Context, id string) (*order.Order, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	o, ok := s.orders[id]
	if !ok {
		return nil, order.ErrNotFound
	}
	return o.Clone(), nil
}

// Update implements order.Repository. fn runs outside the lock, so concurrent updates really race
// and the version check decides, as it does in DynamoDB.
func (s *Store) Update(ctx context.Context, id string, fn func(*order.Order) error) (*order.Order, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		cur, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		seen := cur.Version
		if err := fn(cur); err != nil {
			if errors.Is(err, order.ErrNoChange) {
				return cur, nil
			}
			return nil, err
		}
		if err := cur.CheckSize(); err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.orders[id].Version == seen {
			cur.Version = seen + 1
			s.orders[id] = cur.Clone()
			s.mu.Unlock()
			return cur, nil
		}
		s.mu.Unlock()
	}
	return nil, order.ErrConflict
}

// NeedingWork implements order.Repository.
func (s *Store) NeedingWork(_ context.Context, st order.State, before time.Time, limit int) ([]*order.Order, error) {
	return s.list(func(o *order.Order) bool { return o.State == st && st.NeedsWork() && o.UpdatedAt.Before(before) },
		func(o *order.Order) time.Time { return o.UpdatedAt }, limit), nil
}

// list copies the orders match chooses, without their history, ordered by the time at gives (then
// by id), at most limit of them (0: all).
func (s *Store) list(match func(*order.Order) bool, at func(*order.Order) time.Time, limit int) []*order.Order {
	s.mu.RLock()
	var out []*order.Order
	for _, o := range s.orders {
		if match(o) {
			c := o.Clone()
			c.History = nil
			out = append(out, c)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if a, b := at(out[i]), at(out[j]); !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].ID < out[j].ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out
}

// TracksNeedingWork implements order.Repository.
func (s *Store) TracksNeedingWork(_ context.Context, name order.TrackName, st order.TrackState, before time.Time, limit int) ([]order.TrackWork, error) {
	s.mu.RLock()
	var out []order.TrackWork
	for _, o := range s.orders {
		if t := o.Track(name); t != nil && t.Waiting && t.State == st && t.Since.Before(before) {
			c := o.Clone()
			out = append(out, order.TrackWork{OrderID: o.ID, Track: *c.Track(name)})
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Track.Since.Equal(out[j].Track.Since) {
			return out[i].Track.Since.Before(out[j].Track.Since)
		}
		return out[i].OrderID < out[j].OrderID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
