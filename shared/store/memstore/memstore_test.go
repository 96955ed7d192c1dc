package memstore

import (
	"testing"

	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) order.Repository { return New() })
}

func TestRecordsContract(t *testing.T) {
	storetest.RunRecords(t, func(*testing.T) records.Store { return New() })
}
