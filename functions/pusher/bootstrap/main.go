// Command pusher is the loyalty pusher Lambda: it sends complete orders to BonifiQ so their points
// are awarded once, and reverses them once per return, from the Orders stream and a scheduled sweep.
package main

import (
	"github.com/orderhub/orderhub/functions/pusher"
	"github.com/orderhub/orderhub/shared/lambdafn"
)

func main() {
	lambdafn.Run("pusher", pusher.ReadConfig, pusher.New, func(h *pusher.Handler) any { return h.Handle })
}
