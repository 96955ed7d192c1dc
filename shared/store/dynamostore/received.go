package dynamostore

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/shared/backoff"
	"github.com/orderhub/orderhub/shared/order"
)

// The index of orders by the day they were received: its keys are set once, when the order is
// created, and never change, so the index costs one write per order, however often the order moves.
const (
	AttrReceivedDay = "receivedDay" // the UTC day the order was received, 2006-01-02: the index's key
	AttrReceivedAt  = "receivedAt"  // when, as AttrWorkSince is written: the index's sort key
	IndexReceived   = "received"
)

// batchGetMax is DynamoDB's limit on keys in one BatchGetItem.
const batchGetMax = 100

// receivedKeys sets the received index's attributes on an order item.
func receivedKeys(o *order.Order, item map[string]types.AttributeValue) {
	at := o.ReceivedAt.UTC()
	item[AttrReceivedDay] = &types.AttributeValueMemberS{Value: at.Format(time.DateOnly)}
	item[AttrReceivedAt] = &types.AttributeValueMemberS{Value: sortableTime(at)}
}

// ReceivedBetween lists the orders received in [from, to), oldest first, without their history, at
// most limit of them (0: all). It queries the index one day at a time and reads the orders a
// hundred at a time: about one request per hundred orders, never one per order.
func (s *Store) ReceivedBetween(ctx context.Context, from, to time.Time, limit int) ([]*order.Order, error) {
	from, to = from.UTC(), to.UTC()
	if !from.Before(to) {
		return nil, nil
	}
	last := sortableTime(to.Add(-time.Nanosecond))
	var ids []string
	for day := from.Truncate(24 * time.Hour); day.Before(to); day = day.Add(24 * time.Hour) {
		p := dynamodb.NewQueryPaginator(s.db, &dynamodb.QueryInput{
			TableName:              &s.table,
			IndexName:              aws.String(IndexReceived),
			KeyConditionExpression: aws.String("#d = :day AND #at BETWEEN :from AND :to"),
			ExpressionAttributeNames: map[string]string{
				"#d": AttrReceivedDay, "#at": AttrReceivedAt,
			},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":day":  &types.AttributeValueMemberS{Value: day.Format(time.DateOnly)},
				":from": &types.AttributeValueMemberS{Value: sortableTime(from)},
				":to":   &types.AttributeValueMemberS{Value: last},
			},
		})
		for p.HasMorePages() && (limit <= 0 || len(ids) < limit) {
			page, err := p.NextPage(ctx)
			if err != nil {
				return nil, fmt.Errorf("orders received on %s: %w", day.Format(time.DateOnly), err)
			}
			for _, item := range page.Items {
				ids = append(ids, str(item[AttrPK]))
				if limit > 0 && len(ids) == limit {
					break
				}
			}
		}
	}
	out := make([]*order.Order, 0, len(ids))
	for len(ids) > 0 {
		n := min(len(ids), batchGetMax)
		got, err := s.orderItems(ctx, ids[:n])
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		ids = ids[n:]
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].ReceivedAt.Equal(out[j].ReceivedAt) {
			return out[i].ReceivedAt.Before(out[j].ReceivedAt)
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// orderItems reads the order items (not the history) of up to a hundred orders, retrying the keys
// DynamoDB leaves unprocessed. An order that is gone (expired since the index was read) is skipped.
func (s *Store) orderItems(ctx context.Context, ids []string) ([]*order.Order, error) {
	keys := make([]map[string]types.AttributeValue, len(ids))
	for i, id := range ids {
		keys[i] = map[string]types.AttributeValue{
			AttrPK: &types.AttributeValueMemberS{Value: id},
			AttrSK: &types.AttributeValueMemberS{Value: SKOrder},
		}
	}
	req := map[string]types.KeysAndAttributes{s.table: {Keys: keys}}
	var out []*order.Order
	for attempt := 0; len(req) > 0; attempt++ {
		if attempt > 0 {
			if attempt == maxAttempts {
				return nil, fmt.Errorf("read %d orders: DynamoDB left keys unprocessed %d times", len(ids), attempt)
			}
			if err := backoff.Sleep(ctx, backoff.Policy{Base: 20 * time.Millisecond, Cap: time.Second}.Delay(attempt)); err != nil {
				return nil, err
			}
		}
		res, err := s.db.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: req})
		if err != nil {
			return nil, fmt.Errorf("read %d orders: %w", len(ids), err)
		}
		for _, item := range res.Responses[s.table] {
			o, _, err := decodeOrder(item)
			if err != nil {
				return nil, err
			}
			out = append(out, o)
		}
		req = res.UnprocessedKeys
	}
	return out, nil
}
