package order

import (
	"fmt"
	"maps"
	"slices"
	"sync"
	"time"
)

// TrackName names a partner's progress on an order ("loyalty", "plenty").
type TrackName string

// TrackState is where a partner track is. Each track's states are its own.
type TrackState string

// Track is one partner's progress on an order, beside the import lifecycle: BonifiQ's points,
// the status last written to plentymarkets. It moves only through its Machine.
type Track struct {
	State     TrackState `json:"state"`
	Attempts  int        `json:"attempts,omitempty"` // partner attempts for the current state
	UpdatedAt time.Time  `json:"updatedAt"`
	// Since is when the track entered its state; attempts in the state leave it as it is, so a
	// store indexes a waiting track by how long it has waited.
	Since time.Time `json:"since,omitzero"`
	// LastCall is the newest partner call made for this track, for operators.
	LastCall *PartnerCall `json:"lastCall,omitempty"`
	// Ref is the partner's own key for what the track made (a package id, an order id there).
	Ref string `json:"ref,omitempty"`
	// Waiting is set while the state needs work (TrackFacts.NeedsWork), so a store can index the
	// track without knowing its machine.
	Waiting bool `json:"waiting,omitempty"`
	// Facts holds the few partner values the track must remember (the last status written, a cancel
	// key), by name.
	Facts map[string]string `json:"facts,omitempty"`
}

// SetFact sets a named fact. The map is replaced, not changed in place, so a copy of the order
// taken before (a store's snapshot) keeps its own facts.
func (t *Track) SetFact(name, value string) {
	facts := maps.Clone(t.Facts)
	if facts == nil {
		facts = map[string]string{}
	}
	facts[name] = value
	t.Facts = facts
}

// TrackFacts is what a Machine knows about one of its states.
type TrackFacts struct {
	Next []TrackState
	// NeedsWork: orderhub still has to call the partner; the store indexes the track so a sweep is
	// one query.
	NeedsWork bool
	// NeedsPerson: only a person moves the track on (a partner refused for good); it needs work too,
	// so operators find it in the same index.
	NeedsPerson bool
}

// Machine is a partner track's state machine. Each partner package declares one with NewMachine.
type Machine struct {
	name    TrackName
	initial []TrackState
	states  map[TrackState]TrackFacts
}

// NewMachine declares a track: its name, the states a new track may start in, and each state's
// facts. It panics on a machine that names a state it does not define, so a typo fails at start-up.
func NewMachine(name TrackName, initial []TrackState, states map[TrackState]TrackFacts) *Machine {
	m := &Machine{name: name, initial: initial, states: states}
	for s, f := range states {
		if f.NeedsPerson && !f.NeedsWork {
			panic(fmt.Sprintf("track %s: %s needs a person but not work, so no index would list it", name, s))
		}
	}
	for _, s := range initial {
		if _, ok := states[s]; !ok {
			panic(fmt.Sprintf("track %s: initial state %s is not defined", name, s))
		}
	}
	for s, f := range states {
		for _, n := range f.Next {
			if _, ok := states[n]; !ok {
				panic(fmt.Sprintf("track %s: %s leads to undefined state %s", name, s, n))
			}
		}
	}
	machinesMu.Lock()
	machines[name] = m
	machinesMu.Unlock()
	return m
}

// machines are the declared tracks, by name, so operators' tools can list what needs a person
// across every partner without knowing them.
var (
	machinesMu sync.Mutex
	machines   = map[TrackName]*Machine{}
)

// Machines returns the declared tracks' machines, by name.
func Machines() []*Machine {
	machinesMu.Lock()
	defer machinesMu.Unlock()
	out := make([]*Machine, 0, len(machines))
	for _, n := range slices.Sorted(maps.Keys(machines)) {
		out = append(out, machines[n])
	}
	return out
}

// Waiting lists the machine's states that need work, sorted.
func (m *Machine) Waiting() []TrackState {
	var out []TrackState
	for s, f := range m.states {
		if f.NeedsWork {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// NeedsPerson reports whether only a person moves a track in state s on.
func (m *Machine) NeedsPerson(s TrackState) bool { return m.states[s].NeedsPerson }

// NeedingPerson lists the machine's states only a person moves on.
func (m *Machine) NeedingPerson() []TrackState {
	var out []TrackState
	for s, f := range m.states {
		if f.NeedsPerson {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// Name returns the track's name.
func (m *Machine) Name() TrackName { return m.name }

// NeedsWork reports whether a track in state s waits for orderhub to call the partner.
func (m *Machine) NeedsWork(s TrackState) bool { return m.states[s].NeedsWork }

// CanMove reports whether the machine allows from → to; from is empty for a track not started.
func (m *Machine) CanMove(from, to TrackState) bool {
	next := m.initial
	if from != "" {
		next = m.states[from].Next
	}
	for _, n := range next {
		if n == to {
			return true
		}
	}
	return false
}

// Track returns the order's track by name, or nil when it has not started.
func (o *Order) Track(name TrackName) *Track { return o.Tracks[name] }

// MoveTrack moves the order's track of machine m to state to and appends the history entry. It
// refuses moves the machine does not allow and leaves the order unchanged then. The call, if any,
// becomes the track's LastCall.
func (o *Order) MoveTrack(m *Machine, to TrackState, c Change) error {
	cur := o.Tracks[m.name]
	var from TrackState
	if cur != nil {
		from = cur.State
	}
	if !m.CanMove(from, to) {
		return fmt.Errorf("order %s: track %s: %s → %s: %w", o.ID, m.name, orStart(from), to, ErrIllegalTransition)
	}
	t := &Track{}
	if cur != nil {
		*t = *cur
	}
	if from != to {
		t.Attempts = 0
		t.Since = c.At.UTC()
	}
	t.State, t.UpdatedAt, t.Waiting = to, c.At.UTC(), m.NeedsWork(to)
	if c.Call != nil {
		t.LastCall = c.Call
	}
	o.setTrack(m.name, t)
	o.UpdatedAt = c.At.UTC()
	o.appendEvent(Event{At: c.At.UTC(), From: o.State, To: o.State, Actor: c.By, Reason: c.Reason, Call: c.Call,
		Track: m.name, TrackFrom: from, TrackTo: to})
	return nil
}

// RecordTrack appends a history entry for a partner call of track name that does not move it, such
// as a failure that will be retried, and counts the attempt. The track must have started.
func (o *Order) RecordTrack(name TrackName, c Change) error {
	cur := o.Tracks[name]
	if cur == nil {
		return fmt.Errorf("order %s: track %s has not started", o.ID, name)
	}
	t := *cur
	t.Attempts++
	t.UpdatedAt = c.At.UTC()
	if c.Call != nil {
		t.LastCall = c.Call
	}
	o.setTrack(name, &t)
	o.UpdatedAt = c.At.UTC()
	o.appendEvent(Event{At: c.At.UTC(), From: o.State, To: o.State, Actor: c.By, Reason: c.Reason, Call: c.Call,
		Track: name, TrackFrom: t.State, TrackTo: t.State})
	return nil
}

// setTrack replaces the track without touching the map callers may share with a stored copy.
func (o *Order) setTrack(name TrackName, t *Track) {
	tracks := make(map[TrackName]*Track, len(o.Tracks)+1)
	maps.Copy(tracks, o.Tracks)
	tracks[name] = t
	o.Tracks = tracks
}

func orStart(s TrackState) TrackState {
	if s == "" {
		return "(start)"
	}
	return s
}

// TrackWork is a track waiting for orderhub, as the store's index lists it.
type TrackWork struct {
	OrderID string
	Track   Track
}
