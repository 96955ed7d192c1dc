package memstore

import (
	"context"
	"time"

	"github.com/orderhub/orderhub/shared/order"
)

// ReceivedBetween implements order.Repository.
func (s *Store) ReceivedBetween(_ context.Context, from, to time.Time, limit int) ([]*order.Order, error) {
	return s.list(func(o *order.Order) bool { return !o.ReceivedAt.Before(from) && o.ReceivedAt.Before(to) },
		func(o *order.Order) time.Time { return o.ReceivedAt }, limit), nil
}
