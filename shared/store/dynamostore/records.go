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

	"github.com/orderhub/orderhub/shared/records"
)

// Records and leases live in the Orders table beside the orders: a record is the item
// pk "<KIND>#<key>", sk "<KIND>", with its JSON in doc and its version. Kinds are upper case and
// order ids always start with a lower-case source prefix, so the keys never collide.
const (
	leaseKind = "LEASE"
	attrOwner = "owner"
	attrUntil = "until"
)

var _ records.Store = (*Store)(nil)

// Load implements records.Store with a strongly consistent read.
func (s *Store) Load(ctx context.Context, kind, k string, v any) (int, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: recordKey(kind, k), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return 0, fmt.Errorf("load %s record: %w", kind, err)
	}
	if out.Item == nil {
		return 0, records.ErrNotFound
	}
	if err := json.Unmarshal([]byte(str(out.Item[AttrDoc])), v); err != nil {
		return 0, fmt.Errorf("decode %s record: %w", kind, err)
	}
	version, _ := strconv.Atoi(numStr(out.Item[AttrVersion]))
	return version, nil
}

// Save implements records.Store with a condition on the version.
func (s *Store) Save(ctx context.Context, kind, k string, v any, version int) error {
	doc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var expires types.AttributeValue
	if e, ok := v.(records.Expiring); ok && !e.ExpiresAt().IsZero() {
		expires = &types.AttributeValueMemberN{Value: strconv.FormatInt(e.ExpiresAt().Unix(), 10)}
	}
	if version == records.Any {
		// The version counts on from whatever is there, so readers holding an older one go stale.
		in := &dynamodb.UpdateItemInput{TableName: &s.table, Key: recordKey(kind, k),
			UpdateExpression:         aws.String("SET #doc = :doc ADD #v :one"),
			ExpressionAttributeNames: map[string]string{"#doc": AttrDoc, "#v": AttrVersion},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":doc": &types.AttributeValueMemberS{Value: string(doc)}, ":one": num(1)},
		}
		if expires != nil {
			in.UpdateExpression = aws.String("SET #doc = :doc, #exp = :exp ADD #v :one")
			in.ExpressionAttributeNames["#exp"] = AttrExpiresAt
			in.ExpressionAttributeValues[":exp"] = expires
		}
		_, err := s.db.UpdateItem(ctx, in)
		if err != nil {
			return fmt.Errorf("save %s record: %w", kind, err)
		}
		return nil
	}
	item := recordKey(kind, k)
	item[AttrDoc] = &types.AttributeValueMemberS{Value: string(doc)}
	if expires != nil {
		item[AttrExpiresAt] = expires
	}
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item}
	switch version {
	case 0:
		in.Item[AttrVersion] = num(1)
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": AttrPK}
	default:
		in.Item[AttrVersion] = num(version + 1)
		in.ConditionExpression = aws.String("#v = :seen")
		in.ExpressionAttributeNames = map[string]string{"#v": AttrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":seen": num(version)}
	}
	_, err = s.db.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return records.ErrStale
	}
	if err != nil {
		return fmt.Errorf("save %s record: %w", kind, err)
	}
	return nil
}

// Delete implements records.Store.
func (s *Store) Delete(ctx context.Context, kind, k string) error {
	if _, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: recordKey(kind, k)}); err != nil {
		return fmt.Errorf("delete %s record: %w", kind, err)
	}
	return nil
}

// AcquireLease implements records.Store. The item carries a TTL, so a lease left by a crashed run
// also disappears from the table, not only from the condition.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	until := now.Add(ttl)
	item := recordKey(leaseKind, name)
	item[attrOwner] = &types.AttributeValueMemberS{Value: owner}
	item[attrUntil] = &types.AttributeValueMemberN{Value: strconv.FormatInt(until.UnixMilli(), 10)}
	item[AttrExpiresAt] = &types.AttributeValueMemberN{Value: strconv.FormatInt(until.Add(time.Hour).Unix(), 10)}
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                &s.table,
		Item:                     item,
		ConditionExpression:      aws.String("attribute_not_exists(#pk) OR #until < :now OR #owner = :owner"),
		ExpressionAttributeNames: map[string]string{"#pk": AttrPK, "#until": attrUntil, "#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":now":   &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
			":owner": &types.AttributeValueMemberS{Value: owner},
		},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return true, nil
}

// ReleaseLease implements records.Store.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       recordKey(leaseKind, name),
		ConditionExpression:       aws.String("#owner = :owner"),
		ExpressionAttributeNames:  map[string]string{"#owner": attrOwner},
		ExpressionAttributeValues: map[string]types.AttributeValue{":owner": &types.AttributeValueMemberS{Value: owner}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return nil // somebody else's now
	}
	return err
}

func recordKey(kind, k string) map[string]types.AttributeValue {
	return key(kind+"#"+k, kind)
}

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: &types.AttributeValueMemberS{Value: pk}, AttrSK: &types.AttributeValueMemberS{Value: sk}}
}
