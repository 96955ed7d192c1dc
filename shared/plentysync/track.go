package plentysync

import (
	"errors"

	"github.com/orderhub/orderhub/shared/order"
)

// Track is the plentymarkets track's name: what orderhub last wrote to plentymarkets about an order
// and what it still has to write.
const Track order.TrackName = "plenty"

// The plentymarkets track's states.
const (
	// WriteDue: a status (and, for an imported order, the package with plenigo's order id) is to
	// be written; facts "status" and "package" say what.
	WriteDue order.TrackState = "WRITE_DUE"
	// Following: plentymarkets shows the hand-over; orderhub follows the import and writes its
	// outcome when there is one.
	Following order.TrackState = "FOLLOWING"
	// Written: plentymarkets shows the order's final status; a cancellation or a return may follow.
	Written order.TrackState = "WRITTEN"
	// Failed: plentymarkets refused a write for a reason retrying cannot fix.
	Failed order.TrackState = "FAILED"
)

// Machine is the plentymarkets track's state machine.
var Machine = order.NewMachine(Track, []order.TrackState{WriteDue}, map[order.TrackState]order.TrackFacts{
	WriteDue:  {Next: []order.TrackState{Following, Written, WriteDue, Failed}, NeedsWork: true},
	Following: {Next: []order.TrackState{WriteDue}, NeedsWork: true},
	Written:   {Next: []order.TrackState{WriteDue}},
	Failed:    {Next: []order.TrackState{WriteDue}, NeedsWork: true, NeedsPerson: true},
})

// Facts the track keeps.
const (
	factStatus  = "status"  // the status to write
	factPackage = "package" // "yes": write the package with plenigo's order id first
	// factPackageTried: a package create was attempted; a later attempt lists the packages first.
	factPackageTried = "packageTried"
	factTarget       = "target"   // the plentymarkets order to write to, when not the order's own (a return)
	factWritten      = "written"  // the last status written
	factAcked        = "acked:"   // + a return id: the acknowledgement written on that return
	factPrevious     = "previous" // the order's own status before a write to another order (a return)
)

// ErrNotFailed is returned by Replay for a track that has not failed.
var ErrNotFailed = errors.New("plentymarkets track has not failed")

// Replay makes a FAILED write due again, after an operator fixed the cause in plentymarkets.
func Replay(o *order.Order, c order.Change) error {
	t := o.Track(Track)
	if t == nil || t.State != Failed {
		return ErrNotFailed
	}
	facts := t.Facts
	if err := o.MoveTrack(Machine, WriteDue, c); err != nil {
		return err
	}
	o.Tracks[Track].Facts = facts
	return nil
}
