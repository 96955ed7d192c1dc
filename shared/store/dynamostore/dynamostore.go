// Package dynamostore is the DynamoDB order.Repository: one table, an order and its history in one
// partition, conditional creates, optimistic updates, and a sparse index of orders that need work.
package dynamostore

import (
	"context"
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
	AttrSK        = "sk"        // SKOrder, or HistoryPrefix + seq
	AttrState     = "state"     // top-level so stream filters can see it
	AttrVersion   = "version"   // optimistic concurrency
	AttrDoc       = "doc"       // the order (or history entry) as JSON
	AttrWorkState = "workState" // set only while the state needs work: the sparse index's key
	AttrWorkSince = "workSince" // last change, RFC 3339 with fixed nanoseconds: the index's sort key
	AttrExpiresAt = "expiresAt" // TTL, epoch seconds: leases, and every item of an order with RetainUntil
	IndexWork     = "work"

	SKOrder       = "ORDER"
	HistoryPrefix = "H#"
	// TrackPrefix + track name is the sort key of a waiting track's index item (tracks.go).
	TrackPrefix = "TRACK#"
)

// maxAttempts bounds the optimistic retries of Update and the conflict retries of Create.
const maxAttempts = 10

// maxTransactItems is DynamoDB's limit on items in one transaction.
const maxTransactItems = 100

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

// Create writes the order item and its history in one transaction, conditional on the order not
// existing: one durable write per order.
func (s *Store) Create(ctx context.Context, o *order.Order) error {
	o.Version = 1
	items, err := s.writes(o, 0, nil, nil)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		switch reason := cancellation(err); {
		case err == nil:
			s.committed(ctx, o, 0)
			return nil
		case reason == "ConditionalCheckFailed":
			return order.ErrExists
		case reason == "TransactionConflict" && attempt < maxAttempts:
			if err := backoff.Sleep(ctx, retries.Delay(attempt+1)); err != nil {
				return err
			}
		default:
			return fmt.Errorf("create order %s: %w", o.ID, err)
		}
	}
}

// Get reads the order and its history with one paginated, strongly consistent Query.
func (s *Store) Get(ctx context.Context, id string) (*order.Order, error) {
	var o *order.Order
	var history []order.Event
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
			return nil, fmt.Errorf("get order %s: %w", id, err)
		}
		for _, item := range page.Items {
			sk := str(item[AttrSK])
			switch {
			case sk == SKOrder:
				if o, err = decodeOrder(item); err != nil {
					return nil, fmt.Errorf("get order %s: %w", id, err)
				}
			case len(sk) > len(HistoryPrefix) && sk[:len(HistoryPrefix)] == HistoryPrefix:
				var e order.Event
				if err := json.Unmarshal([]byte(str(item[AttrDoc])), &e); err != nil {
					return nil, fmt.Errorf("get order %s: history %s: %w", id, sk, err)
				}
				history = append(history, e)
			}
		}
	}
	if o == nil {
		return nil, order.ErrNotFound
	}
	o.History = history
	return o, nil
}

// Update implements order.Repository with a version condition on the order item; new history
// entries go in the same transaction, so a state and its history never disagree.
func (s *Store) Update(ctx context.Context, id string, fn func(*order.Order) error) (*order.Order, error) {
	for attempt := 0; attempt < maxAttempts; attempt++ {
		o, err := s.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		seen, known, tracks := o.Version, len(o.History), trackSnapshot(o)
		if err := fn(o); err != nil {
			if errors.Is(err, order.ErrNoChange) {
				return o, nil
			}
			return nil, err
		}
		o.Version = seen + 1
		cond := &types.Put{
			ConditionExpression:       aws.String("#v = :seen"),
			ExpressionAttributeNames:  map[string]string{"#v": AttrVersion},
			ExpressionAttributeValues: map[string]types.AttributeValue{":seen": num(seen)},
		}
		items, err := s.writes(o, known, tracks, cond)
		if err != nil {
			return nil, err
		}
		_, err = s.db.TransactWriteItems(ctx, &dynamodb.TransactWriteItemsInput{TransactItems: items})
		switch reason := cancellation(err); {
		case err == nil:
			s.committed(ctx, o, known)
			return o, nil
		case reason == "ConditionalCheckFailed" || reason == "TransactionConflict":
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
			o, err := decodeOrder(item)
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

// writes builds the transaction for an order, its history entries from index known on, and the
// index items of the tracks that changed since before. cond, when set, carries the order item's
// condition; without it the order must not exist yet.
func (s *Store) writes(o *order.Order, known int, before map[order.TrackName]order.Track, cond *types.Put) ([]types.TransactWriteItem, error) {
	fresh := o.History[known:]
	trackItems, err := s.trackWrites(o, before)
	if err != nil {
		return nil, err
	}
	if len(fresh)+len(trackItems)+1 > maxTransactItems {
		return nil, fmt.Errorf("order %s: %d history entries in one write, at most %d", o.ID, len(fresh), maxTransactItems-1-len(trackItems))
	}
	doc, err := o.Document()
	if err != nil {
		return nil, err
	}
	item := map[string]types.AttributeValue{
		AttrPK:      &types.AttributeValueMemberS{Value: o.ID},
		AttrSK:      &types.AttributeValueMemberS{Value: SKOrder},
		AttrState:   &types.AttributeValueMemberS{Value: string(o.State)},
		AttrVersion: num(o.Version),
		AttrDoc:     compressed(doc),
	}
	receivedKeys(o, item)
	if o.State.NeedsWork() {
		item[AttrWorkState] = &types.AttributeValueMemberS{Value: string(o.State)}
		item[AttrWorkSince] = &types.AttributeValueMemberS{Value: sortableTime(o.UpdatedAt)}
	}
	retain := retention(o)
	retain(item)
	put := &types.Put{TableName: &s.table, Item: item}
	if cond != nil {
		put.ConditionExpression = cond.ConditionExpression
		put.ExpressionAttributeNames = cond.ExpressionAttributeNames
		put.ExpressionAttributeValues = cond.ExpressionAttributeValues
	} else {
		put.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		put.ExpressionAttributeNames = map[string]string{"#pk": AttrPK}
	}
	items := make([]types.TransactWriteItem, 0, len(fresh)+len(trackItems)+1)
	items = append(items, types.TransactWriteItem{Put: put})
	items = append(items, trackItems...)
	for _, e := range fresh {
		ev, err := json.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("encode history of order %s: %w", o.ID, err)
		}
		h := map[string]types.AttributeValue{
			AttrPK:  &types.AttributeValueMemberS{Value: o.ID},
			AttrSK:  &types.AttributeValueMemberS{Value: HistoryKey(e.Seq)},
			AttrDoc: &types.AttributeValueMemberS{Value: string(ev)},
		}
		retain(h)
		items = append(items, types.TransactWriteItem{Put: &types.Put{
			TableName:                &s.table,
			Item:                     h,
			ConditionExpression:      aws.String("attribute_not_exists(#pk)"),
			ExpressionAttributeNames: map[string]string{"#pk": AttrPK},
		}})
	}
	return items, nil
}

// retention returns what marks an item of the order for DynamoDB's TTL deletion at the order's
// RetainUntil: the order item, every history entry and every track index item carry the same
// time, so the order goes as a whole. Without RetainUntil it marks nothing.
func retention(o *order.Order) func(map[string]types.AttributeValue) {
	if o.RetainUntil.IsZero() {
		return func(map[string]types.AttributeValue) {}
	}
	at := &types.AttributeValueMemberN{Value: strconv.FormatInt(o.RetainUntil.Unix(), 10)}
	return func(item map[string]types.AttributeValue) { item[AttrExpiresAt] = at }
}

// HistoryKey is the sort key of history entry seq; zero-padded so entries sort in order.
func HistoryKey(seq int) string { return fmt.Sprintf("%s%06d", HistoryPrefix, seq) }

func decodeOrder(item map[string]types.AttributeValue) (*order.Order, error) {
	var o order.Order
	doc, err := document(item[AttrDoc])
	if err != nil {
		return nil, fmt.Errorf("decode order %s: %w", str(item[AttrPK]), err)
	}
	if err := json.Unmarshal(doc, &o); err != nil {
		return nil, fmt.Errorf("decode order %s: %w", str(item[AttrPK]), err)
	}
	v, err := strconv.Atoi(numStr(item[AttrVersion]))
	if err != nil {
		return nil, fmt.Errorf("decode order %s: version: %w", str(item[AttrPK]), err)
	}
	o.Version = v
	return &o, nil
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
