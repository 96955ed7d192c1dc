package lambdafn

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/aws/aws-lambda-go/events"
)

// Trigger is either event a stream consumer with a sweep schedule (the enqueuer, the loyalty
// pusher) is invoked with: a batch of stream records, or the schedule's Input ({"action":"sweep"},
// template.yaml).
type Trigger struct {
	Records []events.DynamoDBEventRecord `json:"Records"`
	Action  string                       `json:"action"`
}

// ActionSweep is the sweep schedule's action.
const ActionSweep = "sweep"

// ErrUnknownEvent is returned for an event that is neither, so it is retried and then lands in the
// schedule's or the stream's dead-letter queue for a person to see, instead of being taken for a
// sweep.
var ErrUnknownEvent = errors.New(`neither stream records nor {"action":"sweep"}`)

// ActionDigest is the failure digest's schedule's action (the enqueuer's second schedule).
const ActionDigest = "digest"

// DecodeTrigger reads an invocation's event; the result is a stream batch (Records set), a sweep,
// or one of the other actions the caller names (the enqueuer's ActionDigest).
func DecodeTrigger(raw json.RawMessage, actions ...string) (Trigger, error) {
	var t Trigger
	if err := json.Unmarshal(raw, &t); err != nil {
		return t, fmt.Errorf("decode event: %w", err)
	}
	if len(t.Records) == 0 && t.Action != ActionSweep && (t.Action == "" || !slices.Contains(actions, t.Action)) {
		return t, ErrUnknownEvent
	}
	return t, nil
}
