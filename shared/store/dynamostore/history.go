package dynamostore

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/shared/order"
)

// An order's history lives in its order item, packed with the document, so a step is one write.
// A history that grows long (a partner track retried every few minutes through a long outage
// records an entry each time) would make every step rewrite all of it. So once the item holds
// chunkEntries entries, the next step moves them, as they are, into a chunk item of their own
// (sk ChunkPrefix + the first entry's seq, packed the same way, written once and never again) in
// the same transaction, and the item starts over with the new entries. A step's write stays about
// the size of an ordinary order's, however long the history. Orders written before the history
// moved into the item keep their entries in items of their own (sk HistoryPrefix + seq); they are
// read, and never rewritten.

// chunkEntries is how many entries the order item holds before they move to a chunk: an ordinary
// order's whole life takes 6 to 12.
const chunkEntries = 16

var emptyHistory = []byte("[]")

// staleBefore is how much earlier than the order's receipt an entry kept apart may be and still be
// the order's own (clocks of different functions disagree by far less).
const staleBefore = 24 * time.Hour

// stored is an order as its partition holds it.
type stored struct {
	o       *order.Order // with its whole history, in order
	inItem  []byte       // the order item's history: a JSON array, as stored
	inCount int          // its entries
	inFirst int          // the seq of its first entry
}

// load reads the order's partition with one paginated, strongly consistent Query: the order item,
// its history chunks and any history entries of their own (the track index items are skipped).
func (s *Store) load(ctx context.Context, id string) (stored, error) {
	st := stored{inItem: emptyHistory}
	var inItem, apart []order.Event // the item's entries; those of chunks and of items of their own
	p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
		TableName:                 &s.table,
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": AttrPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": &types.AttributeValueMemberS{Value: id}},
		ConsistentRead:            aws.Bool(true),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return st, fmt.Errorf("get order %s: %w", id, err)
		}
		for _, item := range page.Items {
			sk := str(item[AttrSK])
			switch {
			case sk == SKOrder:
				o, raw, err := decodeOrder(item)
				if err != nil {
					return st, fmt.Errorf("get order %s: %w", id, err)
				}
				st.o = o
				if raw != nil {
					var entries []order.Event
					if err := json.Unmarshal(raw, &entries); err != nil {
						return st, fmt.Errorf("get order %s: history: %w", id, err)
					}
					st.inItem, st.inCount = raw, len(entries)
					if len(entries) > 0 {
						st.inFirst = entries[0].Seq
					}
					inItem = entries
				}
			case len(sk) > len(ChunkPrefix) && sk[:len(ChunkPrefix)] == ChunkPrefix:
				b, _ := item[AttrDoc].(*types.AttributeValueMemberB)
				if b == nil {
					return st, fmt.Errorf("get order %s: history chunk %s has no packed entries", id, sk)
				}
				_, raw, err := unpackBytes(b.Value)
				var entries []order.Event
				if err == nil {
					err = json.Unmarshal(raw, &entries)
				}
				if err != nil {
					return st, fmt.Errorf("get order %s: history chunk %s: %w", id, sk, err)
				}
				apart = append(apart, entries...)
			case len(sk) > len(HistoryPrefix) && sk[:len(HistoryPrefix)] == HistoryPrefix:
				var e order.Event
				if err := json.Unmarshal([]byte(str(item[AttrDoc])), &e); err != nil {
					return st, fmt.Errorf("get order %s: history %s: %w", id, sk, err)
				}
				apart = append(apart, e)
			}
		}
	}
	if st.o == nil {
		return st, order.ErrNotFound
	}
	// Entries kept apart from the item that are older than the order are another order's: one with
	// the same id, received long before and deleted by TTL item by item, left some behind.
	received := st.o.ReceivedAt.Add(-staleBefore)
	history := inItem
	for _, e := range apart {
		if !e.At.Before(received) {
			history = append(history, e)
		}
	}
	// In seq order, each once: an entry is in one place, but where one is in two, the item's wins.
	slices.SortStableFunc(history, func(a, b order.Event) int { return a.Seq - b.Seq })
	st.o.History = slices.CompactFunc(history, func(a, b order.Event) bool { return a.Seq == b.Seq })
	return st, nil
}

// chunk is the item the order item's history moves to, unchanged, when it holds chunkEntries.
func (s *Store) chunk(o *order.Order, st stored) map[string]types.AttributeValue {
	item := key(o.ID, ChunkKey(st.inFirst))
	item[AttrDoc] = packed(nil, st.inItem)
	retention(o)(item)
	return item
}

// ChunkKey is the sort key of the history chunk whose first entry is seq.
func ChunkKey(seq int) string { return fmt.Sprintf("%s%06d", ChunkPrefix, seq) }

// historyJSON is entries as a JSON array, "[]" for none.
func historyJSON(entries []order.Event) ([]byte, error) {
	if len(entries) == 0 {
		return emptyHistory, nil
	}
	return json.Marshal(entries)
}

// appended is the JSON array history with the entries of the JSON array add after its own, whose
// bytes it leaves as they are.
func appended(history, add []byte) []byte {
	switch {
	case len(add) <= 2:
		return history
	case len(history) <= 2:
		return add
	}
	return slices.Concat(history[:len(history)-1], []byte{','}, add[1:])
}
