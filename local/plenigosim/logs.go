package plenigosim

import (
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"time"
)

// logEntry is an entry of the import log. A pending entry has success false and no errorReason;
// completing it sets the outcome and a new changedDate. Refused imports read errorReason
// importFailed and errorDetail {"message": …}, with no error code.
type logEntry struct {
	ID               int64          `json:"orderImportLogEntryId"`
	CreatedDate      time.Time      `json:"createdDate"`
	ChangedDate      time.Time      `json:"changedDate"`
	ExternalSystemID string         `json:"externalSystemId"`
	PlenigoOfferID   string         `json:"plenigoOfferId"`
	Success          bool           `json:"success"`
	OrderID          int64          `json:"orderId"`
	ErrorReason      string         `json:"errorReason,omitempty"`
	ErrorDetail      map[string]any `json:"errorDetail,omitempty"`
}

// searchLogs is GET /imports/orders/logs: entries within LogRetention, filtered by startTime, endTime,
// externalSystemId, plenigoOfferId and success, sorted by id (sort=DESC reverses), paged by size
// (5 to 100; anything else falls back to 5, as plenigo does) and startingAfter an entry id.
func (s *Sim) searchLogs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	l, ok := readList(w, q)
	if !ok {
		return
	}
	size, after, since, until, desc := l.size, l.after, l.since, l.until, l.desc
	s.mu.Lock()
	defer s.mu.Unlock()
	horizon := s.now().Add(-LogRetention)
	var matched []logEntry
	for _, e := range s.logs {
		e := *e
		switch {
		case e.ChangedDate.Before(horizon):
		case !since.IsZero() && e.ChangedDate.Before(since):
		case !until.IsZero() && e.ChangedDate.After(until):
		case q.Get("externalSystemId") != "" && e.ExternalSystemID != q.Get("externalSystemId"):
		case q.Get("plenigoOfferId") != "" && e.PlenigoOfferID != q.Get("plenigoOfferId"):
		case q.Get("success") != "" && strconv.FormatBool(e.Success) != q.Get("success"):
		default:
			matched = append(matched, e)
		}
	}
	sort.Slice(matched, func(i, j int) bool {
		if desc {
			return matched[i].ID > matched[j].ID
		}
		return matched[i].ID < matched[j].ID
	})
	if after != 0 {
		for i, e := range matched {
			if e.ID == after {
				matched = matched[i+1:]
				break
			}
		}
	}
	if len(matched) > size {
		matched = matched[:size]
	}
	if matched == nil {
		matched = []logEntry{}
	}
	writeJSON(w, 200, map[string]any{"items": matched})
}

// getLog is GET /imports/orders/logs/{id}; an entry past LogRetention is gone, as on plenigo.
func (s *Sim) getLog(w http.ResponseWriter, r *http.Request) {
	n, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	s.mu.Lock()
	defer s.mu.Unlock()
	horizon := s.now().Add(-LogRetention)
	for _, e := range s.logs {
		if err == nil && e.ID == n && !e.ChangedDate.Before(horizon) {
			writeJSON(w, 200, e)
			return
		}
	}
	writeErr(w, 404, 121404, "OrderImportLogEntry for the provided id cannot be found.", nil)
}

// list is the paging and time window plenigo's list endpoints share.
type list struct {
	size         int
	after        int64
	since, until time.Time
	desc         bool
}

// readList reads size (5 to 100; anything else falls back to 5, as plenigo documents),
// startingAfter, startTime, endTime and sort, answering 400 for one it cannot read.
func readList(w http.ResponseWriter, q url.Values) (list, bool) {
	var l list
	size, err := strconv.Atoi(q.Get("size"))
	if q.Get("size") != "" && err != nil {
		writeErr(w, 400, 99006, "size is not an integer.", nil)
		return l, false
	}
	if size < 5 || size > 100 {
		size = 5
	}
	l.size = size
	if v := q.Get("startingAfter"); v != "" {
		if l.after, err = strconv.ParseInt(v, 10, 64); err != nil {
			writeErr(w, 400, 99007, "startingAfter is not an integer.", nil)
			return l, false
		}
	}
	for name, t := range map[string]*time.Time{"startTime": &l.since, "endTime": &l.until} {
		if v := q.Get(name); v != "" {
			if *t, err = time.Parse(time.RFC3339, v); err != nil {
				writeErr(w, 400, 99003, "Date is not RFC 3339.", nil)
				return l, false
			}
		}
	}
	l.desc = q.Get("sort") == "DESC"
	return l, true
}
