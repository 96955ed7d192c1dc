package dynamostore_test

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// TestCommittedHearsWhatWasWritten: the commit hook hears each write's new history entries once,
// after the write, and nothing of a create that found the order there or an update that changed
// nothing.
func TestCommittedHearsWhatWasWritten(t *testing.T) {
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	var heard []string
	s.Committed = func(_ context.Context, id string, events []order.Event) {
		for _, e := range events {
			heard = append(heard, id+":"+string(e.To))
		}
	}
	ctx := t.Context()
	by := order.Actor{Function: "test"}
	o, _ := order.New(order.SourceMarketplace, "hook", storetestTime, by)
	if err := s.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
	again, _ := order.New(order.SourceMarketplace, "hook", storetestTime, by)
	if err := s.Create(ctx, again); !errors.Is(err, order.ErrExists) {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, o.ID, func(o *order.Order) error {
		return o.MoveTo(order.Queued, order.Change{At: storetestTime, By: by})
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Update(ctx, o.ID, func(*order.Order) error { return order.ErrNoChange }); err != nil {
		t.Fatal(err)
	}
	if want := []string{"mkt-hook:RECEIVED", "mkt-hook:QUEUED"}; !slices.Equal(heard, want) {
		t.Errorf("heard %v, want %v", heard, want)
	}
}
