// Package localaws connects to the local AWS emulators (DynamoDB Local, fauxqs) and creates in them
// what template.yaml declares, so tests and local runs use the template's real definitions.
package localaws

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/orderhub/orderhub/local/samtemplate"
	"github.com/orderhub/orderhub/shared/awsenv"
	"github.com/orderhub/orderhub/shared/lambdafn"
)

// Environment variables that point tests and tools at running emulators.
const (
	EnvDynamoDB = lambdafn.EnvDynamoDBEndpoint
	EnvSQS      = lambdafn.EnvSQSEndpoint
)

// Region is the region every local client uses.
const Region = awsenv.LocalRegion

// Config returns an AWS config for an emulator: static credentials, fixed region, and the given
// HTTP client (nil for the default).
func Config(hc *http.Client) aws.Config {
	cfg := aws.Config{
		Region:      Region,
		Credentials: credentials.NewStaticCredentialsProvider("local", "local", ""),
	}
	if hc != nil {
		cfg.HTTPClient = hc
	}
	return cfg
}

// DynamoDB returns a client for DynamoDB Local at endpoint.
func DynamoDB(endpoint string, hc *http.Client) *dynamodb.Client {
	return dynamodb.NewFromConfig(Config(hc), func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint)
		// DynamoDB Local's error responses make the SDK warn about checksums on every failed condition.
		o.DisableValidateResponseChecksum = true
	})
}

// TableInput builds the CreateTable request for a template's AWS::DynamoDB::Table, under name.
func TableInput(res samtemplate.Resource, name string) (*dynamodb.CreateTableInput, error) {
	p := res.Properties
	in := &dynamodb.CreateTableInput{TableName: aws.String(name), BillingMode: types.BillingModePayPerRequest}
	for _, a := range list(p["AttributeDefinitions"]) {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{
			AttributeName: aws.String(str(a["AttributeName"])),
			AttributeType: types.ScalarAttributeType(str(a["AttributeType"])),
		})
	}
	in.KeySchema = keySchema(p["KeySchema"])
	for _, g := range list(p["GlobalSecondaryIndexes"]) {
		proj := m(g["Projection"])
		gsi := types.GlobalSecondaryIndex{
			IndexName:  aws.String(str(g["IndexName"])),
			KeySchema:  keySchema(g["KeySchema"]),
			Projection: &types.Projection{ProjectionType: types.ProjectionType(str(proj["ProjectionType"]))},
		}
		nonKey, _ := proj["NonKeyAttributes"].([]any)
		for _, a := range nonKey {
			gsi.Projection.NonKeyAttributes = append(gsi.Projection.NonKeyAttributes, fmt.Sprint(a))
		}
		in.GlobalSecondaryIndexes = append(in.GlobalSecondaryIndexes, gsi)
	}
	if s := m(p["StreamSpecification"]); s != nil {
		in.StreamSpecification = &types.StreamSpecification{StreamEnabled: aws.Bool(true), StreamViewType: types.StreamViewType(str(s["StreamViewType"]))}
	}
	if len(in.KeySchema) == 0 {
		return nil, fmt.Errorf("table %s: no KeySchema", name)
	}
	return in, nil
}

// CreateTable creates a template table under name, waits until it is active and turns on its TTL.
func CreateTable(ctx context.Context, db *dynamodb.Client, res samtemplate.Resource, name string) error {
	in, err := TableInput(res, name)
	if err != nil {
		return err
	}
	if _, err := db.CreateTable(ctx, in); err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	if err := dynamodb.NewTableExistsWaiter(db).Wait(ctx, &dynamodb.DescribeTableInput{TableName: &name}, 30*time.Second); err != nil {
		return fmt.Errorf("wait for table %s: %w", name, err)
	}
	if ttl := m(res.Properties["TimeToLiveSpecification"]); ttl != nil && ttl["Enabled"] == true {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               &name,
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(str(ttl["AttributeName"])), Enabled: aws.Bool(true)},
		})
		if err != nil {
			return fmt.Errorf("enable TTL on %s: %w", name, err)
		}
	}
	return nil
}

// Counter counts AWS requests by operation (the X-Amz-Target header's action), for tests and reports
// that assert how many calls a flow made.
type Counter struct {
	next http.RoundTripper
	mu   sync.Mutex
	ops  map[string]int
	all  atomic.Int64
}

// NewCounter wraps next (nil for the default transport).
func NewCounter(next http.RoundTripper) *Counter {
	if next == nil {
		next = http.DefaultTransport
	}
	return &Counter{next: next, ops: map[string]int{}}
}

// RoundTrip implements http.RoundTripper.
func (c *Counter) RoundTrip(r *http.Request) (*http.Response, error) {
	op := r.Header.Get("X-Amz-Target")
	if i := strings.LastIndexByte(op, '.'); i >= 0 {
		op = op[i+1:]
	}
	c.mu.Lock()
	c.ops[op]++
	c.mu.Unlock()
	c.all.Add(1)
	return c.next.RoundTrip(r)
}

// Count returns how many requests of an operation (e.g. "TransactWriteItems") went out.
func (c *Counter) Count(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ops[op]
}

// Total returns how many requests went out.
func (c *Counter) Total() int { return int(c.all.Load()) }

// Reset sets every count to zero.
func (c *Counter) Reset() {
	c.mu.Lock()
	c.ops = map[string]int{}
	c.mu.Unlock()
	c.all.Store(0)
}

func keySchema(v any) []types.KeySchemaElement {
	var ks []types.KeySchemaElement
	for _, k := range list(v) {
		ks = append(ks, types.KeySchemaElement{AttributeName: aws.String(str(k["AttributeName"])), KeyType: types.KeyType(str(k["KeyType"]))})
	}
	return ks
}

func list(v any) []map[string]any {
	l, _ := v.([]any)
	out := make([]map[string]any, 0, len(l))
	for _, e := range l {
		out = append(out, m(e))
	}
	return out
}

func m(v any) map[string]any { mm, _ := v.(map[string]any); return mm }

func str(v any) string {
	s, _ := v.(string)
	return s
}
