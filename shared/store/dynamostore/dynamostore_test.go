package dynamostore_test

import (
	"testing"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
	"github.com/orderhub/orderhub/shared/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) order.Repository {
		db, table, _ := localaws.TestTable(t, "OrdersTable")
		return dynamostore.New(db, table)
	})
}

// TestCreateIsOneRequest holds the receiver's promise: one durable write per accepted purchase.
func TestCreateIsOneRequest(t *testing.T) {
	db, table, calls := localaws.TestTable(t, "OrdersTable")
	s := dynamostore.New(db, table)
	o, err := order.New(order.SourceMarketplace, "1", storetestTime, order.Actor{Function: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if err := o.MoveTo(order.Rejected, order.Change{At: storetestTime, Reason: "two history entries, still one write"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Create(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if calls.Total() != 1 || calls.Count("TransactWriteItems") != 1 {
		t.Fatalf("Create made %d requests (%d TransactWriteItems), want exactly 1", calls.Total(), calls.Count("TransactWriteItems"))
	}
}

func TestRecordsContract(t *testing.T) {
	storetest.RunRecords(t, func(t *testing.T) records.Store {
		db, table, _ := localaws.TestTable(t, "OrdersTable")
		return dynamostore.New(db, table)
	})
}
