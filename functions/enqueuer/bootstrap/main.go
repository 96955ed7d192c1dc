// Command enqueuer is the import enqueuer Lambda: the relay of the transactional outbox that turns
// RECEIVED orders into import jobs on SQS, from the Orders stream and from a scheduled sweep.
package main

import (
	"github.com/orderhub/orderhub/functions/enqueuer"
	"github.com/orderhub/orderhub/shared/lambdafn"
)

func main() {
	lambdafn.Run("enqueuer", enqueuer.ReadConfig, enqueuer.New, func(h *enqueuer.Handler) any { return h.Handle })
}
