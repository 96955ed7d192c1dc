package signature

import (
	"errors"
	"strconv"
	"testing"
	"time"
)

const (
	secret    = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	rotatedTo = "whsec_c2Vjb25kLXNlY3JldC1vZi1hdC1sZWFzdC0xNg=="
)

func TestVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	body := []byte(`{"purchases":[]}`)
	good, err := Sign(secret, "msg_1", now, body)
	if err != nil {
		t.Fatal(err)
	}
	newKey, _ := Sign(rotatedTo, "msg_1", now, body)
	ts := strconv.FormatInt(now.Unix(), 10)
	cases := map[string]struct {
		id, ts, sig string
		body        []byte
		at          time.Time
		want        error
	}{
		"valid":                        {"msg_1", ts, good, body, now, nil},
		"valid among several":          {"msg_1", ts, "v1,AAAA " + good, body, now, nil},
		"signed with the rotated key":  {"msg_1", ts, newKey, body, now, nil},
		"body changed":                 {"msg_1", ts, good, []byte(`{"purchases":[1]}`), now, ErrSignature},
		"id changed":                   {"msg_2", ts, good, body, now, ErrSignature},
		"unknown version":              {"msg_1", ts, "v2," + good[3:], body, now, ErrSignature},
		"garbage signature":            {"msg_1", ts, "v1,!!!", body, now, ErrSignature},
		"too old":                      {"msg_1", ts, good, body, now.Add(DefaultTolerance + time.Second), ErrTimestamp},
		"too new":                      {"msg_1", ts, good, body, now.Add(-DefaultTolerance - time.Second), ErrTimestamp},
		"timestamp not a number":       {"msg_1", "soon", good, body, now, ErrTimestamp},
		"missing id":                   {"", ts, good, body, now, ErrMissingHeaders},
		"missing signature":            {"msg_1", ts, "", body, now, ErrMissingHeaders},
		"at the edge of the tolerance": {"msg_1", ts, good, body, now.Add(DefaultTolerance), nil},
	}
	v, err := NewVerifier(secret, rotatedTo)
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			if err := v.Verify(c.id, c.ts, c.sig, c.body, c.at); !errors.Is(err, c.want) {
				t.Fatalf("Verify = %v, want %v", err, c.want)
			}
		})
	}
}

func TestOldKeyStopsVerifyingAfterRotation(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	sig, _ := Sign(secret, "m", now, nil)
	v, _ := NewVerifier(rotatedTo)
	if err := v.Verify("m", strconv.FormatInt(now.Unix(), 10), sig, nil, now); !errors.Is(err, ErrSignature) {
		t.Fatalf("a retired key still verifies: %v", err)
	}
}

func TestNewVerifierRefusesBadSecrets(t *testing.T) {
	for _, s := range []string{"", "whsec_not base64!", "whsec_c2hvcnQ="} {
		if _, err := NewVerifier(s); err == nil {
			t.Errorf("secret %q accepted", s)
		}
	}
	if _, err := NewVerifier(); err == nil {
		t.Error("a verifier without secrets was built")
	}
}

// TestStandardWebhooksVector checks interoperability with the scheme's published example, so
// dealer systems can use any Standard Webhooks library to sign.
func TestStandardWebhooksVector(t *testing.T) {
	got, err := Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", time.Unix(1614265330, 0), []byte(`{"test": 2432232314}`))
	if err != nil {
		t.Fatal(err)
	}
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Fatalf("Sign = %s, want %s", got, want)
	}
}
