// Package enqueuer is the import enqueuer's handler: stream records and scheduled sweeps in, import
// jobs out. Its bootstrap/ command wires it into a Lambda.
package enqueuer
