package receiver

import (
	"context"
	"encoding/json"
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

// TestAPurchaseWithHundredsOfItemsIsA4xx: one authenticated request of 240 unmapped items made an
// order document past DynamoDB's item limit, and every retry of the sender got a 500.
func TestAPurchaseWithHundredsOfItemsIsA4xx(t *testing.T) {
	h := newHandler(t, memstore.New())
	req := fixture(t, "marketplace-purchase.json")
	var body map[string]any
	if err := json.Unmarshal([]byte(req.Body), &body); err != nil {
		t.Fatal(err)
	}
	ord := body["resource"].(map[string]any)["order"].(map[string]any)
	first := ord["orderItems"].([]any)[0].(map[string]any)
	var items []any
	for i := range 240 {
		// Unmapped: the order would be stored REJECTED with a reason per item if it were accepted.
		items = append(items, map[string]any{"itemVariationId": 900000 + i, "quantity": 1, "priceGross": first["priceGross"],
			"orderItemName": strings.Repeat("Zeitung ", 20)})
	}
	ord["orderItems"] = items
	b, _ := json.Marshal(body)
	req.Body = string(b)
	if len(req.Body) > MaxMarketplaceBody {
		t.Fatalf("the body is %d bytes, over the receiver's limit: it would not reach the parser", len(req.Body))
	}
	resp, _ := h.Handle(context.Background(), req)
	if resp.StatusCode < 400 || resp.StatusCode >= 500 || !strings.Contains(resp.Body, `"error"`) {
		t.Fatalf("%d items: %d %.200s", len(items), resp.StatusCode, resp.Body)
	}
	if _, err := h.Intake.Orders.Get(context.Background(), "mkt-221"); err == nil {
		t.Fatal("the refused purchase was stored")
	}
}
