package dynamostore

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/shared/order"
)

// A partner track lives in the order's document. While it waits for orderhub, an index item beside
// the order (sk TRACK#<name>) carries workState "<name>#<state>" and workSince, so the same sparse
// index that lists orders needing work lists waiting tracks: a sweep of a track is one Query, and a
// new partner needs no new index. The item is written in the order's transaction and deleted when
// the track stops waiting.

func trackWorkKey(name order.TrackName, st order.TrackState) string {
	return string(name) + "#" + string(st)
}

// trackSnapshot copies the order's tracks before an update, to tell which ones changed.
func trackSnapshot(o *order.Order) map[order.TrackName]order.Track {
	out := make(map[order.TrackName]order.Track, len(o.Tracks))
	for name, t := range o.Clone().Tracks { // deep, so a change made in place still shows
		out[name] = *t
	}
	return out
}

// trackWrites puts the index item of every waiting track that changed, and deletes the item of
// every track that waited before and no longer does (or is gone).
func (s *Store) trackWrites(o *order.Order, before map[order.TrackName]order.Track) ([]types.TransactWriteItem, error) {
	var items []types.TransactWriteItem
	for name, old := range before {
		if t := o.Tracks[name]; old.Waiting && (t == nil || !t.Waiting) {
			items = append(items, types.TransactWriteItem{Delete: &types.Delete{TableName: &s.table, Key: key(o.ID, TrackPrefix+string(name))}})
		}
	}
	for name, t := range o.Tracks {
		// The item is written when a track starts waiting or waits in a new state; an attempt that
		// leaves the state as it was does not rewrite it, so its stream consumer is not invoked
		// again by its own retry, and workSince stays when the track began to wait.
		if old, ok := before[name]; !t.Waiting || (ok && old.Waiting && old.State == t.State) {
			continue
		}
		k := key(o.ID, TrackPrefix+string(name))
		doc, err := json.Marshal(t)
		if err != nil {
			return nil, fmt.Errorf("encode track %s of order %s: %w", name, o.ID, err)
		}
		k[AttrDoc] = &types.AttributeValueMemberS{Value: string(doc)}
		k[AttrWorkState] = &types.AttributeValueMemberS{Value: trackWorkKey(name, t.State)}
		k[AttrWorkSince] = &types.AttributeValueMemberS{Value: sortableTime(t.Since)}
		retention(o)(k)
		items = append(items, types.TransactWriteItem{Put: &types.Put{TableName: &s.table, Item: k}})
	}
	return items, nil
}

// TracksNeedingWork implements order.Repository with one Query of the sparse work index.
func (s *Store) TracksNeedingWork(ctx context.Context, name order.TrackName, st order.TrackState, before time.Time, limit int) ([]order.TrackWork, error) {
	in := &dynamodb.QueryInput{
		TableName:                &s.table,
		IndexName:                aws.String(IndexWork),
		KeyConditionExpression:   aws.String("#ws = :key AND #since < :before"),
		ExpressionAttributeNames: map[string]string{"#ws": AttrWorkState, "#since": AttrWorkSince},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":key":    &types.AttributeValueMemberS{Value: trackWorkKey(name, st)},
			":before": &types.AttributeValueMemberS{Value: sortableTime(before)},
		},
	}
	if limit > 0 {
		in.Limit = aws.Int32(int32(min(limit, 1000)))
	}
	var out []order.TrackWork
	p := dynamodb.NewQueryPaginator(s.db, in)
	for p.HasMorePages() && (limit <= 0 || len(out) < limit) {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("tracks %s needing work in %s: %w", name, st, err)
		}
		for _, item := range page.Items {
			var t order.Track
			if err := json.Unmarshal([]byte(str(item[AttrDoc])), &t); err != nil {
				return nil, fmt.Errorf("decode track %s of order %s: %w", name, str(item[AttrPK]), err)
			}
			out = append(out, order.TrackWork{OrderID: str(item[AttrPK]), Track: t})
			if limit > 0 && len(out) == limit {
				break
			}
		}
	}
	return out, nil
}
