package dynamostore

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-lambda-go/events"

	"github.com/orderhub/orderhub/shared/order"
)

// Change is one record of the Orders table's stream as the domain sees it: which order, and the state
// it is in now (the stream carries new images only). Stream consumers (the enqueuer, the loyalty pusher) read changes, never the
// table's attribute names.
type Change struct {
	// Seq is the record's sequence number: what a consumer reports as a batch item failure.
	Seq      string
	OrderID  string
	NewState order.State // empty for a removed one
	Removed  bool
	newImage map[string]events.DynamoDBAttributeValue
}

// Changes returns the changes of order items in a batch of stream records, in stream order.
// Records of history, track and other items are skipped.
func Changes(records []events.DynamoDBEventRecord) []Change {
	out := make([]Change, 0, len(records))
	for _, r := range records {
		img := r.Change.NewImage
		if r.EventName == "REMOVE" || len(img) == 0 {
			img = r.Change.OldImage
		}
		if len(img) == 0 {
			img = r.Change.Keys
		}
		if attr(img, AttrSK) != SKOrder {
			continue
		}
		c := Change{Seq: r.Change.SequenceNumber, OrderID: attr(img, AttrPK), Removed: r.EventName == "REMOVE",
			newImage: r.Change.NewImage}
		if !c.Removed {
			c.NewState = order.State(attr(r.Change.NewImage, AttrState))
		}
		out = append(out, c)
	}
	return out
}

// TrackChanges returns the changes of the index items of track name (sk TRACK#<name>, written while
// the track waits for orderhub) in a batch of stream records, in stream order. NewState is empty:
// a consumer loads the order, whose track says what is due.
func TrackChanges(records []events.DynamoDBEventRecord, name order.TrackName) []Change {
	var out []Change
	for _, r := range records {
		if attr(r.Change.Keys, AttrSK) != TrackPrefix+string(name) {
			continue
		}
		out = append(out, Change{Seq: r.Change.SequenceNumber, OrderID: attr(r.Change.Keys, AttrPK),
			Removed: r.EventName == "REMOVE", newImage: r.Change.NewImage})
	}
	return out
}

// Order decodes the order as the change left it (without history). Only stream views with new
// images carry it.
func (c Change) Order() (*order.Order, error) {
	doc, err := streamDocument(c.newImage)
	if err != nil {
		return nil, fmt.Errorf("stream record of order %s: %w", c.OrderID, err)
	}
	var o order.Order
	if err := json.Unmarshal(doc, &o); err != nil {
		return nil, fmt.Errorf("decode order %s from the stream: %w", c.OrderID, err)
	}
	return &o, nil
}

func attr(img map[string]events.DynamoDBAttributeValue, name string) string {
	v, ok := img[name]
	if !ok || v.DataType() != events.DataTypeString {
		return ""
	}
	return v.String()
}
