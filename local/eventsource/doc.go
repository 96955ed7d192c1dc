// Package eventsource plays the Lambda event sources that no local tool emulates: DynamoDB stream
// polling with event filters and failure reporting by sequence number, and SQS polling with partial
// batch responses. It hands each batch to an Invoker: a handler in this process, or a function's
// real binary behind the Runtime API.
package eventsource
