// Package digest is the failure digest: on a schedule, the orders that need a person, grouped by
// what they wait for with their counts and reasons, published to the alarm topic. An alarm says that
// something is wrong; the digest says what.
package digest

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/backlog"
	"github.com/orderhub/orderhub/shared/order"
)

// Publisher sends a digest to whoever is subscribed (sns.go: the alarm topic).
type Publisher interface {
	Publish(ctx context.Context, subject, message string) error
}

// MaxBytes bounds a digest's message: SNS takes at most 262,144 bytes (256 KiB), subject and
// attributes included; the rest is margin.
const MaxBytes = 250_000

// maxSubject is SNS's limit on a subject (for email subscriptions).
const maxSubject = 100

// maxReason bounds one order's reason in the listing; the group's heading carries the whole kind.
const maxReason = 300

// Digest lists what needs a person and publishes it.
type Digest struct {
	Orders order.Repository
	// Publisher sends the digest; nil writes it to the log only.
	Publisher Publisher
	// Table is the Orders table's name, for the pointer to `orderhub failed --aws --table …`.
	Table string
	Now   func() time.Time
	Log   *slog.Logger
	// MaxBytes bounds the message; zero means MaxBytes.
	MaxBytes int
}

// Result is what one run did.
type Result struct {
	Needs     int  `json:"needs"`     // orders that need a person
	Listed    int  `json:"listed"`    // of them, listed one by one in the message
	Published bool `json:"published"` // false when nothing needs a person, or without a publisher
}

// Run reads what needs a person (backlog.Needs, as `orderhub failed` does) and publishes the digest.
// When nothing needs a person it publishes nothing and says so in the log.
func (d *Digest) Run(ctx context.Context) (Result, error) {
	now := d.Now()
	needs, err := backlog.Needs(ctx, d.Orders, backlog.Selection{}, now)
	if err != nil {
		return Result{}, fmt.Errorf("digest: %w", err)
	}
	res := Result{Needs: len(needs)}
	if len(needs) == 0 {
		d.Log.InfoContext(ctx, "digest not published: no order needs a person")
		return res, nil
	}
	subject, message, listed := Compose(needs, d.Table, cmp.Or(d.MaxBytes, MaxBytes))
	res.Listed = listed
	if d.Publisher == nil {
		d.Log.WarnContext(ctx, "digest not published: no topic", "needs", len(needs), "subject", subject, "message", message)
		return res, nil
	}
	if err := d.Publisher.Publish(ctx, subject, message); err != nil {
		return res, fmt.Errorf("digest: publish: %w", err)
	}
	res.Published = true
	d.Log.InfoContext(ctx, "digest published", "needs", len(needs), "listed", listed, "bytes", len(message))
	return res, nil
}

// Compose writes the digest: a subject, then every group with its count (the largest first), then
// the orders of each group with their reasons, newest first, as far as maxBytes allows, then how
// many were left out and a pointer to `orderhub failed`. It returns how many orders it listed.
func Compose(needs []backlog.Need, table string, maxBytes int) (subject, message string, listed int) {
	noun := "orders need"
	if len(needs) == 1 {
		noun = "order needs"
	}
	subject = fmt.Sprintf("orderhub: %d %s a person", len(needs), noun)
	if table != "" {
		subject += " (" + table + ")"
	}
	subject = ascii(subject, maxSubject)

	groups := backlog.Grouped(needs)
	tail := fmt.Sprintf("\n`orderhub failed --aws --table %s` lists every one with its reason; after the fix, `orderhub replay` moves them on.\n", cmp.Or(table, "<table>"))
	budget := maxBytes - len(tail) - 200 // 200: the "and N more" lines

	var b strings.Builder
	fmt.Fprintf(&b, "%d %s a person, by what they wait for:\n\n", len(needs), noun)
	shownGroups := 0
	for _, g := range groups {
		line := fmt.Sprintf("%6d × %s\n", len(g.Needs), clip(g.Key, maxReason))
		if b.Len()+len(line) > budget {
			break
		}
		b.WriteString(line)
		shownGroups++
	}
	if shownGroups < len(groups) {
		fmt.Fprintf(&b, "   … and %d more kinds\n", len(groups)-shownGroups)
	}
	full := false
	for _, g := range groups {
		if full {
			break
		}
		head := "\n" + clip(g.Key, maxReason) + "\n"
		if b.Len()+len(head) > budget {
			break
		}
		b.WriteString(head)
		for _, n := range g.Needs {
			line := fmt.Sprintf("    %-28s %-8s since %s  %s\n", n.OrderID, n.Source, n.Since.UTC().Format("2006-01-02 15:04Z"), clip(n.Reason, maxReason))
			if b.Len()+len(line) > budget {
				full = true
				break
			}
			b.WriteString(line)
			listed++
		}
	}
	if more := len(needs) - listed; more > 0 {
		fmt.Fprintf(&b, "\n… and %d more not listed here\n", more)
	}
	b.WriteString(tail)
	return subject, b.String(), listed
}

// clip shortens s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len("…")
	for cut > 0 && !utf8RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// ascii keeps the printable ASCII of s, at most n bytes: SNS refuses other subjects.
func ascii(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 0x20 && r < 0x7f && b.Len() < n {
			b.WriteRune(r)
		}
	}
	return b.String()
}
