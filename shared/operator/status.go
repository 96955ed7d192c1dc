package operator

import (
	"context"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/orderhub/orderhub/shared/backlog"
	"github.com/orderhub/orderhub/shared/importing"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/runs"
)

// QueueDepth is how many messages wait in a dead-letter queue.
type QueueDepth struct {
	Name     string `json:"name"`
	Messages int    `json:"messages"`
}

// DeadLetters reads the dead-letter queues' depths.
type DeadLetters interface {
	Depths(ctx context.Context) ([]QueueDepth, error)
}

// Status is the one screen an operator looks at first.
type Status struct {
	Backlog     []backlog.Waiting
	DeadLetters []QueueDepth
	// DeadLettersErr says why the queues could not be read (they are then not shown).
	DeadLettersErr error
	// LogMovedAt is when plenigo's import log last brought news (importing.LogMovedAt).
	LogMovedAt time.Time
	// Runs is when each schedule last ran to the end.
	Runs []runs.Run
	// Calls are the partner calls of the last hour, when t's calls could be read (CallRates).
	Calls    []PartnerCalls
	CallsErr error
}

// ReadStatus reads the backlog from the work index, the import log checkpoint and, when dl is
// given, the dead-letter queues.
func ReadStatus(ctx context.Context, orders order.Repository, recs records.Store, dl DeadLetters, now time.Time) (Status, error) {
	var s Status
	var err error
	if s.Backlog, err = backlog.Measure(ctx, orders, now, order.Machines()...); err != nil {
		return s, err
	}
	if s.LogMovedAt, err = importing.LogMovedAt(ctx, recs); err != nil {
		return s, err
	}
	if s.Runs, err = runs.Last(ctx, recs); err != nil {
		return s, err
	}
	if dl != nil {
		s.DeadLetters, s.DeadLettersErr = dl.Depths(ctx)
	}
	return s, nil
}

// PrintStatus writes the status: what waits where and for how long, what needs a person, the
// dead letters, and when plenigo's log last brought news.
func PrintStatus(w io.Writer, s Status, now time.Time) {
	fmt.Fprintf(w, "%-28s %8s  %s\n", "waiting in", "orders", "oldest")
	person := 0
	for _, b := range s.Backlog {
		mark := ""
		if b.NeedsPerson && b.Count > 0 {
			mark = "  needs a person"
			person += b.Count
		}
		count := strconv.Itoa(b.Count)
		if b.Count >= backlog.MaxCounted {
			count += "+"
		}
		oldest := "-"
		if b.Count > 0 {
			oldest = b.Oldest.Round(time.Second).String()
		}
		fmt.Fprintf(w, "%-28s %8s  %s%s\n", b.State, count, oldest, mark)
	}
	fmt.Fprintf(w, "\n%d waiting for a person: orderhub failed lists them\n", person)
	switch {
	case s.DeadLettersErr != nil:
		fmt.Fprintf(w, "dead-letter queues: not read (%v)\n", s.DeadLettersErr)
	case s.DeadLetters != nil:
		var parts []string
		for _, q := range s.DeadLetters {
			parts = append(parts, fmt.Sprintf("%s %d", q.Name, q.Messages))
		}
		fmt.Fprintf(w, "dead-letter queues: %s\n", strings.Join(parts, ", "))
	}
	if s.LogMovedAt.IsZero() {
		fmt.Fprintln(w, "plenigo import log: never read")
	} else {
		fmt.Fprintf(w, "plenigo import log: last news %s ago\n", now.Sub(s.LogMovedAt).Round(time.Second))
	}
	if len(s.Runs) > 0 {
		fmt.Fprintln(w, "\nschedules, last run to the end:")
		for _, r := range s.Runs {
			ago := "never"
			if !r.At.IsZero() {
				ago = now.Sub(r.At).Round(time.Second).String() + " ago"
			}
			fmt.Fprintf(w, "  %-18s %s\n", r.Schedule, ago)
		}
	}
	switch {
	case s.CallsErr != nil:
		fmt.Fprintf(w, "\npartner calls: not read (%v)\n", s.CallsErr)
	case s.Calls != nil:
		fmt.Fprintln(w, "\npartner calls, last hour:")
		if len(s.Calls) == 0 {
			fmt.Fprintln(w, "  none")
		}
		for _, c := range s.Calls {
			fmt.Fprintf(w, "  %-14s %7d calls  %5d failed (%.1f%%)\n", c.Partner, c.Calls, c.Failed, c.FailedShare()*100)
		}
	}
}

// SQSDeadLetters reads dead-letter queues' depths from SQS, by name and URL.
type SQSDeadLetters struct {
	Client *sqs.Client
	URLs   map[string]string // queue → URL
}

// Depths implements DeadLetters.
func (d *SQSDeadLetters) Depths(ctx context.Context) ([]QueueDepth, error) {
	var out []QueueDepth
	for _, name := range slices.Sorted(maps.Keys(d.URLs)) {
		attrs, err := d.Client.GetQueueAttributes(ctx, &sqs.GetQueueAttributesInput{QueueUrl: aws.String(d.URLs[name]),
			AttributeNames: []types.QueueAttributeName{types.QueueAttributeNameApproximateNumberOfMessages}})
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", name, err)
		}
		n, _ := strconv.Atoi(attrs.Attributes[string(types.QueueAttributeNameApproximateNumberOfMessages)])
		out = append(out, QueueDepth{Name: name, Messages: n})
	}
	return out, nil
}
