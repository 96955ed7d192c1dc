package operator

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"time"

	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/bonifiq"
	"github.com/orderhub/orderhub/shared/envconfig"
	"github.com/orderhub/orderhub/shared/plenigo"
	"github.com/orderhub/orderhub/shared/plenty"
	"github.com/orderhub/orderhub/shared/reconcile"
	"github.com/orderhub/orderhub/shared/records"
	"github.com/orderhub/orderhub/shared/secrets"
)

// OpenPartners returns clients of the partners t's functions talk to, configured by the variables
// the functions read: the local stack's (PartnerEnv), or, for AWS, those samconfig.toml and the
// template give (PartnerEnv) and otherwise the same variables set in the operator's environment
// (PLENIGO_TOKEN_SECRET_ARN, PLENTY_BASE_URL, …), the secrets read with the operator's credentials. A partner whose credentials are not given is left out (nil), as is
// plentymarkets without a base URL. sessions keeps plentymarkets' shared session (the Orders table).
func OpenPartners(ctx context.Context, t Target, sessions records.Store) (reconcile.Partners, error) {
	lookup := func(k string) (string, bool) {
		if v, ok := t.PartnerEnv[k]; ok || t.Kind == Local {
			return v, ok
		}
		return os.LookupEnv(k)
	}
	env := &envconfig.Reader{Lookup: lookup}
	var api secrets.GetSecretValueAPI
	set := func(k string) bool { v, _ := lookup(k); return v != "" }
	if t.Kind == AWS && (set(plenigo.EnvTokenSecretARN) || set(plenty.EnvCredentialsSecretARN) || set(bonifiq.EnvCredentialsSecretARN)) {
		cfg, err := t.awsConfig(ctx)
		if err != nil {
			return reconcile.Partners{}, err
		}
		api = awsenv.SecretsManager(cfg)
	}
	log := slog.New(slog.DiscardHandler)
	hc := &http.Client{Timeout: 30 * time.Second}
	var p reconcile.Partners
	if set(plenigo.EnvTokenSecretARN) || set(plenigo.EnvToken) {
		p.Plenigo = plenigo.ReadSettings(env).Client(api, hc, log)
	}
	if set(plenty.EnvBaseURL) && (set(plenty.EnvCredentialsSecretARN) || set(plenty.EnvCredentials)) {
		p.Plenty = plenty.ReadSettings(env).Client(api, sessions, hc, log)
	}
	if set(bonifiq.EnvCredentialsSecretARN) || set(bonifiq.EnvCredentials) {
		p.Bonifiq = bonifiq.ReadSettings(env).Client(api, hc, log)
	}
	return p, nil
}
