package plenigo

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/partner"
	"github.com/orderhub/orderhub/shared/secrets"
)

// Environment variables of the functions that call plenigo (worker and poller).
const (
	EnvBaseURL        = "PLENIGO_BASE_URL"
	EnvTokenSecretARN = "PLENIGO_TOKEN_SECRET_ARN"
	EnvToken          = "ORDERHUB_PLENIGO_TOKEN" // local runs: the token itself
	EnvAttemptTimeout = "PLENIGO_ATTEMPT_TIMEOUT"
)

// Settings is how a function reaches plenigo.
type Settings struct {
	BaseURL        string
	Token          secrets.Ref
	AttemptTimeout time.Duration
}

// ReadSettings reads the settings from the environment; production plenigo unless told otherwise.
func ReadSettings(env *envconfig.Reader) Settings {
	return Settings{
		BaseURL:        env.Or(EnvBaseURL, ProductionURL),
		Token:          secrets.Ref{ARN: env.Or(EnvTokenSecretARN, ""), Local: env.Or(EnvToken, "")},
		AttemptTimeout: env.Duration(EnvAttemptTimeout, partner.DefaultPolicy.AttemptTimeout),
	}
}

// Client builds the client the settings describe.
func (s Settings) Client(api secrets.GetSecretValueAPI, hc *http.Client, log *slog.Logger) *Client {
	c := New(s.BaseURL, s.Token.Source(api, log), hc)
	if s.AttemptTimeout > 0 {
		c.AttemptTimeout = s.AttemptTimeout
	}
	return c
}
