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
	404: "Not found.",
	429: "Rate limit reached.",
	500: "Internal error.",
	502: "Bad gateway.",
	503: "Temporarily unavailable.",
	504: "Gateway timeout.",
}

// writeStatus is the kit's error writer: plenigo's body with error code 99000 + status.
func writeStatus(w http.ResponseWriter, status int) {
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
		writeErr(w, 400, 99001, "Body is missing.", nil)
		return false
	}
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeErr(w, 400, 99002, "Body is not valid JSON.", nil)
		return false
	}
	return true
}
