// Package loyalty keeps the loyalty program exact: an order that is complete and earns points is
// pushed to BonifiQ once, and its points are reversed once per return. The order's "loyalty" track
// holds where it is (track.go); Complete and Return move the order and the track in one write
// (complete.go); the Pusher makes the BonifiQ calls the track waits for (pusher.go); Total is what
// the customer paid for the goods (total.go).
package loyalty
