package order

import "time"

// Event is one history entry. Seq starts at 1 and has no gaps, so entries sort and deduplicate by it.
type Event struct {
	Seq    int          `json:"seq"`
	At     time.Time    `json:"at"`
	From   State        `json:"from,omitempty"`
	To     State        `json:"to"`
	Actor  Actor        `json:"actor"`
	Reason string       `json:"reason,omitempty"`
	Call   *PartnerCall `json:"call,omitempty"`
	// Track, with TrackFrom and TrackTo, is set when the entry is a partner track's move or call;
	// From and To then both hold the order's unchanged state.
	Track     TrackName  `json:"track,omitempty"`
	TrackFrom TrackState `json:"trackFrom,omitempty"`
	TrackTo   TrackState `json:"trackTo,omitempty"`
}

// Actor is who made a change: the function and the request it served.
type Actor struct {
	Function  string `json:"function"`
	RequestID string `json:"requestId,omitempty"`
}

// PartnerCall records a call to plenigo, plentymarkets or BonifiQ and what came of it.
type PartnerCall struct {
	Partner   string `json:"partner"`
	Operation string `json:"operation"`
	Outcome   string `json:"outcome"`
	Status    int    `json:"status,omitempty"`
	Detail    string `json:"detail,omitempty"`
}
