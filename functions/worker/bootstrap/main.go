// Command worker is the import worker Lambda: for each import job it ensures the plenigo customer,
// submits the order import, and records the promise.
package main

import (
	"github.com/orderhub/orderhub/functions/worker"
	"github.com/orderhub/orderhub/shared/lambdafn"
)

func main() {
	lambdafn.Run("worker", worker.ReadConfig, worker.New, func(h *worker.Handler) any { return h.Handle })
}
