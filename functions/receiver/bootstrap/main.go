// Command receiver is the webhook receiver Lambda: plentyMarketplace purchase webhooks and signed
// dealer batches in, one stored order per purchase out.
package main

import (
	"github.com/orderhub/orderhub/functions/receiver"
	"github.com/orderhub/orderhub/shared/lambdafn"
)

func main() {
	lambdafn.Run("receiver", receiver.ReadConfig, receiver.New, func(h *receiver.Handler) any { return h.Handle })
}
