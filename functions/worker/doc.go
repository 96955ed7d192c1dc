// Package worker is the import worker's handler: import jobs from SQS in, partial batch failures
// out. Its bootstrap/ command wires it into a Lambda.
package worker
