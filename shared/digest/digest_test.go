package digest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/local/localaws"
	"github.com/orderhub/orderhub/shared/backlog"
	"github.com/orderhub/orderhub/shared/digest"
	"github.com/orderhub/orderhub/shared/loyalty"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/dynamostore"
)

// published is a Publisher that keeps what it was given.
type published struct {
	subject, message string
	calls            int
	err              error
}

func (p *published) Publish(_ context.Context, subject, message string) error {
	p.calls++
	p.subject, p.message = subject, message
	return p.err
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// seed stores orders that need a person (two IMPORT_FAILED for the same kind of reason, one
// REJECTED, one CANCEL_REFUSED, one loyalty track BonifiQ refused) and one that needs nothing.
func seed(t *testing.T, store order.Repository, at time.Time) {
	t.Helper()
	ctx := t.Context()
	by := order.Actor{Function: "test"}
	mk := func(ref string, moves ...order.State) {
		o, _ := order.New(order.SourceMarketplace, ref, at, by)
		for i, s := range moves {
			reason := ""
			switch s {
			case order.ImportFailed:
				reason = fmt.Sprintf("plenigo refused the order: offer \"O_%s\" unknown (60404)", ref)
			case order.Rejected:
				reason = "no plenigo offer for product \"7777\""
			case order.CancelRefused:
				reason = "the customer cancelled after delivery"
			}
			if err := o.MoveTo(s, order.Change{At: at.Add(time.Duration(i+1) * time.Second), By: by, Reason: reason}); err != nil {
				t.Fatal(err)
			}
		}
		if err := store.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	mk("failed-1", order.Queued, order.ImportFailed)
	mk("failed-2", order.Queued, order.ImportFailed)
	mk("rejected", order.Rejected)
	mk("refused", order.Queued, order.ImportSubmitted, order.Imported, order.Fulfilled, order.CancelRefused)
	mk("fine", order.Queued, order.ImportSubmitted, order.Imported)
	o, _ := order.New(order.SourceMarketplace, "points", at, by)
	for _, s := range []order.State{order.Queued, order.ImportSubmitted, order.Imported, order.Fulfilled} {
		if err := o.MoveTo(s, order.Change{At: at, By: by}); err != nil {
			t.Fatal(err)
		}
	}
	if err := o.MoveTrack(loyalty.Machine, loyalty.AwardDue, order.Change{At: at, By: by}); err != nil {
		t.Fatal(err)
	}
	if err := o.MoveTrack(loyalty.Machine, loyalty.Failed, order.Change{At: at.Add(time.Minute), By: by,
		Call: &order.PartnerCall{Partner: "bonifiq", Operation: "upsert order", Outcome: "permanent", Detail: "OrderTotal must be above 0"}}); err != nil {
		t.Fatal(err)
	}
	if err := store.Create(ctx, o); err != nil {
		t.Fatal(err)
	}
}

// TestTheDigestOnDynamoDBLocal: the digest read from the work index lists every order that needs a
// person, grouped with counts and reasons, and nothing else; it is published once, with a subject
// that says how many and a pointer to `orderhub failed` for the table.
func TestTheDigestOnDynamoDBLocal(t *testing.T) {
	if os.Getenv(localaws.EnvDynamoDB) == "" {
		t.Skipf("%s is not set (make test, or orderhub with-emulators, sets it)", localaws.EnvDynamoDB)
	}
	db, table, _ := localaws.TestTable(t, "OrdersTable")
	store := dynamostore.New(db, table)
	at := time.Now().Add(-2 * time.Hour).UTC().Truncate(time.Second)
	seed(t, store, at)
	pub := &published{}
	d := &digest.Digest{Orders: store, Publisher: pub, Table: "orderhub-prod-orders", Now: time.Now, Log: quiet}
	res, err := d.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if res != (digest.Result{Needs: 5, Listed: 5, Published: true}) || pub.calls != 1 {
		t.Fatalf("result %+v after %d publishes", res, pub.calls)
	}
	if pub.subject != "orderhub: 5 orders need a person (orderhub-prod-orders)" {
		t.Errorf("subject %q", pub.subject)
	}
	for _, want := range []string{
		"5 orders need a person, by what they wait for:",
		"     2 × IMPORT_FAILED: plenigo refused the order: offer \"…\" unknown (#)\n",
		"     1 × REJECTED: no plenigo offer for product \"…\"\n",
		"     1 × CANCEL_REFUSED: the customer cancelled after delivery\n",
		"     1 × loyalty FAILED: bonifiq upsert order: OrderTotal must be above #\n",
		"mkt-failed-1", "mkt-failed-2", "mkt-rejected", "mkt-refused", "mkt-points",
		"offer \"O_failed-1\" unknown (60404)",
		"since " + at.Add(2*time.Second).Format("2006-01-02 15:04Z"),
		"`orderhub failed --aws --table orderhub-prod-orders` lists every one",
	} {
		if !strings.Contains(pub.message, want) {
			t.Errorf("the digest lacks %q:\n%s", want, pub.message)
		}
	}
	if strings.Contains(pub.message, "mkt-fine") || strings.Contains(pub.message, "more") {
		t.Errorf("the digest lists more than what needs a person:\n%s", pub.message)
	}
	// The largest group comes first.
	if strings.Index(pub.message, "2 × IMPORT_FAILED") > strings.Index(pub.message, "1 × ") {
		t.Errorf("groups out of order:\n%s", pub.message)
	}
}

// TestNothingNeedsAPersonPublishesNothing: an empty digest is not sent; the log says so.
func TestNothingNeedsAPersonPublishesNothing(t *testing.T) {
	var logged strings.Builder
	pub := &published{}
	d := &digest.Digest{Orders: emptyRepo{}, Publisher: pub, Now: time.Now, Log: slog.New(slog.NewTextHandler(&logged, nil))}
	res, err := d.Run(t.Context())
	if err != nil || res.Published || pub.calls != 0 {
		t.Fatalf("result %+v, err %v, %d publishes", res, err, pub.calls)
	}
	if !strings.Contains(logged.String(), "digest not published: no order needs a person") {
		t.Errorf("log: %s", logged.String())
	}
}

// TestAFailedPublishIsAnError: the invocation fails, so Lambda retries it and the errors alarm reports it.
func TestAFailedPublishIsAnError(t *testing.T) {
	pub := &published{err: errors.New("AuthorizationError")}
	d := &digest.Digest{Orders: oneNeed{}, Publisher: pub, Now: time.Now, Log: quiet}
	if _, err := d.Run(t.Context()); err == nil || pub.calls != 1 {
		t.Fatalf("err %v after %d publishes", err, pub.calls)
	}
}

// TestTheDigestStaysUnderSNSLimit: with more orders than fit, the message stays under SNS's
// 256 KiB, lists as many as fit newest first, says how many more there are and still points to
// `orderhub failed`; every group keeps its count.
func TestTheDigestStaysUnderSNSLimit(t *testing.T) {
	at := time.Date(2026, 11, 23, 7, 0, 0, 0, time.UTC)
	var needs []backlog.Need
	for i := range 20000 {
		needs = append(needs, backlog.Need{OrderID: fmt.Sprintf("mkt-%06d", i), Source: order.SourceMarketplace, State: order.ImportFailed,
			Reason: fmt.Sprintf("plenigo refused the order: offer \"O_%d %s\" unknown (60404)", i, strings.Repeat("ü", i%200)), Since: at})
	}
	needs = append(needs, backlog.Need{OrderID: "mkt-rare", State: order.Rejected, Reason: "no plenigo offer", Since: at})
	subject, msg, listed := digest.Compose(needs, "orderhub-prod-orders", digest.MaxBytes)
	if len(msg)+len(subject) > 256*1024 || len(msg) > digest.MaxBytes {
		t.Fatalf("%d bytes", len(msg))
	}
	if listed == 0 || listed >= len(needs) {
		t.Fatalf("listed %d of %d", listed, len(needs))
	}
	for _, want := range []string{
		fmt.Sprintf("\n… and %d more not listed here\n", len(needs)-listed),
		"20000 × IMPORT_FAILED: plenigo refused the order: offer \"…\" unknown (#)",
		"     1 × REJECTED: no plenigo offer\n",
		"`orderhub failed --aws --table orderhub-prod-orders` lists every one",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("the digest lacks %q", want)
		}
	}
	if strings.Count(msg, "\n    mkt-") != listed {
		t.Errorf("%d order lines, listed %d", strings.Count(msg, "\n    mkt-"), listed)
	}
	_, small, listedSmall := digest.Compose(needs, "t", 2000)
	if len(small) > 2000 || !strings.Contains(small, "more") || !strings.Contains(small, "orderhub failed") {
		t.Errorf("a small limit: %d bytes, listed %d:\n%s", len(small), listedSmall, small)
	}
}

// TestTheSubjectIsWhatSNSTakes: at most 100 printable ASCII characters.
func TestTheSubjectIsWhatSNSTakes(t *testing.T) {
	subject, _, _ := digest.Compose([]backlog.Need{{OrderID: "mkt-1", State: order.Rejected}}, strings.Repeat("tâble-", 30), digest.MaxBytes)
	if len(subject) > 100 || !strings.HasPrefix(subject, "orderhub: 1 order needs a person (tble-") {
		t.Errorf("subject %q", subject)
	}
	for _, r := range subject {
		if r < 0x20 || r >= 0x7f {
			t.Errorf("subject %q has %q", subject, r)
		}
	}
}

// emptyRepo is a repository in which nothing waits.
type emptyRepo struct{ order.Repository }

func (emptyRepo) NeedingWork(context.Context, order.State, time.Time, int) ([]*order.Order, error) {
	return nil, nil
}

func (emptyRepo) TracksNeedingWork(context.Context, order.TrackName, order.TrackState, time.Time, int) ([]order.TrackWork, error) {
	return nil, nil
}

// oneNeed holds one REJECTED order.
type oneNeed struct{ emptyRepo }

func (oneNeed) NeedingWork(_ context.Context, s order.State, _ time.Time, _ int) ([]*order.Order, error) {
	if s != order.Rejected {
		return nil, nil
	}
	return []*order.Order{{ID: "mkt-1", Source: order.SourceMarketplace, State: order.Rejected, StateReason: "no offer"}}, nil
}
