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

	"github.com/orderhub/orderhub/shared/importing"
)

// Items beside the orders in the same table. Their keys never collide with an order id, which always
// starts with a source prefix in lower case.
const (
	customerPrefix   = "CUSTOMER#"
	checkpointPrefix = "CHECKPOINT#"
	leasePrefix      = "LEASE#"
	attrOwner        = "owner"
	attrUntil        = "until"
)

// GetCustomer implements importing.Customers.
func (s *Store) GetCustomer(ctx context.Context, email string) (importing.CustomerRecord, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(customerPrefix+email, "CUSTOMER")})
	if err != nil {
		return importing.CustomerRecord{}, fmt.Errorf("get customer: %w", err)
	}
	if out.Item == nil {
		return importing.CustomerRecord{}, importing.ErrUnknownCustomer
	}
	var c importing.CustomerRecord
	if err := json.Unmarshal([]byte(str(out.Item[AttrDoc])), &c); err != nil {
		return c, fmt.Errorf("decode customer: %w", err)
	}
	return c, nil
}

// PutCustomer implements importing.Customers.
func (s *Store) PutCustomer(ctx context.Context, c importing.CustomerRecord) error {
	doc, err := json.Marshal(c)
	if err != nil {
		return err
	}
	item := key(customerPrefix+c.Email, "CUSTOMER")
	item[AttrDoc] = &types.AttributeValueMemberS{Value: string(doc)}
	if _, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: &s.table, Item: item}); err != nil {
		return fmt.Errorf("put customer: %w", err)
	}
	return nil
}

// DeleteCustomer implements importing.Customers.
func (s *Store) DeleteCustomer(ctx context.Context, email string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &s.table, Key: key(customerPrefix+email, "CUSTOMER")})
	return err
}

// LoadCheckpoint implements importing.Checkpoints.
func (s *Store) LoadCheckpoint(ctx context.Context, name string) (importing.Checkpoint, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: &s.table, Key: key(checkpointPrefix+name, "CHECKPOINT"), ConsistentRead: aws.Bool(true)})
	if err != nil {
		return importing.Checkpoint{}, fmt.Errorf("load checkpoint %s: %w", name, err)
	}
	if out.Item == nil {
		return importing.Checkpoint{}, nil
	}
	var cp importing.Checkpoint
	if err := json.Unmarshal([]byte(str(out.Item[AttrDoc])), &cp); err != nil {
		return cp, fmt.Errorf("decode checkpoint %s: %w", name, err)
	}
	cp.Version, _ = strconv.Atoi(numStr(out.Item[AttrVersion]))
	return cp, nil
}

// SaveCheckpoint implements importing.Checkpoints with a version condition.
func (s *Store) SaveCheckpoint(ctx context.Context, name string, cp importing.Checkpoint) error {
	doc, err := json.Marshal(cp)
	if err != nil {
		return err
	}
	item := key(checkpointPrefix+name, "CHECKPOINT")
	item[AttrDoc] = &types.AttributeValueMemberS{Value: string(doc)}
	item[AttrVersion] = num(cp.Version + 1)
	in := &dynamodb.PutItemInput{TableName: &s.table, Item: item}
	if cp.Version == 0 {
		in.ConditionExpression = aws.String("attribute_not_exists(#pk)")
		in.ExpressionAttributeNames = map[string]string{"#pk": AttrPK}
	} else {
		in.ConditionExpression = aws.String("#v = :seen")
		in.ExpressionAttributeNames = map[string]string{"#v": AttrVersion}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":seen": num(cp.Version)}
	}
	_, err = s.db.PutItem(ctx, in)
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return importing.ErrStaleCheckpoint
	}
	if err != nil {
		return fmt.Errorf("save checkpoint %s: %w", name, err)
	}
	return nil
}

// AcquireLease implements importing.Checkpoints. The item carries a TTL, so a lease left by a
// crashed run also disappears from the table, not only from the condition.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, now time.Time, ttl time.Duration) (bool, error) {
	until := now.Add(ttl)
	item := key(leasePrefix+name, "LEASE")
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

// ReleaseLease implements importing.Checkpoints.
func (s *Store) ReleaseLease(ctx context.Context, name, owner string) error {
	_, err := s.db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &s.table,
		Key:                       key(leasePrefix+name, "LEASE"),
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

func key(pk, sk string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{AttrPK: &types.AttributeValueMemberS{Value: pk}, AttrSK: &types.AttributeValueMemberS{Value: sk}}
}
