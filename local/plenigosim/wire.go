package plenigosim

import (
	"encoding/json"
	"net/http"
)

type validationError struct {
	Field string `json:"field"`
	Error string `json:"error"`
	Value string `json:"value"`
}

func writeErr(w http.ResponseWriter, status, code int, msg string, v []validationError) {
	body := map[string]any{"errorCode": code, "errorMessage": msg}
	if len(v) > 0 {
		body["validationErrors"] = v
	}
	writeJSON(w, status, body)
}

// statusMessages are plenigo's messages for the answers the kit gives itself (faults, unknown routes).
var statusMessages = map[int]string{
	404: "Entity for given id does not exist.",
	429: "The rate limit for this endpoint is reached. Please try again later.",
	500: "Currently we are not able to answer your request. We are working hard to resolve this problem.",
	502: "Bad Gateway.",
	503: "Service is temporarily unavailable. Please try again later.",
	504: "Service is taking too long to respond. Please try again later.",
}

// writeStatus is the kit's error writer: plenigo's body with error code 99000 + status. A 429 keeps
// the kit's Retry-After header only when Config.RetryAfter asks for one.
func (s *Sim) writeStatus(w http.ResponseWriter, status int) {
	if status == http.StatusTooManyRequests {
		s.mu.Lock()
		send := s.cfg.RetryAfter != 0
		s.mu.Unlock()
		if !send {
			w.Header().Del("Retry-After")
		}
	}
	msg, ok := statusMessages[status]
	if !ok {
		msg = http.StatusText(status) + "."
	}
	writeErr(w, status, 99000+status, msg, nil)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body the way plenigo refuses bad ones: 99001 missing, 99002 not JSON.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength == 0 {
		writeErr(w, 400, 99001, "Request body is missing.", nil)
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeErr(w, 400, 99002, "Request body format is not valid json.", nil)
		return false
	}
	return true
}

// invalid is plenigo's answer to a body that breaks the schema: 400, 99400 and the fields.
func invalid(w http.ResponseWriter, v []validationError) {
	writeErr(w, 400, 99400, "Provided data cannot be processed.", v)
}
