package memstore

import (
	"context"
	"sort"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

// ReceivedBetween implements order.Repository.
func (s *Store) ReceivedBetween(_ context.Context, from, to time.Time, limit int) ([]*order.Order, error) {
	s.mu.RLock()
	var out []*order.Order
	for _, o := range s.orders {
		if !o.ReceivedAt.Before(from) && o.ReceivedAt.Before(to) {
			c := o.Clone()
			c.History = nil
			out = append(out, c)
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ReceivedAt.Equal(out[j].ReceivedAt) {
			return out[i].ReceivedAt.Before(out[j].ReceivedAt)
		}
		return out[i].ID < out[j].ID
	})
	if limit > 0 && len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}
