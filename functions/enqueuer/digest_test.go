package enqueuer_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/digest"
	"github.com/orderhub/orderhub/shared/lambdafn/lambdatest"
	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

// topic is a digest.Publisher that keeps what it was sent.
type topic struct{ subjects, messages []string }

func (p *topic) Publish(_ context.Context, subject, message string) error {
	p.subjects, p.messages = append(p.subjects, subject), append(p.messages, message)
	return nil
}

func withDigest(t *testing.T, s *memstore.Store, pub digest.Publisher) (*recordingQueue, func([]byte) ([]byte, error)) {
	q := &recordingQueue{}
	h := newTestHandler(t, s, q)
	h.Digest = &digest.Digest{Orders: s, Publisher: pub, Table: "orderhub-dev-orders", Now: time.Now, Log: h.Log}
	return q, func(payload []byte) ([]byte, error) { return invoke(t, h, payload) }
}

func TestDigestFixtureIsTheScheduleInput(t *testing.T) {
	tmpl, err := os.ReadFile("../../template.yaml")
	if err != nil {
		t.Fatal(err)
	}
	input := strings.TrimSpace(string(lambdatest.Fixture(t, "enqueuer-digest.json")))
	if !strings.Contains(string(tmpl), "Input: '"+input+"'") {
		t.Fatalf("template.yaml's Digest schedule does not send %s", input)
	}
}

// TestDigestFixturePublishesWhatNeedsAPerson: the digest schedule's event publishes the orders that
// need a person, and enqueues nothing and changes no order (the sweep is the other schedule's).
func TestDigestFixturePublishesWhatNeedsAPerson(t *testing.T) {
	s := memstore.New()
	now := time.Now()
	store(t, s, order.SourceMarketplace, "301", "a@example.com", now.Add(-time.Hour), order.Rejected)
	store(t, s, order.SourceMarketplace, "302", "b@example.com", now.Add(-2*time.Hour), order.Rejected)
	store(t, s, order.SourceMarketplace, "303", "c@example.com", now.Add(-time.Hour), order.Received) // the sweep's, not the digest's
	pub := &topic{}
	q, run := withDigest(t, s, pub)
	out, err := run(lambdatest.Fixture(t, "enqueuer-digest.json"))
	if err != nil {
		t.Fatalf("invoke returned a Lambda error: %v", err)
	}
	var res digest.Result
	if err := json.Unmarshal(out, &res); err != nil || res != (digest.Result{Needs: 2, Listed: 2, Published: true}) {
		t.Fatalf("answer %s", out)
	}
	if len(pub.messages) != 1 || pub.subjects[0] != "orderhub: 2 orders need a person (orderhub-dev-orders)" ||
		!strings.Contains(pub.messages[0], "mkt-301") || !strings.Contains(pub.messages[0], "mkt-302") || strings.Contains(pub.messages[0], "mkt-303") {
		t.Fatalf("published %q %q", pub.subjects, pub.messages)
	}
	if len(q.Sent()) != 0 || get(t, s, "mkt-303").Version != 1 {
		t.Errorf("the digest enqueued %v or moved an order", q.Sent())
	}
}

func TestDigestWithNothingToSayPublishesNothing(t *testing.T) {
	pub := &topic{}
	_, run := withDigest(t, memstore.New(), pub)
	out, err := run(lambdatest.Fixture(t, "enqueuer-digest.json"))
	if err != nil || len(pub.messages) != 0 || !strings.Contains(string(out), `"published":false`) {
		t.Fatalf("answer %s (%v), published %d", out, err, len(pub.messages))
	}
}
