// Package poller is the status poller's handler, run on a schedule. Its bootstrap/ command wires it
// into a Lambda.
package poller
