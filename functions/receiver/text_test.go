package receiver

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/order"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

// These run on the in-memory store, so also under -short.

// marketplaceRequest is the fixture with the order id and the first name replaced by the given
// JSON string contents (raw bytes).
func marketplaceRequest(t *testing.T, orderID, firstName string) events.APIGatewayV2HTTPRequest {
	req := fixture(t, "marketplace-purchase.json")
	body := strings.Replace(req.Body, `"id": 221`, `"id": "`+orderID+`"`, 1)
	body = strings.Replace(body, `"firstName": "John"`, `"firstName": "`+firstName+`"`, 1)
	if body == req.Body {
		t.Fatal("the fixture changed")
	}
	req.Body = body
	return req
}

func errorOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	var b struct {
		Error map[string]any `json:"error"`
	}
	if err := json.Unmarshal([]byte(raw), &b); err != nil {
		t.Fatalf("answer %q: %v", raw, err)
	}
	return b.Error
}

// Escapes are decoded before the order id is made, so "47\/11" (as PHP's json_encode writes 47/11)
// is the order mkt-47/11, and the customer's name is stored as the text it stands for.
func TestMarketplaceEscapesAreStoredDecoded(t *testing.T) {
	store := memstore.New()
	h := newHandler(t, store)
	r := invoke(t, h, marketplaceRequest(t, `47\/11`, `J\u00fcrgen \"Nord\"`))
	if r.Status != 202 || r.Body["orderId"] != "mkt-47/11" {
		t.Fatalf("answer %d %s", r.Status, r.Raw)
	}
	o, err := store.Get(context.Background(), "mkt-47/11")
	if err != nil {
		t.Fatal(err)
	}
	if o.SourceRef != "47/11" || o.Customer.FirstName != `Jürgen "Nord"` {
		t.Fatalf("stored %q, first name %q", o.SourceRef, o.Customer.FirstName)
	}
	// The same purchase written without escapes is the same order.
	if r := invoke(t, h, marketplaceRequest(t, `47/11`, `Jürgen \"Nord\"`)); r.Status != 200 || r.Body["status"] != "duplicate" {
		t.Fatalf("unescaped redelivery: %d %s", r.Status, r.Raw)
	}
}

// Latin-1 "Müller-1" and "Mäller-1" are two purchases; repaired to U+FFFD they would be one order
// and the second answered as a duplicate. Both are refused with the field named, whether the body
// arrives as text or base64, and nothing is stored.
func TestMarketplaceInvalidUTF8IsRefused(t *testing.T) {
	store := memstore.New()
	h := newHandler(t, store)
	for i, c := range []struct{ orderID, firstName, field string }{
		{"M\xfcller-1", "John", "resource.order.id"},
		{"M\xe4ller-1", "John", "resource.order.id"},
		{`M\udc00ller-1`, "John", "resource.order.id"},
		{"1", "J\xfcrgen", "resource.contact.firstName"},
	} {
		req := marketplaceRequest(t, c.orderID, c.firstName)
		resp, err := h.Handle(context.Background(), req)
		if err != nil {
			t.Fatal(err)
		}
		if e := errorOf(t, resp.Body); resp.StatusCode != 400 || e["code"] != "invalid_utf8" || e["field"] != c.field {
			t.Errorf("case %d as text: %d %s", i, resp.StatusCode, resp.Body)
		}
		req.Body, req.IsBase64Encoded = base64.StdEncoding.EncodeToString([]byte(req.Body)), true
		if r := invoke(t, h, req); r.Status != 400 || r.Body["error"].(map[string]any)["code"] != "invalid_utf8" {
			t.Errorf("case %d as base64: %d %s", i, r.Status, r.Raw)
		}
	}
	if _, err := store.Get(context.Background(), "mkt-M\ufffdller-1"); err == nil {
		t.Fatal("a repaired order id was stored")
	}
}

// A quantity plenigo cannot import is answered 400 naming the field; only a product the mapping
// does not know yet is stored (REJECTED, waiting for the mapping).
func TestMarketplaceQuantityMistakeIs400(t *testing.T) {
	store := memstore.New()
	h := newHandler(t, store)
	for _, q := range []string{"1.5", "10001", "0.5"} {
		req := fixture(t, "marketplace-purchase.json")
		req.Body = strings.Replace(req.Body, `"quantity": 1`, `"quantity": `+q, 1)
		r := invoke(t, h, req)
		if e, _ := r.Body["error"].(map[string]any); r.Status != 400 || e["field"] != "resource.order.orderItems[0].quantity" {
			t.Errorf("quantity %s: %d %s", q, r.Status, r.Raw)
		}
	}
	if _, err := store.Get(context.Background(), "mkt-221"); err == nil {
		t.Fatal("a refused purchase was stored")
	}
	req := fixture(t, "marketplace-purchase.json")
	req.Body = strings.Replace(req.Body, `"itemVariationId": 1338`, `"itemVariationId": 9999`, 1)
	if r := invoke(t, h, req); r.Status != 202 || r.Body["state"] != string(order.Rejected) {
		t.Fatalf("unknown product: %d %s", r.Status, r.Raw)
	}
}

func TestDealerInvalidUTF8AndQuantityAreRejectedPerPurchase(t *testing.T) {
	store := memstore.New()
	h := newHandler(t, store)
	p := func(ext, group, quantity, offer string) string {
		return fmt.Sprintf(`{"externalSystemId":"%s","email":"d@presse.example","dealerGroup":"%s","dealerNumber":"1","offer":"%s","quantity":%s,"startDate":"2026-12-01","paymentMethod":"invoice"}`,
			ext, group, offer, quantity)
	}
	body := `{"purchases":[` + strings.Join([]string{
		p("WBZ-M\xfcller-1", "Nord", "1", "WBZ-PRINT-12M"),
		p("WBZ-M\xe4ller-1", "Nord", "1", "WBZ-PRINT-12M"),
		p(`WBZ-47\/11`, `M\u00fcller \"Nord\"`, "2", "WBZ-PRINT-12M"),
		p("WBZ-C-1", "S\xfcd", "1", "WBZ-PRINT-12M"),
		p("WBZ-C-2", "Nord", "1.5", "WBZ-PRINT-12M"),
		p("WBZ-C-3", "Nord", "10001", "WBZ-PRINT-12M"),
		p("WBZ-C-4", "Nord", "1", "WBZ-WEEKEND-6M"),
	}, ",") + `]}`
	resp, err := h.Handle(context.Background(), signed(t, body, "msg_text"))
	if err != nil {
		t.Fatal(err)
	}
	var ans struct {
		Accepted, Rejected int
		Results            []struct {
			Status, State, OrderID string
			Error                  *struct{ Code, Field string }
		}
	}
	if err := json.Unmarshal([]byte(resp.Body), &ans); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 202 || ans.Accepted != 2 || ans.Rejected != 5 {
		t.Fatalf("batch: %d %s", resp.StatusCode, resp.Body)
	}
	want := []string{"purchases[0].externalSystemId invalid_utf8", "purchases[1].externalSystemId invalid_utf8", "",
		"purchases[3].dealerGroup invalid_utf8", "purchases[4].quantity invalid_field", "purchases[5].quantity invalid_field", ""}
	for i, w := range want {
		r := ans.Results[i]
		if w == "" {
			if r.Status != "accepted" {
				t.Errorf("purchase %d: %+v", i, r)
			}
			continue
		}
		if r.Status != "rejected" || r.Error == nil || r.Error.Field+" "+r.Error.Code != w {
			t.Errorf("purchase %d: %+v, want rejected %s", i, r, w)
		}
	}
	o, err := store.Get(context.Background(), "dealer-WBZ-47/11")
	if err != nil {
		t.Fatal(err)
	}
	if o.Dealer.Group != `Müller "Nord"` || o.State != order.Received {
		t.Fatalf("stored dealer group %q, state %s", o.Dealer.Group, o.State)
	}
	if r := ans.Results[6]; r.State != string(order.Rejected) {
		t.Fatalf("an offer the mapping does not know: %+v", r)
	}
	for _, id := range []string{"dealer-WBZ-M\ufffdller-1", "dealer-WBZ-C-1", "dealer-WBZ-C-2", "dealer-WBZ-C-3"} {
		if _, err := store.Get(context.Background(), id); err == nil {
			t.Errorf("%s was stored", id)
		}
	}
}
