package receiver

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/local/scenario"
	"github.com/orderhub/orderhub/shared/dealerkeys"
	"github.com/orderhub/orderhub/shared/secrets"
	"github.com/orderhub/orderhub/shared/signature"
	"github.com/orderhub/orderhub/shared/store/memstore"
)

// signedWith is a dealer request for body signed with secret, naming keyID (none when empty).
func signedWith(t *testing.T, keyID, secret, body, id string) events.APIGatewayV2HTTPRequest {
	t.Helper()
	req := signed(t, body, id)
	sig, err := signature.Sign(secret, id, fixtureTime, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Headers[signature.HeaderSignature] = sig
	delete(req.Headers, dealerkeys.HeaderKeyID)
	if keyID != "" {
		req.Headers[dealerkeys.HeaderKeyID] = keyID
	}
	return req
}

func purchase(ext, group string) string {
	return fmt.Sprintf(`{"externalSystemId":%q,"email":"d@presse.example","dealerGroup":%q,"dealerNumber":"1","offer":"WBZ-PRINT-12M","quantity":1,"startDate":"2026-12-01","paymentMethod":"invoice"}`, ext, group)
}

func TestADealerKeySubmitsOnlyForItsGroupsAndNamespace(t *testing.T) {
	store := memstore.New()
	h := newHandler(t, store)
	body := `{"purchases":[` + purchase("OST-1", "Ost") + `,` + purchase("OST-2", "Nord") + `,` + purchase("WBZ-9", "Ost") + `]}`
	r := invoke(t, h, signedWith(t, "other-dealer", otherDealerSecret, body, "msg_other"))
	if r.Status != 202 || r.Body["accepted"] != 1.0 || r.Body["rejected"] != 2.0 {
		t.Fatalf("batch: %d %s", r.Status, r.Raw)
	}
	want := []string{"", "purchases[1].dealerGroup", "purchases[2].externalSystemId"}
	for i, res := range r.Body["results"].([]any) {
		m := res.(map[string]any)
		if want[i] == "" {
			continue
		}
		e, _ := m["error"].(map[string]any)
		if m["status"] != "rejected" || e["code"] != "not_allowed" || e["field"] != want[i] {
			t.Errorf("purchase %d: %v, want not_allowed on %s", i, m, want[i])
		}
	}
	o, err := store.Get(context.Background(), "dealer-OST-1")
	if err != nil {
		t.Fatal(err)
	}
	if o.SourceDetails["dealerSystem"] != "other-dealer" {
		t.Errorf("the order does not name its dealer system: %v", o.SourceDetails)
	}
	for _, id := range []string{"dealer-OST-2", "dealer-WBZ-9"} {
		if _, err := store.Get(context.Background(), id); err == nil {
			t.Errorf("%s was stored for a key that may not submit it", id)
		}
	}
}

func TestABatchMustNameAKeyThatSignedIt(t *testing.T) {
	h := newHandler(t, memstore.New())
	body := `{"purchases":[` + purchase("WBZ-1", "Nord") + `]}`
	for name, req := range map[string]events.APIGatewayV2HTTPRequest{
		"no key id":                   signedWith(t, "", localDealerSecret, body, "msg_1"),
		"unknown key id":              signedWith(t, "west-dealer", localDealerSecret, body, "msg_2"),
		"another system's key id":     signedWith(t, "other-dealer", localDealerSecret, body, "msg_3"),
		"its id, another key's bytes": signedWith(t, scenario.DealerKeyID, otherDealerSecret, body, "msg_4"),
	} {
		if r := invoke(t, h, req); r.Status != 401 {
			t.Errorf("%s: %d %s", name, r.Status, r.Raw)
		}
	}
	if r := invoke(t, h, signedWith(t, scenario.DealerKeyID, localDealerSecret, body, "msg_5")); r.Status != 202 {
		t.Fatalf("the right key: %d %s", r.Status, r.Raw)
	}
}

// A key removed in the newest version of the secret verifies only while the secret still yields
// the version that has it: the rotation grace (shared/secrets) bounds how long.
func TestARevokedKeyLastsAsLongAsItsVersion(t *testing.T) {
	h := newHandler(t, memstore.New())
	withoutOther := `{"keys":[{"id":"` + scenario.DealerKeyID + `","secret":"` + localDealerSecret + `","groups":["Nord"],"idPrefix":"WBZ-"}]}`
	body := `{"purchases":[` + purchase("OST-7", "Ost") + `]}`
	h.DealerKeys = secrets.Static{withoutOther, testDealerKeys} // newest first; the previous within its grace
	if r := invoke(t, h, signedWith(t, "other-dealer", otherDealerSecret, body, "msg_a")); r.Status != 202 {
		t.Fatalf("within the grace: %d %s", r.Status, r.Raw)
	}
	h.DealerKeys = secrets.Static{withoutOther} // the grace is over
	if r := invoke(t, h, signedWith(t, "other-dealer", otherDealerSecret, body, "msg_b")); r.Status != 401 {
		t.Fatalf("after the grace: %d %s", r.Status, r.Raw)
	}
}

func TestMalformedKeysAreOurFailureNotTheSenders(t *testing.T) {
	h := newHandler(t, memstore.New())
	h.DealerKeys = secrets.Static{scenario.DealerSecret} // a bare secret from before keys had ids
	if r := invoke(t, h, fixture(t, "dealer-batch.json")); r.Status != 503 {
		t.Fatalf("unreadable keys: %d %s", r.Status, r.Raw)
	}
}
