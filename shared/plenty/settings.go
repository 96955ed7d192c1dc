package plenty

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/secrets"
)

// Environment variables of the functions that call plentymarkets.
const (
	EnvBaseURL              = "PLENTY_BASE_URL"               // the system's own host; no default
	EnvCredentialsSecretARN = "PLENTY_CREDENTIALS_SECRET_ARN" // a secret string "user:password"
	EnvCredentials          = "ORDERHUB_PLENTY_CREDENTIALS"   // local runs: "user:password" itself
	EnvAttemptTimeout       = "PLENTY_ATTEMPT_TIMEOUT"
	EnvPlentyID             = "PLENTY_ID" // the client (shop) of the system whose orders are read; 0 for all
)

// Settings is how a function reaches plentymarkets.
type Settings struct {
	BaseURL        string
	Credentials    secrets.Ref
	AttemptTimeout time.Duration
	PlentyID       int
}

// ReadSettings reads the settings from the environment. The base URL is required: every merchant's
// system has its own host.
func ReadSettings(env *envconfig.Reader) Settings {
	return Settings{
		BaseURL:        env.Require(EnvBaseURL),
		Credentials:    secrets.Ref{ARN: env.Or(EnvCredentialsSecretARN, ""), Local: env.Or(EnvCredentials, "")},
		AttemptTimeout: env.Duration(EnvAttemptTimeout, partner.DefaultPolicy.AttemptTimeout),
		PlentyID:       env.Int(EnvPlentyID, 0),
	}
}

// Client builds the client the settings describe; sessions keeps the session all environments
// share. Local credentials are one "user:password" value, taken whole: secrets.Ref would split it
// at commas, which a password may contain.
func (s Settings) Client(api secrets.GetSecretValueAPI, sessions records.Store, hc *http.Client, log *slog.Logger) *Client {
	var creds secrets.Source
	if s.Credentials.ARN == "" {
		if v := strings.TrimSpace(s.Credentials.Local); v != "" {
			creds = secrets.Static{v}
		} else {
			creds = noCredentials{}
		}
	} else {
		creds = s.Credentials.Source(api, log)
	}
	c := New(s.BaseURL, creds, sessions, hc)
	c.PlentyID = s.PlentyID
	c.Log = log
	c.Pacer.Log = log
	if s.AttemptTimeout > 0 {
		c.AttemptTimeout = s.AttemptTimeout
	}
	return c
}

// noCredentials is the source of a function configured without credentials: every call fails as
// Unauthorized, which an operator fixes, rather than as a transient failure retried for ever.
type noCredentials struct{}

func (noCredentials) Values(context.Context) ([]string, error) {
	return nil, fmt.Errorf("%w: neither %s nor %s is set", errCredentials, EnvCredentialsSecretARN, EnvCredentials)
}
