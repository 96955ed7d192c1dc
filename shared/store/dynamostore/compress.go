package dynamostore

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"sync"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The order item keeps its document gzip-compressed, as a binary attribute: an order of about
// 1.5 KB becomes about 0.8 KB, so the item, rewritten at every step of the order's life and copied
// into the work index while it waits, fits in one write unit of 1 KB instead of two (docs/decisions.md,
// "The order document is stored compressed"). History entries, track index items and records stay
// text: they are small, and a person reading the table sees them as they are. Items written as text
// before are read as they are.

// gzips keeps compressors for reuse: a new one allocates several hundred KB.
var gzips = sync.Pool{New: func() any { return gzip.NewWriter(nil) }}

// compressed is doc as the order item's binary attribute.
func compressed(doc []byte) types.AttributeValue {
	var b bytes.Buffer
	b.Grow(len(doc)/2 + 64)
	w := gzips.Get().(*gzip.Writer)
	w.Reset(&b)
	_, _ = w.Write(doc) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	gzips.Put(w)
	return &types.AttributeValueMemberB{Value: b.Bytes()}
}

// document reads the order item's document, compressed (B) or as text (S, items written before).
func document(v types.AttributeValue) ([]byte, error) {
	switch d := v.(type) {
	case *types.AttributeValueMemberS:
		return []byte(d.Value), nil
	case *types.AttributeValueMemberB:
		return gunzip(d.Value)
	case nil:
		return nil, fmt.Errorf("no document")
	}
	return nil, fmt.Errorf("document of type %T", v)
}

// streamDocument is document for a stream record's image.
func streamDocument(img map[string]events.DynamoDBAttributeValue) ([]byte, error) {
	v, ok := img[AttrDoc]
	if !ok {
		return nil, fmt.Errorf("no document")
	}
	switch v.DataType() {
	case events.DataTypeString:
		return []byte(v.String()), nil
	case events.DataTypeBinary:
		return gunzip(v.Binary())
	}
	return nil, fmt.Errorf("document of stream type %v", v.DataType())
}

func gunzip(b []byte) ([]byte, error) {
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("compressed document: %w", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("compressed document: %w", err)
	}
	return out, nil
}
