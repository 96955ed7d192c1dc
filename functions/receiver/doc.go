// Package receiver is the webhook receiver's handler: authenticate, validate, store each purchase
// once. Its bootstrap/ command wires it into a Lambda.
package receiver
