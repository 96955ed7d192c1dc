package intake

import (
	"context"
	"net/http"
	"testing"
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
