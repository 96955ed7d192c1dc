package memstore

import (
	"testing"

	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) order.Repository { return New() })
}

func TestControlContract(t *testing.T) {
	storetest.RunControl(t, func(*testing.T) storetest.Control { return NewControl() })
}
