package receiver

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/orderhub/orderhub/shared/store/memstore"
)

func TestAnIDSentAgainWithOtherContentIs409AndChangesNothing(t *testing.T) {
	h := newHandler(t, memstore.New())
	req := fixture(t, "marketplace-purchase.json")
	if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("first delivery: %d %s", resp.StatusCode, resp.Body)
	}
	if resp, _ := h.Handle(context.Background(), req); resp.StatusCode != http.StatusOK {
		t.Fatalf("the same delivery again: %d %s", resp.StatusCode, resp.Body)
	}
	other := req
	other.Body = strings.Replace(req.Body, "john@account.com", "someone@else.example", 1)
	if other.Body == req.Body {
		t.Fatal("the fixture's email moved")
	}
	resp, _ := h.Handle(context.Background(), other)
	if resp.StatusCode != http.StatusConflict || !strings.Contains(resp.Body, `"code":"conflict"`) {
		t.Fatalf("the same id, another buyer: %d %s", resp.StatusCode, resp.Body)
	}
	o, err := h.Intake.Orders.Get(context.Background(), "mkt-221")
	if err != nil || o.Customer.Email != "john@account.com" || len(o.History) != 1 {
		t.Fatalf("stored order: %+v %v", o, err)
	}
}
