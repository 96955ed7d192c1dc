// Package secrets gives functions the values of their credentials: from AWS Secrets Manager in AWS
// (fetched on first use, never at init, cached, with the previous version kept valid for a bounded
// grace period after a rotation) or from the environment locally.
package secrets

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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

// Manager reads a secret's AWSCURRENT and AWSPREVIOUS versions and caches them for TTL. The
// previous version is accepted only for PreviousGrace after the current version was created (its
// CreatedDate), so a rotation done to revoke a leaked value revokes it once the grace is over. When a
// refresh fails it keeps serving the cached values rather than locking everybody out, and logs it;
// the grace is still measured against the clock, so a stale cache does not extend it.
type Manager struct {
	API      GetSecretValueAPI
	SecretID string
	TTL      time.Duration
	// PreviousGrace is how long after the AWSCURRENT version was created the AWSPREVIOUS one is still
	// accepted. Zero (or less) accepts the current version only. When Secrets Manager does not say
	// when the current version was created, the previous one is not accepted.
	PreviousGrace time.Duration
	// FetchTimeout bounds one read of Secrets Manager (both versions); zero means
	// DefaultFetchTimeout. A read that takes longer fails, and the cached values, if any, are served.
	FetchTimeout time.Duration
	Log          *slog.Logger
	Now          func() time.Time

	mu      sync.Mutex
	cached  *versions
	fetched time.Time
}

// versions is what one fetch found.
type versions struct {
	values  []string  // the current value, then the previous one when there is one
	created time.Time // when the current version was created; zero when unknown
}

// valid returns the values accepted at now: the previous one only within grace of the current
// version's creation. The slices are shared; callers must not modify them.
func (v *versions) valid(now time.Time, grace time.Duration) []string {
	if len(v.values) > 1 && grace > 0 && !v.created.IsZero() && now.Before(v.created.Add(grace)) {
		return v.values
	}
	return v.values[:1:1]
}

// Values implements Source. It is safe for concurrent use.
func (m *Manager) Values(ctx context.Context) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.Now()
	if m.cached != nil && now.Sub(m.fetched) < m.TTL {
		return m.cached.valid(now, m.PreviousGrace), nil
	}
	v, err := m.fetch(ctx)
	if err != nil {
		if m.cached != nil {
			m.logger().WarnContext(ctx, "secret refresh failed; using cached values", "secret", m.SecretID, "error", err.Error())
			m.fetched = now
			return m.cached.valid(now, m.PreviousGrace), nil
		}
		return nil, err
	}
	if len(v.values) > 1 && v.created.IsZero() && m.PreviousGrace > 0 {
		m.logger().WarnContext(ctx, "secret's current version has no creation date; its previous version is not accepted", "secret", m.SecretID)
	}
	m.cached, m.fetched = v, now
	return v.valid(now, m.PreviousGrace), nil
}

func (m *Manager) logger() *slog.Logger {
	if m.Log == nil {
		return slog.Default()
	}
	return m.Log
}

func (m *Manager) fetch(ctx context.Context) (*versions, error) {
	timeout := m.FetchTimeout
	if timeout <= 0 {
		timeout = DefaultFetchTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	v := &versions{}
	for _, stage := range []string{"AWSCURRENT", "AWSPREVIOUS"} {
		out, err := m.API.GetSecretValue(ctx, &secretsmanager.GetSecretValueInput{SecretId: &m.SecretID, VersionStage: aws.String(stage)})
		var nf *types.ResourceNotFoundException
		switch {
		case err == nil && stage == "AWSCURRENT":
			val := strings.TrimSpace(aws.ToString(out.SecretString))
			if val == "" {
				return nil, fmt.Errorf("secret %s is empty", m.SecretID)
			}
			v.values, v.created = []string{val}, aws.ToTime(out.CreatedDate)
		case err == nil:
			if val := strings.TrimSpace(aws.ToString(out.SecretString)); val != "" {
				v.values = append(v.values, val)
			}
		case stage == "AWSPREVIOUS" && errors.As(err, &nf):
			// No rotation has happened yet.
		default:
			return nil, fmt.Errorf("read secret %s (%s): %w", m.SecretID, stage, err)
		}
	}
	v.values = slices.Clip(v.values)
	return v, nil
}

// DefaultFetchTimeout bounds a read of Secrets Manager: it answers in milliseconds, so seconds mean
// it is unreachable, and a request waiting on it is better answered "retry" than held until the
// function times out.
const DefaultFetchTimeout = 3 * time.Second

// TTL is how long fetched secrets are trusted before they are read again, so a rotation reaches
// warm functions within minutes.
const TTL = 5 * time.Minute

// DefaultPreviousGrace is how long functions that accept a secret from others (the receiver) keep
// accepting its previous version after a new one is created, unless configured otherwise: a day for
// senders to pick up the new value.
const DefaultPreviousGrace = 24 * time.Hour

// FromARNOrList returns a Manager for arn when one is given (in AWS), else the comma-separated local
// values. The Manager accepts the current version only; use a Ref with PreviousGrace to accept the
// previous one during a rotation.
func FromARNOrList(api GetSecretValueAPI, arn, local string, log *slog.Logger) Source {
	return Ref{ARN: arn, Local: local}.Source(api, log)
}

// Ref says where a secret's values come from: its Secrets Manager ARN in AWS, or comma-separated
// values in a local run. Functions' configurations hold Refs, never values read at start-up.
type Ref struct {
	ARN   string
	Local string
	// PreviousGrace is how long after a new version is created the previous one is still accepted
	// (Manager.PreviousGrace); zero accepts the current version only. Local values are all accepted.
	PreviousGrace time.Duration
	// Whole takes the local value as one value, not a list: a JSON document has commas of its own.
	Whole bool
}

// Source returns the values' source: a Manager for the ARN when one is given, else the local values.
func (r Ref) Source(api GetSecretValueAPI, log *slog.Logger) Source {
	if r.ARN != "" {
		return &Manager{API: api, SecretID: r.ARN, TTL: TTL, PreviousGrace: r.PreviousGrace, Log: log, Now: time.Now}
	}
	if r.Whole {
		if strings.TrimSpace(r.Local) == "" {
			return Static{}
		}
		return Static{r.Local}
	}
	return ParseList(r.Local)
}
