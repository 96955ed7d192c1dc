package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/orderhub/orderhub/local/plentysim"
	"github.com/orderhub/orderhub/local/stack"
	"github.com/orderhub/orderhub/shared/order"
)

// plentyCase is one of the demo's plentymarkets orders and what it should end as.
type plentyCase struct {
	id    int
	what  string
	state order.State      // in orderhub
	want  plentysim.Status // in plentymarkets (for a return: on the return order)
	ret   int              // the return order, for the returned case
}

// plentyScenario puts the merchant's orders into the plentymarkets simulator, cleared for shipping:
// ordinary ones, one without an email (plenigo refuses the customer: address error), one with a
// variation the mapping does not know (not fulfillable, later cancelled).
func plentyScenario(s *stack.Stack, n int) []*plentyCase {
	add := func(i int, email string, variation int) int {
		return s.Plenty.AddOrder(plentysim.NewOrder{Email: email, FirstName: "Erika", LastName: "Muster", Street: "Hauptstraße",
			HouseNumber: "5", PostalCode: "34117", Town: "Kassel", PaymentMethodID: 6014, ShippingGross: "4.95", ShippingNet: "4.1597",
			Items: []plentysim.Item{{VariationID: variation, Name: "Jahresabo", Quantity: "1", PriceGross: "119", PriceNet: "100"}}})
	}
	var cases []*plentyCase
	for i := range n {
		cases = append(cases, &plentyCase{id: add(i, fmt.Sprintf("shop%d@example.com", i), 1012), what: "cleared for shipping", state: order.Fulfilled, want: "7"})
	}
	cases = append(cases,
		&plentyCase{id: add(n, "", 1012), what: "no email", state: order.ImportFailed, want: "6.2"},
		&plentyCase{id: add(n+1, "unknown@example.com", 9999), what: "unknown variation", state: order.Rejected, want: "6.3"})
	return cases
}

// plentyAfterthoughts: the merchant cancels the unmapped order (before any import) and the first
// delivered one (after), and a customer returns the second.
func plentyAfterthoughts(s *stack.Stack, cases []*plentyCase) {
	early, late, returned := cases[len(cases)-1], cases[0], cases[1]
	s.Plenty.MoveOrder(early.id, "8")
	early.what, early.state, early.want = "cancelled before import", order.Cancelled, "8.8"
	s.Plenty.MoveOrder(late.id, "8")
	late.what, late.state, late.want = "cancelled after delivery", order.CancelRefused, "8.1"
	returned.ret = s.Plenty.AddReturn(returned.id, []plentysim.Item{{VariationID: 1012, Quantity: "1"}}, "9")
	returned.what, returned.state, returned.want = "returned", order.Returned, "9.2"
}

// waitPlenty waits until plentymarkets shows every case's status, or until ctx ends.
func waitPlenty(ctx context.Context, s *stack.Stack, cases []*plentyCase) {
	for ctx.Err() == nil {
		done := true
		for _, c := range cases {
			if plentyStatus(s, c) != c.want {
				done = false
			}
		}
		if done {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

func plentyStatus(s *stack.Stack, c *plentyCase) plentysim.Status {
	id := c.id
	if c.ret != 0 {
		id = c.ret
	}
	o, _ := s.Plenty.Order(id)
	return o.Status
}

// printPlenty prints each plentymarkets order's end in orderhub and in plentymarkets, and returns
// how many differ from what they should be.
func printPlenty(ctx context.Context, s *stack.Stack, cases []*plentyCase) int {
	fmt.Printf("\n%-16s %-26s %-16s %-20s %s\n", "plentymarkets", "case", "orderhub", "plentymarkets shows", "package (plenigo order)")
	wrong := 0
	for _, c := range cases {
		id := "plenty-" + strconv.Itoa(c.id)
		o, err := s.Orders.Get(ctx, id)
		state := order.State("NOT STORED")
		if err == nil {
			state = o.State
		}
		po, _ := s.Plenty.Order(c.id)
		pkg := "-"
		if len(po.Packages) > 0 {
			pkg = po.Packages[0].PackageNumber
		}
		shows := string(plentyStatus(s, c))
		if c.ret != 0 {
			shows = string(po.Status) + ", return " + shows
		}
		mark := ""
		if state != c.state || plentyStatus(s, c) != c.want || len(po.Packages) > 1 {
			mark = "  ← should be " + string(c.state) + " / " + string(c.want)
			wrong++
		}
		fmt.Printf("%-16s %-26s %-16s %-20s %s%s\n", strconv.Itoa(c.id), c.what, state, shows, pkg, mark)
	}
	if wrong > 0 {
		fmt.Fprintf(os.Stderr, "orderhub: %d plentymarkets orders did not end as they should\n", wrong)
	}
	fmt.Printf("plentymarkets calls %d %v; logins %d, most sessions at once %d\n", s.Plenty.Counter().TotalCalls(), s.Plenty.Counter().Calls(),
		s.Plenty.Logins(), s.Plenty.PeakSessions())
	return wrong
}
