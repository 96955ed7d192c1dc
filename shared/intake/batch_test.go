package intake

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/orderhub/orderhub/shared/order"
)

func TestAcceptBatchStoresEachPurchaseOnce(t *testing.T) {
	body := []byte(`{"purchases":[
		{"externalSystemId":"WBZ-1","email":"a@presse.example","language":"de","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"},
		{"externalSystemId":"WBZ-2","language":"de"},
		{"externalSystemId":"WBZ-1","email":"a@presse.example","language":"de","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"}]}`)
	items, err := ParseDealerBatch(body, fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	svc := newService(t)
	ans := svc.AcceptBatch(context.Background(), items, by)
	got := []string{ans.Results[0].Status, ans.Results[1].Status, ans.Results[2].Status}
	if got[0] != "accepted" || got[1] != "rejected" || got[2] != "duplicate" || ans.Results[2].OrderID != ans.Results[0].OrderID {
		t.Fatalf("statuses %v, results %+v", got, ans.Results)
	}
	if ans.Accepted != 1 || ans.Rejected != 1 || ans.Duplicates != 1 || ans.HTTPStatus() != http.StatusAccepted {
		t.Fatalf("answer %+v, status %d", ans, ans.HTTPStatus())
	}
	again := svc.AcceptBatch(context.Background(), items[:1], by)
	if again.Duplicates != 1 || again.HTTPStatus() != http.StatusOK {
		t.Fatalf("resent batch: %+v, status %d", again, again.HTTPStatus())
	}
}

func TestBatchStatus(t *testing.T) {
	for want, a := range map[int]BatchAnswer{
		http.StatusServiceUnavailable: {Accepted: 3, Failed: 1},
		http.StatusAccepted:           {Accepted: 1, Rejected: 4},
		http.StatusOK:                 {Duplicates: 2, Rejected: 1},
		http.StatusBadRequest:         {Rejected: 2},
	} {
		if got := a.HTTPStatus(); got != want {
			t.Errorf("%+v: status %d, want %d", a, got, want)
		}
	}
}

func TestTheSameIDWithOtherContentIsAConflictAndChangesNothing(t *testing.T) {
	svc := newService(t)
	ctx := context.Background()
	parse := func(email string) []DealerItem {
		items, err := ParseDealerBatch([]byte(`{"purchases":[{"externalSystemId":"WBZ-7","email":"`+email+`","language":"de","dealerGroup":"Nord","dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"}]}`), fuzzAt, by)
		if err != nil {
			t.Fatal(err)
		}
		return items
	}
	if a := svc.AcceptBatch(ctx, parse("real@presse.example"), by); a.Accepted != 1 {
		t.Fatalf("first: %+v", a)
	}
	if a := svc.AcceptBatch(ctx, parse("real@presse.example"), by); a.Duplicates != 1 || a.HTTPStatus() != http.StatusOK {
		t.Fatalf("the same purchase again: %+v", a)
	}
	a := svc.AcceptBatch(ctx, parse("attacker@evil.example"), by)
	if a.Conflicts != 1 || a.Results[0].Status != "conflict" || a.Results[0].Error == nil || a.HTTPStatus() != http.StatusConflict {
		t.Fatalf("the same id, another buyer: %+v status %d", a, a.HTTPStatus())
	}
	o, err := svc.Orders.Get(ctx, "dealer-WBZ-7")
	if err != nil || o.Customer.Email != "real@presse.example" || len(o.History) != 1 {
		t.Fatalf("stored order changed: %+v %v", o, err)
	}
}

func TestAPurchaseWithTooManyItemsIsRefused(t *testing.T) {
	svc := newService(t)
	o, err := order.New(order.SourceMarketplace, "77", fuzzAt, by)
	if err != nil {
		t.Fatal(err)
	}
	o.Customer.Email = "a@b.de"
	for range MaxItems + 1 {
		o.Items = append(o.Items, order.Item{Product: "1338", Quantity: order.DecimalFromInt(1)})
	}
	_, err = svc.Accept(context.Background(), o, by)
	var ie *InputError
	if !errors.As(err, &ie) || ie.Code != "too_many_items" {
		t.Fatalf("%d items: %v", len(o.Items), err)
	}
	if _, err := svc.Orders.Get(context.Background(), o.ID); !errors.Is(err, order.ErrNotFound) {
		t.Fatalf("a refused purchase was stored: %v", err)
	}
}
