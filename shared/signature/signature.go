// Package signature verifies requests signed with the Standard Webhooks scheme
// (https://www.standardwebhooks.com): an HMAC-SHA256 over "id.timestamp.body" with a timestamp
// tolerance, several signatures per request and several secrets for key rotation.
package signature

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// The request headers of the scheme (HTTP API lower-cases header names).
const (
	HeaderID        = "webhook-id"
	HeaderTimestamp = "webhook-timestamp"
	HeaderSignature = "webhook-signature"
)

// DefaultTolerance is how far a timestamp may be from now, in either direction.
const DefaultTolerance = 5 * time.Minute

// Errors Verify returns. All of them mean 401 for the caller.
var (
	ErrMissingHeaders = errors.New("webhook-id, webhook-timestamp and webhook-signature headers are required")
	ErrTimestamp      = errors.New("webhook-timestamp is not a Unix time within the tolerance")
	ErrSignature      = errors.New("no signature matches")
)

// Verifier checks signatures against one or more secrets.
type Verifier struct {
	keys      [][]byte
	Tolerance time.Duration
}

// NewVerifier accepts secrets in the scheme's format ("whsec_" followed by base64; the prefix is
// optional). Several secrets let a sender move to a new key while the old one still verifies.
func NewVerifier(secrets ...string) (*Verifier, error) {
	v := &Verifier{Tolerance: DefaultTolerance}
	for i, s := range secrets {
		k, err := Key(s)
		if err != nil {
			return nil, fmt.Errorf("secret %d: %w", i+1, err)
		}
		v.keys = append(v.keys, k)
	}
	if len(v.keys) == 0 {
		return nil, errors.New("no signing secret configured")
	}
	return v, nil
}

// Key decodes a secret into its HMAC key.
func Key(secret string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(strings.TrimSpace(secret), "whsec_"))
	if err != nil {
		return nil, errors.New("not base64 (whsec_<base64>)")
	}
	if len(k) < 16 {
		return nil, errors.New("shorter than 16 bytes")
	}
	return k, nil
}

// Verify checks the headers against the raw body at time now.
func (v *Verifier) Verify(id, timestamp, signatures string, body []byte, now time.Time) error {
	if id == "" || timestamp == "" || signatures == "" {
		return ErrMissingHeaders
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrTimestamp
	}
	if d := now.Sub(time.Unix(ts, 0)); d > v.Tolerance || d < -v.Tolerance {
		return ErrTimestamp
	}
	for _, key := range v.keys {
		want := sign(key, id, timestamp, body)
		for _, sig := range strings.Fields(signatures) {
			version, b64, ok := strings.Cut(sig, ",")
			if !ok || version != "v1" {
				continue
			}
			got, err := base64.StdEncoding.DecodeString(b64)
			if err == nil && hmac.Equal(got, want) {
				return nil
			}
		}
	}
	return ErrSignature
}

// Sign returns the webhook-signature header value for a body, as a sender computes it.
func Sign(secret, id string, ts time.Time, body []byte) (string, error) {
	key, err := Key(secret)
	if err != nil {
		return "", err
	}
	return "v1," + base64.StdEncoding.EncodeToString(sign(key, id, strconv.FormatInt(ts.Unix(), 10), body)), nil
}

func sign(key []byte, id, timestamp string, body []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	m.Write([]byte{'.'})
	m.Write([]byte(timestamp))
	m.Write([]byte{'.'})
	m.Write(body)
	return m.Sum(nil)
}
