package plenigosim

import (
	"net/http/httptest"
	"testing"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/secrets"
)

// Serve runs a simulator with cfg on httptest for the test's lifetime and returns it with a plenigo
// client that uses token and retries after a millisecond, so faults cost tests no time.
func Serve(t testing.TB, cfg Config, token string) (*Sim, *plenigo.Client) {
	t.Helper()
	s := New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { srv.Close(); s.Close() })
	c := plenigo.New(srv.URL+Prefix, secrets.Static{token}, srv.Client())
	c.Backoff = backoff.Policy{Base: time.Millisecond, Cap: 5 * time.Millisecond}
	return s, c
}
