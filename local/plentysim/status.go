package plentysim

import (
	"encoding/json"
	"fmt"
	"math/big"
	"strings"
)

// Status is a plentymarkets order status id as text: "5", "5.1", "8.8". plentymarkets' status ids
// are decimal numbers: 5 and 5.1 are different statuses, and a filter for one never finds the other.
// "5.0" and "5" are the same status; the simulator writes whole statuses as JSON integers (5) and
// the others as decimals (5.1).
type Status string

// DefaultStatuses returns the statuses of a system without Config.Statuses: plentymarkets' main
// statuses and the sub-statuses a fulfilment flow uses (5.1 handed over to the warehouse, 6.2 and
// 6.3 problems, 8.8 cancellation passed on, 9.x returns).
func DefaultStatuses() []Status {
	return []Status{"1", "2", "3", "4", "5", "5.1", "6", "6.1", "6.2", "6.3", "7", "7.1", "8", "8.1", "8.8",
		"9", "9.1", "9.2", "11"}
}

// canonical returns a status in its shortest decimal form ("5.10" → "5.1", "5.0" → "5") or false
// when it is not a non-negative decimal number ("9.0.1" is not).
func canonical(st Status) (Status, bool) {
	t := strings.TrimSpace(string(st))
	if t == "" || strings.ContainsAny(t, "eE+-/") {
		return "", false
	}
	r, ok := new(big.Rat).SetString(t)
	if !ok {
		return "", false
	}
	return Status(formatRat(r)), true
}

func mustCanonical(st Status) Status {
	c, ok := canonical(st)
	if !ok {
		panic(fmt.Sprintf("plentysim: %q is not a status id", st))
	}
	return c
}

// number is the status as a JSON number: 5, 5.1.
func (st Status) number() json.Number { return json.Number(st) }

// statusNames are the names the simulator gives the default statuses, in German and English. They
// follow the names plentymarkets systems show (its guide's example order is in "[3] Warten auf
// Zahlung"); the sub-statuses are a merchant's own and named as a fulfilment flow uses them.
var statusNames = map[Status][2]string{
	"1":   {"Unvollständige Daten", "Incomplete data"},
	"2":   {"Warten auf Freischaltung", "Waiting for activation"},
	"3":   {"Warten auf Zahlung", "Waiting for payment"},
	"4":   {"In Vorbereitung für Versand", "In preparation for shipping"},
	"5":   {"Freigabe Versand", "Cleared for shipping"},
	"5.1": {"Abwicklung extern", "Handled externally"},
	"6":   {"Gerade im Versand", "Currently being shipped"},
	"6.1": {"Versand in Bearbeitung", "Shipping in progress"},
	"6.2": {"Adressfehler", "Address error"},
	"6.3": {"Bestand fehlt", "Out of stock"},
	"7":   {"Warenausgang gebucht", "Outgoing items booked"},
	"7.1": {"Auftrag exportiert", "Order exported"},
	"8":   {"Storniert", "Cancelled"},
	"8.1": {"Storniert durch Kunden", "Cancelled by customer"},
	"8.8": {"Stornierung übermittelt", "Cancellation passed on"},
	"9":   {"Retoure", "Return"},
	"9.1": {"Retoure eingegangen", "Return received"},
	"9.2": {"Retoure geprüft", "Return checked"},
	"11":  {"Gutschrift", "Credit note"},
}

// names returns a status's names by language.
func (st Status) names() map[string]string {
	n, ok := statusNames[st]
	if !ok {
		return map[string]string{"de": "Status " + string(st), "en": "Status " + string(st)}
	}
	return map[string]string{"de": n[0], "en": n[1]}
}

// label is the order's statusName: "[5] Freigabe Versand".
func (st Status) label() string { return "[" + string(st) + "] " + st.names()["de"] }
