package plentysim

import (
	"net/http/httptest"
	"testing"
)

// Serve runs a simulator with cfg on httptest for the test's lifetime and returns it with its base
// URL: the routes live below base + "/rest", as on a plentymarkets system's own host.
func Serve(t testing.TB, cfg Config) (*Sim, string) {
	t.Helper()
	s := New(cfg)
	srv := httptest.NewServer(s)
	t.Cleanup(func() { s.Close(); srv.Close() })
	return s, srv.URL
}
