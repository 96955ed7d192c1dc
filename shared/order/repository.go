package order

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Repository stores orders with their history. Implementations: store/dynamostore (AWS) and
// store/memstore (tests and benchmarks); store/storetest holds the contract both pass.
type Repository interface {
	// Create stores a new order with all its history. It returns ErrExists, and stores nothing, when
	// an order with the same id is already there.
	Create(ctx context.Context, o *Order) error
	// Get returns the order with its full history, or ErrNotFound.
	Get(ctx context.Context, id string) (*Order, error)
	// Update loads the order, runs fn on it and stores the result with a version check. When another
	// writer got there first it reloads and runs fn again. fn returning an error stores nothing;
	// fn returning ErrNoChange stores nothing and Update returns nil.
	Update(ctx context.Context, id string, fn func(*Order) error) (*Order, error)
	// NeedingWork lists orders in state s (one where State.NeedsWork is true) that have not changed
	// since before, least recently changed first, at most limit of them, without their history.
	NeedingWork(ctx context.Context, s State, before time.Time, limit int) ([]*Order, error)
	// TracksNeedingWork lists the tracks named name in state s that wait for orderhub (Track.Waiting)
	// and entered s before before (Track.Since; attempts in s do not count), longest waiting first,
	// at most limit of them. A listed track's other fields may be as they were when it entered s:
	// callers load the order to act.
	TracksNeedingWork(ctx context.Context, name TrackName, s TrackState, before time.Time, limit int) ([]TrackWork, error)
	// ReceivedBetween lists the orders received in [from, to), oldest first, at most limit of them
	// (0: all), without their history: what a reconciliation compares with the partners.
	ReceivedBetween(ctx context.Context, from, to time.Time, limit int) ([]*Order, error)
}

// MaxDocumentBytes bounds an order's stored document. DynamoDB refuses items over 400 KB; the rest of
// the item and a margin stay below that. Both stores enforce it, so tests meet the limit too.
const MaxDocumentBytes = 350_000

// Errors a repository returns; callers branch on them with errors.Is.
var (
	ErrExists   = errors.New("order already exists")
	ErrNotFound = errors.New("order not found")
	ErrConflict = errors.New("order changed concurrently too often")
	ErrNoChange = errors.New("no change")
	// ErrTooLarge: the order does not fit in one stored item (MaxDocumentBytes); nothing is stored.
	ErrTooLarge = errors.New("order too large to store")
)

// Document is the order as a store keeps it: JSON without HTML escaping ("<", ">" and "&" stay one
// byte, so what a sender wrote does not grow sixfold), and ErrTooLarge above MaxDocumentBytes. Both
// stores encode through it, so they meet the same limit.
func (o *Order) Document() ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		return nil, fmt.Errorf("encode order %s: %w", o.ID, err)
	}
	doc := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	if len(doc) > MaxDocumentBytes {
		return nil, fmt.Errorf("order %s: %d bytes: %w", o.ID, len(doc), ErrTooLarge)
	}
	return doc, nil
}

// CheckSize is Document's check without the document: ErrTooLarge above MaxDocumentBytes, for a
// store that keeps orders otherwise (memstore).
func (o *Order) CheckSize() error {
	var n byteCount
	enc := json.NewEncoder(&n)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(o); err != nil {
		return fmt.Errorf("encode order %s: %w", o.ID, err)
	}
	if n-1 > MaxDocumentBytes { // less the newline Encode ends with
		return fmt.Errorf("order %s: %d bytes: %w", o.ID, n-1, ErrTooLarge)
	}
	return nil
}

// byteCount is a writer that only counts.
type byteCount int

func (n *byteCount) Write(p []byte) (int, error) {
	*n += byteCount(len(p))
	return len(p), nil
}
