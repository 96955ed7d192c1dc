// Command poller is the status poller Lambda, run on a schedule. Its plenigo half reads plenigo's
// order import log and confirms submitted imports.
package main

import (
	"github.com/orderhub/orderhub/functions/poller"
	"github.com/orderhub/orderhub/shared/lambdafn"
)

func main() {
	lambdafn.Run("poller", poller.ReadConfig, poller.New, func(h *poller.Handler) any { return h.Handle })
}
