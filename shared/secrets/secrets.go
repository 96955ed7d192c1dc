// Package secrets gives functions the values of their credentials: from AWS Secrets Manager in AWS
// (fetched on first use, never at init, cached, with the previous version kept valid during a
// rotation) or from the environment locally.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager/types"
)

// Source yields the currently valid values of one secret, the newest first.
type Source interface {
	Values(ctx context.Context) ([]string, error)
}

// Static is a fixed list of values, for local runs and tests.
type Static []string

// Values implements Source.
func (s Static) Values(context.Context) ([]string, error) {
	if len(s) == 0 {
		return nil, errors.New("no secret configured")
	}
	return s, nil
}

// ParseList reads a comma-separated list of values, as local configuration gives them.
func ParseList(s string) Static {
	var out Static
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// GetSecretValueAPI is the one Secrets Manager call this package makes.
type GetSecretValueAPI interface {
	GetSecretValue(ctx context.Context, in *secretsmanager.GetSecretValueInput, opts ...func(*secretsmanager.Options)) (*secretsmanager.GetSecretValueOutput, error)
}

// Manager reads a secret's AWSCURRENT and AWSPREVIOUS versions and caches them for TTL. When a
// refresh fails it keeps serving the cached values rather than locking everybody out, and logs it.
type Manager struct {
	API      GetSecretValueAPI
	SecretID string
	TTL      time.Duration
	Log      *slog.Logger
	Now      func() time.Time

	mu      sync.Mutex
	values  []string
	fetched time.Time
}

// Values implements Source. It is safe for concurrent use.
func (m *Manager) Values(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.Now()
	if m.values != nil && now.Sub(m.fetched) < m.TTL {
		return m.values, nil
	}
	vals, err := m.fetch(ctx)
	if err != nil {
		if m.values != nil {
			m.Log.WarnContext(ctx, "secret refresh failed; using cached values", "secret", m.SecretID, "error", err.Error())
			m.fetched = now
			return m.values, nil
		}
		return nil, err
	}
	m.values, m.fetched = vals, now
	return vals, nil
}

func (m *Manager) fetch(ctx context.Context) ([]string, error) {
	var vals []string
	for _, stage := range []string{"AWSCURRENT", "AWSPREVIOUS"} {
		out, err := m.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &m.SecretID, VersionStage: aws.String(stage)})
		var nf *types.ResourceNotFoundException
		switch {
		case err == nil:
			if v := strings.TrimSpace(aws.ToString(out.SecretString)); v != "" {
				vals = append(vals, v)
			}
		case stage == "AWSPREVIOUS" && errors.As(err, &nf):
			// No rotation has happened yet.
		default:
			return nil, fmt.Errorf("read secret %s (%s): %w", m.SecretID, stage, err)
		}
	}
	if len(vals) == 0 {
		return nil, fmt.Errorf("secret %s is empty", m.SecretID)
	}
	return vals, nil
}

// TTL is how long fetched secrets are trusted before they are read again, so a rotation reaches
// warm functions within minutes.
const TTL = 5 * time.Minute

// FromARNOrList returns a Manager for arn when one is given (in AWS), else the comma-separated local
// values.
func FromARNOrList(api GetSecretValueAPI, arn, local string, log *slog.Logger) Source {
	if arn != "" {
		return &Manager{API: api, SecretID: arn, TTL: TTL, Log: log, Now: time.Now}
	}
	return ParseList(local)
}

// Ref says where a secret's values come from: its Secrets Manager ARN in AWS, or comma-separated
// values in a local run. Functions' configurations hold Refs, never values read at start-up.
type Ref struct {
	ARN   string
	Local string
}

// Source returns the values' source: a Manager for the ARN when one is given, else the local values.
func (r Ref) Source(api GetSecretValueAPI, log *slog.Logger) Source {
	return FromARNOrList(api, r.ARN, r.Local, log)
}
