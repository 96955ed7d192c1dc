package plenty

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/records"
)

// plentymarkets caps the back end sessions a system may have at once (3 unless the contract says
// more), and the merchant's own staff count against the cap. So every function and execution
// environment of orderhub uses one session: its token is a record in the records store, read by
// all and renewed shortly before it expires by one caller holding a lease. Each client keeps a warm
// copy, so a call reads the store only when the copy is due for renewal.

// Records kinds and lease names of the shared session.
const (
	SessionKind        = "plenty-session"
	sessionLeasePrefix = "plenty-login|"
)

// Defaults of the session handling.
const (
	DefaultRenewBefore = 10 * time.Minute
	DefaultLoginWait   = 5 * time.Second
	DefaultLoginLease  = 30 * time.Second
	// DefaultSessionsFullWait is how long nobody tries to log in again after plentymarkets refused
	// a session because the cap is reached: the lease is held that long.
	DefaultSessionsFullWait = time.Minute
	// defaultTokenLifetime is used when a login answer does not say (plentymarkets' is 24 hours).
	defaultTokenLifetime = 24 * time.Hour
	// renewRetry is how long a client keeps using a still valid token after a failed renewal
	// before it tries again.
	renewRetry = 30 * time.Second
	loginPoll  = 100 * time.Millisecond
)

// SessionRecord is the shared session as the records store keeps it. The token is a credential:
// never log it.
type SessionRecord struct {
	AccessToken string    `json:"accessToken"`
	ExpiresAt   time.Time `json:"expiresAt"`
}

// SessionKey is the records key of the session of user on the system at baseURL.
func SessionKey(baseURL, user string) string { return normalizeBase(baseURL) + "|" + user }

// session is a client's warm copy of the shared session.
type session struct {
	mu          sync.Mutex
	rec         SessionRecord
	renewAfter  time.Time // no renewal attempt before this, after one failed while the token was valid
	renewSerial sync.Mutex
	// refused is the last token plentymarkets refused: never taken up again, from the store or from
	// a sibling goroutine that read it before it was dropped.
	refused string
}

func (s *session) get() SessionRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec
}

func (s *session) set(r SessionRecord) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r.AccessToken != "" && r.AccessToken == s.refused {
		return
	}
	s.rec = r
}

// isRefused reports whether tok is the token plentymarkets last refused.
func (s *session) isRefused(tok string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return tok != "" && tok == s.refused
}

// fresh reports whether r can be used without renewing it.
func (c *Client) fresh(r SessionRecord, now time.Time) bool {
	return r.AccessToken != "" && now.Before(r.ExpiresAt.Add(-c.renewBefore()))
}

// valid reports whether r can still be used at all.
func valid(r SessionRecord, now time.Time) bool {
	return r.AccessToken != "" && now.Before(r.ExpiresAt)
}

func (c *Client) renewBefore() time.Duration {
	if c.RenewBefore > 0 {
		return c.RenewBefore
	}
	return DefaultRenewBefore
}

// token returns the shared session's token, logging in when nobody has a fresh one.
func (c *Client) token(ctx context.Context, op string) (string, error) {
	if r := c.session.get(); c.fresh(r, c.now()) {
		return r.AccessToken, nil
	}
	// One goroutine of this client renews; the others wait here and find its result.
	c.session.renewSerial.Lock()
	defer c.session.renewSerial.Unlock()
	now := c.now()
	warm := c.session.get()
	if c.fresh(warm, now) {
		return warm.AccessToken, nil
	}
	user, password, err := c.credentials(ctx)
	if err != nil {
		return "", &Error{Op: op, Err: err, unsent: true}
	}
	if c.Sessions == nil {
		return "", &Error{Op: op, Err: fmt.Errorf("%w: no session store configured", errRequest), unsent: true}
	}
	key := SessionKey(c.BaseURL, user)
	rec, _, err := records.Get[SessionRecord](ctx, c.Sessions, SessionKind, key)
	switch {
	case errors.Is(err, records.ErrNotFound):
		rec = SessionRecord{}
	case err != nil:
		if valid(warm, now) {
			return warm.AccessToken, nil // renew later; the store is down now
		}
		return "", &Error{Op: op, Err: fmt.Errorf("read the shared session: %w", err), unsent: true}
	case c.session.isRefused(rec.AccessToken):
		rec = SessionRecord{} // the store still holds what plentymarkets refused: log in anew
	}
	if c.fresh(rec, now) {
		c.session.set(rec)
		return rec.AccessToken, nil
	}
	if valid(rec, now) && time.Now().Before(c.renewAfterTime()) {
		c.session.set(rec)
		return rec.AccessToken, nil // a renewal failed a moment ago; the token still works
	}
	return c.renew(ctx, op, key, user, password, rec)
}

func (c *Client) renewAfterTime() time.Time {
	c.session.mu.Lock()
	defer c.session.mu.Unlock()
	return c.session.renewAfter
}

// renew logs in under the login lease and saves the new session for everybody. Without the lease
// it uses the old token while that is valid, and otherwise waits briefly for the holder's session.
func (c *Client) renew(ctx context.Context, op, key, user, password string, rec SessionRecord) (string, error) {
	lease := sessionLeasePrefix + key
	owner := leaseOwner()
	deadline := time.Now().Add(c.loginWait())
	for {
		now := c.now()
		// The lease guards a login, which takes real time: it runs on the wall clock, whatever
		// clock the session's expiry is measured on.
		got, err := c.Sessions.AcquireLease(ctx, lease, owner, time.Now(), c.loginLease())
		if err != nil {
			if valid(rec, now) {
				c.session.set(rec)
				return rec.AccessToken, nil
			}
			return "", &Error{Op: op, Err: fmt.Errorf("take the login lease: %w", err), unsent: true}
		}
		if got {
			return c.loginHolding(ctx, op, key, user, password, lease, owner)
		}
		if valid(rec, now) {
			c.session.set(rec)
			return rec.AccessToken, nil // another caller is renewing it
		}
		if time.Now().After(deadline) {
			return "", &Error{Op: op, Throttled: true, unsent: true,
				Message: "another caller holds the login lease (logging in, or waiting after plentymarkets refused a session)"}
		}
		if err := backoff.Sleep(ctx, loginPoll); err != nil {
			return "", &Error{Op: op, Err: err, unsent: true}
		}
		if r, _, err := records.Get[SessionRecord](ctx, c.Sessions, SessionKind, key); err == nil {
			rec = r
			if c.fresh(rec, c.now()) {
				c.session.set(rec)
				return rec.AccessToken, nil
			}
		}
	}
}

// loginHolding logs in while holding the lease and publishes the session.
func (c *Client) loginHolding(ctx context.Context, op, key, user, password, lease, owner string) (string, error) {
	release := true
	defer func() {
		if release {
			_ = c.Sessions.ReleaseLease(context.WithoutCancel(ctx), lease, owner)
		}
	}()
	// Someone may have saved a session between our read and the lease.
	rec, version, err := records.Get[SessionRecord](ctx, c.Sessions, SessionKind, key)
	switch {
	case errors.Is(err, records.ErrNotFound):
		rec, version = SessionRecord{}, 0
	case err != nil:
		return "", &Error{Op: op, Err: fmt.Errorf("read the shared session: %w", err), unsent: true}
	}
	if c.fresh(rec, c.now()) {
		c.session.set(rec)
		return rec.AccessToken, nil
	}
	lctx, cancel := context.WithTimeout(ctx, c.loginLease()*2/3) // done before the lease runs out
	defer cancel()
	fresh, err := c.login(lctx, user, password)
	if err != nil {
		var full *Error
		if errors.As(err, &full) && full.SessionsFull {
			// Nobody tries again for a while: each attempt could take a session the moment one
			// frees up, and the merchant's staff need them.
			release = false
			full.RetryAfter = c.sessionsFullWait()
			_, _ = c.Sessions.AcquireLease(context.WithoutCancel(ctx), lease, owner, time.Now(), c.sessionsFullWait())
			c.log().ErrorContext(ctx, "plenty: plentymarkets refused a session: every concurrent back end session is in use; "+
				"orderhub will not log in again for a while. The merchant's staff may be locked out of the back end too.",
				"maxSessions", full.MaxSessions, "wait", c.sessionsFullWait().String(), "user", user)
		}
		if valid(rec, c.now()) {
			c.session.mu.Lock()
			c.session.renewAfter = time.Now().Add(renewRetry)
			c.session.mu.Unlock()
			c.session.set(rec)
			c.log().WarnContext(ctx, "plenty: renewing the session failed; the old one is still valid", "error", err.Error())
			return rec.AccessToken, nil
		}
		return "", err
	}
	for attempt := 0; ; attempt++ {
		err := c.Sessions.Save(ctx, SessionKind, key, fresh, version)
		if err == nil {
			break
		}
		theirs, v, lerr := records.Get[SessionRecord](ctx, c.Sessions, SessionKind, key)
		if !errors.Is(err, records.ErrStale) || lerr != nil || attempt == 3 {
			c.log().WarnContext(ctx, "plenty: saving the shared session failed; using it in this environment only", "error", err.Error())
			break
		}
		if c.fresh(theirs, c.now()) {
			// Another caller logged in too (its lease ran out): use its session, end ours.
			c.logout(ctx, fresh.AccessToken)
			c.session.set(theirs)
			return theirs.AccessToken, nil
		}
		version = v // someone dropped the old token meanwhile (a 401): ours replaces it
	}
	c.session.set(fresh)
	c.log().InfoContext(ctx, "plenty: logged in; the session is shared", "user", user, "expiresAt", fresh.ExpiresAt)
	return fresh.AccessToken, nil
}

// invalidate drops a token plentymarkets refused: from the warm copy, and from the store if the
// store still holds that very token (a version check, so a session someone saved since stays).
func (c *Client) invalidate(ctx context.Context, failed string) {
	c.session.mu.Lock()
	if c.session.rec.AccessToken == failed {
		c.session.rec = SessionRecord{}
	}
	c.session.refused = failed
	c.session.renewAfter = time.Time{}
	c.session.mu.Unlock()
	user, _, err := c.credentials(ctx)
	if err != nil || c.Sessions == nil {
		return
	}
	key := SessionKey(c.BaseURL, user)
	rec, version, err := records.Get[SessionRecord](ctx, c.Sessions, SessionKind, key)
	if err == nil && rec.AccessToken == failed {
		_ = c.Sessions.Save(ctx, SessionKind, key, SessionRecord{}, version) // ErrStale: someone else acted
	}
}

// credentials returns the user and password. Its errors never carry the credentials.
func (c *Client) credentials(ctx context.Context) (user, password string, err error) {
	if c.Credentials == nil {
		return "", "", fmt.Errorf("%w: none configured", errCredentials)
	}
	vals, err := c.Credentials.Values(ctx)
	if err != nil {
		return "", "", fmt.Errorf("credentials unavailable: %w", err)
	}
	user, password, ok := strings.Cut(vals[0], ":")
	if !ok || user == "" {
		return "", "", errCredentials
	}
	return user, password, nil
}

func (c *Client) loginWait() time.Duration {
	if c.LoginWait > 0 {
		return c.LoginWait
	}
	return DefaultLoginWait
}

func (c *Client) loginLease() time.Duration {
	if c.LoginLease > 0 {
		return c.LoginLease
	}
	return DefaultLoginLease
}

func (c *Client) sessionsFullWait() time.Duration {
	if c.SessionsFullWait > 0 {
		return c.SessionsFullWait
	}
	return DefaultSessionsFullWait
}

func leaseOwner() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
