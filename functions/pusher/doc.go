// Package pusher is the loyalty pusher's handler: Orders stream records of loyalty tracks that wait
// for BonifiQ, and a scheduled sweep, in; BonifiQ upserts and reversals out. Its bootstrap/ command
// wires it into a Lambda.
package pusher
