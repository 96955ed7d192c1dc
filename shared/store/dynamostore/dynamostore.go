// Package dynamostore is the DynamoDB order.Repository: one table, an order and its history in one
// item, conditional creates, optimistic updates, and a sparse index of orders that need work.
package dynamostore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/order"
)

// The table's shape; template.yaml declares the same names and a test holds the two together.
const (
	AttrPK        = "pk"        // order id
	AttrSK        = "sk"        // SKOrder, TrackPrefix + track, ChunkPrefix + seq, or (written before) HistoryPrefix + seq
	AttrState     = "state"     // top-level so stream filters can see it
	AttrVersion   = "version"   // optimistic concurrency
	AttrDoc       = "doc"       // the order and its history, packed (compress.go); a track's or record's JSON
	AttrWorkState = "workState" // set only while the state needs work: the sparse index's key
	AttrWorkSince = "workSince" // last change, RFC 3339 with fixed nanoseconds: the index's sort key
	AttrExpiresAt = "expiresAt" // TTL, epoch seconds: leases, and every item of an order with RetainUntil
	AttrWriteID   = "writeId"   // a random id of the put that wrote the order item: a put knows its own write
	IndexWork     = "work"

	SKOrder = "ORDER"
	// HistoryPrefix + seq is the sort key of a history entry in an item of its own, as orders kept
	// their history before it moved into the order item. Such entries are still read.
	HistoryPrefix = "H#"
	// ChunkPrefix + the first entry's seq is the sort key of a history chunk: entries a long
	// history moved out of the order item (history.go).
	ChunkPrefix = "HIST#"
	// TrackPrefix + track name is the sort key of a waiting track's index item (tracks.go).
	TrackPrefix = "TRACK#"
)

// maxAttempts bounds the optimistic retries of Update and the conflict retries of Create.
const maxAttempts = 10

// maxTransactItems is DynamoDB's limit on items in one transaction.
const maxTransactItems = 100

// maxPacked bounds the order item's packed document and history, under DynamoDB's 400 KB per item.
// An order's history would need tens of thousands of entries to reach it.
const maxPacked = 380 << 10

// Store is an order.Repository on one DynamoDB table.
type Store struct {
	db    *dynamodb.Client
	table string
	// Committed, when set, is told the history entries each Create or Update wrote, after the write
	// succeeded and only then: functions count the orders' transitions with it (metrics.Sink).
	Committed func(ctx context.Context, orderID string, events []order.Event)
}

// New returns a store on table. The client is built once by the caller (in main, at init).
func New(db *dynamodb.Client, table string) *Store { return &Store{db: db, table: table} }

// Create writes the order item, with its history, conditional on the order not existing: one
// durable write per order, a transaction only when a track's index item goes with it.
func (s *Store) Create(ctx context.Context, o *order.Order) error {
	o.Version = 1
	w, err := s.writes(o, stored{inItem: emptyHistory}, 0, nil, nil)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		err = s.write(ctx, w)
		switch {
		case err == nil || w.landed(err):
			s.committed(ctx, o, 0)
			return nil
		case refused(err):
			return order.ErrExists
		case conflict(err) && attempt < maxAttempts:
			if err := backoff.Sleep(ctx, retries.Delay(attempt+1)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("create order %s: %w", o.ID, err)
		}
	}
}

// Get reads the order and its history with one paginated, strongly consistent Query of its
// partition (history.go).
func (s *Store) Get(ctx context.Context, id string) (*order.Order, error) {
	st, err := s.load(ctx, id)
	if err != nil {
		return nil, err
	}
	return st.o, nil
}

// Update implements order.Repository with a version condition on the order item, which holds the
// history too, so a state and its history never disagree. The history the item held is written
// back as it was read, byte for byte, with the new entries after it: the store appends, and
// nothing rewrites.
func (s *Store) Update(ctx context.Context, id string, fn func(*order.Order) error) (*order.Order, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		st, err := s.load(ctx, id)
		if err != nil {
			return nil, err
		}
		o := st.o
		seen, known, tracks := o.Version, len(o.History), trackSnapshot(o)
		if err := fn(o); err != nil {
			if errors.Is(err, order.ErrNoChange) {
				return o, nil
			}
			return nil, err
		}
		o.Version = seen + 1
		w, err := s.writes(o, st, known, tracks, &seen)
		if err != nil {
			return nil, err
		}
		err = s.write(ctx, w)
		switch {
		case err == nil || w.landed(err):
			s.committed(ctx, o, known)
			return o, nil
		case refused(err) || conflict(err):
			if err := backoff.Sleep(ctx, retries.Delay(attempt+1)); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("update order %s: %w", id, err)
		}
	}
	return nil, fmt.Errorf("update order %s: %w", id, order.ErrConflict)
}

// committed tells Committed the history entries of o from index known on, which a write stored.
func (s *Store) committed(ctx context.Context, o *order.Order, known int) {
	if s.Committed != nil && len(o.History) > known {
		s.Committed(ctx, o.ID, o.History[known:])
	}
}

// NeedingWork queries the sparse work index.
func (s *Store) NeedingWork(ctx context.Context, st order.State, before time.Time, limit int) ([]*order.Order, error) {
	in := &dynamodb.QueryInput{
		TableName:              &s.table,
		IndexName:              aws.String(IndexWork),
		KeyConditionExpression: aws.String("#ws = :state AND #since < :before"),
		ExpressionAttributeNames: map[string]string{
			"#ws": AttrWorkState, "#since": AttrWorkSince,
		},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":state":  &types.AttributeValueMemberS{Value: string(st)},
			":before": &types.AttributeValueMemberS{Value: sortableTime(before)},
		},
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var out []*order.Order
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() && (limit <= 0 || len(out) < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("orders needing work in %s: %w", st, err)
		}
		for _, item := range page.Items {
			o, _, err := decodeOrder(item)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

// write is what stores one step of an order: the order item's put, alone or, when other items
// change with it (a track's index item, a history chunk), in a transaction with them.
type write struct {
	put   *types.Put
	items []types.TransactWriteItem // nil for a put alone
}

// writes builds the write of an order as read (st), with the history entries from index known on
// added and the index items of the tracks that changed since before. seen, when set, is the
// version the order item must still have; without it the order must not exist yet.
func (s *Store) writes(o *order.Order, st stored, known int, before map[order.TrackName]order.Track, seen *int) (write, error) {
	fresh := o.History[known:]
	trackItems, err := s.trackWrites(o, before)
	if err != nil {
		return write{}, err
	}
	if len(trackItems)+2 > maxTransactItems {
		return write{}, fmt.Errorf("order %s: %d tracks changed in one write, at most %d", o.ID, len(trackItems), maxTransactItems-2)
	}
	doc, err := o.Document()
	if err != nil {
		return write{}, err
	}
	add, err := historyJSON(fresh)
	if err != nil {
		return write{}, fmt.Errorf("encode history of order %s: %w", o.ID, err)
	}
	history, chunk := st.inItem, map[string]types.AttributeValue(nil)
	if st.inCount >= chunkEntries && len(fresh) > 0 {
		chunk = s.chunk(o, st)
		history = emptyHistory
	}
	history = appended(history, add)
	packedDoc := packed(doc, history)
	if n := len(packedDoc.Value); n > maxPacked {
		return write{}, fmt.Errorf("order %s: document and history take %d bytes packed, more than an item holds: %w", o.ID, n, order.ErrTooLarge)
	}
	item := map[string]types.AttributeValue{
		AttrPK:      &types.AttributeValueMemberS{Value: o.ID},
		AttrSK:      &types.AttributeValueMemberS{Value: SKOrder},
		AttrState:   &types.AttributeValueMemberS{Value: string(o.State)},
		AttrVersion: num(o.Version),
		AttrDoc:     packedDoc,
		AttrWriteID: &types.AttributeValueMemberS{Value: rand.Text()},
	}
	receivedKeys(o, item)
	if o.State.NeedsWork() {
		item[AttrWorkState] = &types.AttributeValueMemberS{Value: string(o.State)}
		item[AttrWorkSince] = &types.AttributeValueMemberS{Value: sortableTime(o.UpdatedAt)}
	}
	retention(o)(item)
	put := &types.Put{TableName: &s.table, Item: item}
	if seen != nil {
		put.ConditionExpression = aws.String("#v = :seen")
		put.ExpressionAttributeNames = map[string]string{"#v": AttrVersion}
		put.ExpressionAttributeValues = map[string]types.AttributeValue{":seen": num(*seen)}
	} else {
		put.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		put.ExpressionAttributeNames = map[string]string{"#pk": AttrPK}
	}
	w := write{put: put}
	if chunk != nil || len(trackItems) > 0 {
		w.items = []types.TransactWriteItem{{Put: put}}
		if chunk != nil {
			// No condition of its own: the order item's version orders the writers, and a chunk
			// already at this key can only be a deleted order's leftover (history.go).
			w.items = append(w.items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: chunk}})
		}
		w.items = append(w.items, trackItems...)
	}
	return w, nil
}

// write sends w: one conditional PutItem, or one transaction. A put asks for the item its
// condition found, so that a put the SDK sent again after an answer was lost can be known as its
// own (landed); a transaction has the SDK's idempotency token for that.
func (s *Store) write(ctx context.Context, w write) error {
	if w.items != nil {
		_, err := s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: w.items})
		return err
	}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           w.put.TableName,
		Item:                                w.put.Item,
		ConditionExpression:                 w.put.ConditionExpression,
		ExpressionAttributeNames:            w.put.ExpressionAttributeNames,
		ExpressionAttributeValues:           w.put.ExpressionAttributeValues,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	return err
}

// landed tells whether a put refused by its condition found the item it carries: the SDK retried
// a put whose first attempt was stored but whose answer was lost, and the retry met its own write.
// Every put carries a random write id (26 characters of crypto/rand), so another writer's item,
// even with the same content, is never taken for it.
func (w write) landed(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	if w.items != nil || !errors.As(err, &ccf) || ccf.Item == nil {
		return false
	}
	mine := str(w.put.Item[AttrWriteID])
	return mine != "" && str(ccf.Item[AttrWriteID]) == mine
}

// refused tells whether err is the order item's condition failing, alone or in a transaction.
func refused(err error) bool {
	var ccf *types.ConditionalCheckFailedException
	return errors.As(err, &ccf) || cancellation(err) == "ConditionalCheckFailed"
}

// conflict tells whether err is a write that met another writer's transaction on the same item:
// a transaction cancelled for it, or a put refused for it. The SDK retries neither.
func conflict(err error) bool {
	var tc *types.TransactionConflictException
	return errors.As(err, &tc) || cancellation(err) == "TransactionConflict"
}

// retention returns what marks an item of the order for DynamoDB's TTL deletion at the order's
// RetainUntil: the order item, its history chunks and every track index item carry the same time,
// so the order goes as a whole. Without RetainUntil it marks nothing.
func retention(o *order.Order) func(map[string]types.AttributeValue) {
	if o.RetainUntil.IsZero() {
		return func(map[string]types.AttributeValue) {}
	}
	at := &types.AttributeValueMemberN{Value: strconv.FormatInt(o.RetainUntil.Unix(), 10)}
	return func(item map[string]types.AttributeValue) { item[AttrExpiresAt] = at }
}

// HistoryKey is the sort key of history entry seq in an item of its own, as written before;
// zero-padded so entries sort in order.
func HistoryKey(seq int) string { return fmt.Sprintf("%s%06d", HistoryPrefix, seq) }

// decodeOrder reads an order item: the order, and the history it holds as stored (a JSON array;
// nil for the earlier forms, whose history is in items of its own).
func decodeOrder(item map[string]types.AttributeValue) (*order.Order, []byte, error) {
	var o order.Order
	doc, history, err := unpack(item[AttrDoc])
	if err != nil {
		return nil, nil, fmt.Errorf("decode order %s: %w", str(item[AttrPK]), err)
	}
	if err := json.Unmarshal(doc, &o); err != nil {
		return nil, nil, fmt.Errorf("decode order %s: %w", str(item[AttrPK]), err)
	}
	v, err := strconv.Atoi(numStr(item[AttrVersion]))
	if err != nil {
		return nil, nil, fmt.Errorf("decode order %s: version: %w", str(item[AttrPK]), err)
	}
	o.Version = v
	return &o, history, nil
}

// cancellation returns the first non-None cancellation reason of a transaction, if err is one.
func cancellation(err error) string {
	var tc *types.TransactionCanceledException
	if !errors.As(err, &tc) {
		return ""
	}
	for _, r := range tc.CancellationReasons {
		if c := aws.ToString(r.Code); c != "" && c != "None" {
			return c
		}
	}
	return ""
}

// retries spaces optimistic retries: a lost race is usually decided within milliseconds.
var retries = backoff.Policy{Base: 5 * time.Millisecond, Cap: 200 * time.Millisecond, Min: time.Millisecond}

func sortableTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000000Z") }

func num(n int) types.AttributeValue { return &types.AttributeValueMemberN{Value: strconv.Itoa(n)} }

func str(v types.AttributeValue) string {
	if s, ok := v.(*types.AttributeValueMemberS); ok {
		return s.Value
	}
	return ""
}

func numStr(v types.AttributeValue) string {
	if n, ok := v.(*types.AttributeValueMemberN); ok {
		return n.Value
	}
	return ""
}
