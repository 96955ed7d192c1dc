package bonifiq

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/secrets"
)

// Environment variables of the functions that call BonifiQ (the loyalty pusher).
const (
	EnvBaseURL              = "BONIFIQ_BASE_URL"
	EnvCredentialsSecretARN = "BONIFIQ_CREDENTIALS_SECRET_ARN" // a secret string "user:password"
	EnvCredentials          = "ORDERHUB_BONIFIQ_CREDENTIALS"   // local runs: "user:password" itself
	EnvAttemptTimeout       = "BONIFIQ_ATTEMPT_TIMEOUT"
)

// Settings is how a function reaches BonifiQ.
type Settings struct {
	BaseURL        string
	Credentials    secrets.Ref
	AttemptTimeout time.Duration
}

// ReadSettings reads the settings from the environment; production BonifiQ unless told otherwise.
func ReadSettings(env *envconfig.Reader) Settings {
	return Settings{
		BaseURL:        env.Or(EnvBaseURL, ProductionURL),
		Credentials:    secrets.Ref{ARN: env.Or(EnvCredentialsSecretARN, ""), Local: env.Or(EnvCredentials, "")},
		AttemptTimeout: env.Duration(EnvAttemptTimeout, partner.DefaultPolicy.AttemptTimeout),
	}
}

// Client builds the client the settings describe. Local credentials are one "user:password" value,
// taken whole: secrets.Ref would split it at commas, which a BonifiQ password may contain.
func (s Settings) Client(api secrets.GetSecretValueAPI, hc *http.Client, log *slog.Logger) *Client {
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
	c := New(s.BaseURL, creds, hc)
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
