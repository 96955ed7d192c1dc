package plentysim

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

// plentymarkets' REST login is a backend user's: POST /rest/login with username and password gives
// a Bearer access token for 24 hours and a refresh token. Only so many backend users may be logged in
// at once (3 unless the contract says more); one more login is answered 429. A logout ends the
// session; POST /rest/login/refresh swaps the tokens for new ones.

// The user ids the simulator writes into status histories: the REST user's (the subject of
// plentymarkets' example token) and the merchant's, who works in the back end.
const (
	restUserID     = 3
	merchantUserID = 1
)

// session is one login: its current tokens and when the access token expires.
type session struct {
	access, refresh string
	expires         time.Time
	closed          bool // logged out
}

// open reports whether the session holds one of the concurrent places: not logged out, token valid.
func (ss *session) open(now time.Time) bool { return !ss.closed && now.Before(ss.expires) }

// openSessions counts the open sessions; the caller holds s.mu.
func (s *Sim) openSessions(now time.Time) int {
	n := 0
	for _, ss := range s.sessions {
		if ss.open(now) {
			n++
		}
	}
	return n
}

// OpenSessions returns how many sessions hold an unexpired token now.
func (s *Sim) OpenSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.openSessions(s.clock.Now())
}

// PeakSessions returns the most sessions that were open at once.
func (s *Sim) PeakSessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak
}

// Logins returns how many logins succeeded (refreshes not counted).
func (s *Sim) Logins() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.logins
}

// ExpireTokens makes every access token issued so far expire now, as 24 hours passing would: calls
// with them get 401, and their sessions no longer count against the cap. Refresh tokens stay valid.
func (s *Sim) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.clock.Now()
	for _, ss := range s.sessions {
		if ss.expires.After(now) {
			ss.expires = now
		}
	}
}

// bearerToken is the token of an "Authorization: Bearer …" header.
func bearerToken(r *http.Request) string {
	scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(tok)
}

// bearer returns the open session a request's Bearer token belongs to.
func (s *Sim) bearer(r *http.Request) (*session, bool) {
	tok := bearerToken(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	ss := s.byAccess[tok]
	if tok == "" || ss == nil || !ss.open(s.clock.Now()) {
		return nil, false
	}
	return ss, true
}

// unauthenticated answers a call without a valid token: 401, with the wording plentymarkets'
// OpenAPI description gives for it, in an OAuth-style body.
func unauthenticated(w http.ResponseWriter) {
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "access_denied",
		"message": "The resource owner or authorization server denied the request."})
}

// loginAnswer is what a login answers: the token in plentymarkets' documented snake_case and in the
// camelCase its refresh route and many clients use, with the session counts.
type loginAnswer struct {
	TokenType          string `json:"token_type"`
	ExpiresIn          int    `json:"expires_in"`
	AccessToken        string `json:"access_token"`
	RefreshToken       string `json:"refresh_token"`
	ConcurrentSessions int    `json:"concurrent_sessions"`
	MaxCurrentSessions int    `json:"max_current_sessions"`
	tokenData
}

// tokenData is plentymarkets' TokenData, the refresh route's answer.
type tokenData struct {
	AccessToken  string `json:"accessToken"`
	TokenType    string `json:"tokenType"`
	ExpiresIn    int    `json:"expiresIn"`
	RefreshToken string `json:"refreshToken"`
}

// readFields reads a request's fields from a JSON object body, or else from a form body and the
// query string. JSON values that are not strings are written as their JSON text.
func readFields(r *http.Request) map[string]string {
	out := map[string]string{}
	body, _ := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if t := bytes.TrimSpace(body); len(t) > 0 && t[0] == '{' {
		var m map[string]json.RawMessage
		if json.Unmarshal(t, &m) == nil {
			for k, raw := range m {
				var str string
				if json.Unmarshal(raw, &str) == nil {
					out[k] = str
				} else {
					out[k] = string(raw)
				}
			}
		}
		body = nil
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/") {
		_ = r.ParseMultipartForm(maxBody)
	} else {
		_ = r.ParseForm()
	}
	for k, vs := range r.Form {
		if _, set := out[k]; !set && len(vs) > 0 {
			out[k] = vs[0]
		}
	}
	return out
}

// maxBody bounds a request body.
const maxBody = 1 << 20

// login is POST /rest/login: credentials as JSON, as a form or in the query string.
func (s *Sim) login(w http.ResponseWriter, r *http.Request) {
	f := readFields(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if f["username"] != s.cfg.User || f["password"] != s.cfg.Password || f["username"] == "" {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_credentials",
			"message": "The user credentials were incorrect."})
		return
	}
	now := s.clock.Now()
	if s.openSessions(now) >= s.cfg.MaxSessions {
		s.tooManySessions(w)
		return
	}
	ss := &session{}
	s.issue(ss, now)
	s.sessions = append(s.sessions, ss)
	s.logins++
	open := s.openSessions(now)
	s.peak = max(s.peak, open)
	td := s.tokenData(ss)
	writeJSON(w, http.StatusOK, loginAnswer{TokenType: td.TokenType, ExpiresIn: td.ExpiresIn,
		AccessToken: td.AccessToken, RefreshToken: td.RefreshToken, ConcurrentSessions: open,
		MaxCurrentSessions: s.cfg.MaxSessions, tokenData: td})
}

// tooManySessions answers a login over the cap with plentymarkets' documented body; the caller
// holds s.mu.
func (s *Sim) tooManySessions(w http.ResponseWriter) {
	n := s.cfg.MaxSessions
	writeJSON(w, http.StatusTooManyRequests, struct {
		Error              string `json:"error"`
		MaxCurrentSessions int    `json:"max_current_sessions"`
		Message            string `json:"message"`
	}{"too_many_concurrent_sessions", n, fmt.Sprintf("Too many users. Only %d users can be logged in "+
		"simultaneously in the back end. Try again soon or upgrade your contract (https://www.plentymarkets.eu/preise/)", n)})
}

// refresh is POST /rest/login/refresh. plentymarkets does not document its request; clients send the
// refresh token as a form field (refresh_token), as JSON (refreshToken) or not at all, relying on the
// Bearer header. The simulator takes any of them; a Bearer token may have expired. The old tokens
// stop working; the answer is TokenData in camelCase only.
func (s *Sim) refresh(w http.ResponseWriter, r *http.Request) {
	f := readFields(r)
	rt := f["refreshToken"]
	if rt == "" {
		rt = f["refresh_token"]
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var ss *session
	if rt != "" {
		ss = s.byRefresh[rt]
	} else if tok := bearerToken(r); tok != "" {
		ss = s.byAccess[tok]
	}
	if ss == nil || ss.closed {
		unauthenticated(w)
		return
	}
	now := s.clock.Now()
	if !ss.open(now) && s.openSessions(now) >= s.cfg.MaxSessions {
		s.tooManySessions(w)
		return
	}
	delete(s.byAccess, ss.access)
	delete(s.byRefresh, ss.refresh)
	s.issue(ss, now)
	s.peak = max(s.peak, s.openSessions(now))
	writeJSON(w, http.StatusOK, s.tokenData(ss))
}

// logout is POST /rest/logout: the token stops working and its session frees its place. It answers
// 200 with no body.
func (s *Sim) logout(w http.ResponseWriter, r *http.Request) {
	tok := bearerToken(r)
	s.mu.Lock()
	if ss := s.byAccess[tok]; ss != nil {
		ss.closed = true
		delete(s.byAccess, ss.access)
		delete(s.byRefresh, ss.refresh)
		s.sessions = removeSession(s.sessions, ss)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func removeSession(list []*session, ss *session) []*session {
	for i, x := range list {
		if x == ss {
			return append(list[:i], list[i+1:]...)
		}
	}
	return list
}

// issue gives a session new tokens valid for the TTL; the caller holds s.mu.
func (s *Sim) issue(ss *session, now time.Time) {
	s.tokenSeq++
	ss.expires = now.Add(s.cfg.TokenTTL)
	ss.access, ss.refresh = s.tokens(s.tokenSeq, now, ss.expires)
	s.byAccess[ss.access] = ss
	s.byRefresh[ss.refresh] = ss
}

func (s *Sim) tokenData(ss *session) tokenData {
	return tokenData{AccessToken: ss.access, TokenType: "Bearer", ExpiresIn: int(s.cfg.TokenTTL / time.Second),
		RefreshToken: ss.refresh}
}

// tokens makes an access token shaped as plentymarkets' (a JWT signed RS256, subject the user id,
// scopes ["*"]) and an opaque refresh token. Clients must not read either.
func (s *Sim) tokens(seq int, now, expires time.Time) (access, refresh string) {
	sum := sha256.Sum256(fmt.Appendf(nil, "plentysim access %d", seq))
	jti := hex.EncodeToString(sum[:])
	b64 := base64.RawURLEncoding.EncodeToString
	header := b64(fmt.Appendf(nil, `{"typ":"JWT","alg":"RS256","jti":"%s"}`, jti))
	claims := b64(fmt.Appendf(nil, `{"aud":"1","jti":"%s","iat":%d,"nbf":%d,"exp":%d,"sub":"%d","scopes":["*"]}`,
		jti, now.Unix(), now.Unix(), expires.Unix(), restUserID))
	sig := sha256.Sum256([]byte(jti + " signature"))
	rsum := sha256.Sum256(fmt.Appendf(nil, "plentysim refresh %d", seq))
	return header + "." + claims + "." + b64(sig[:]), "def50200" + hex.EncodeToString(rsum[:])
}
