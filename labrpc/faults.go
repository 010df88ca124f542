package labrpc

import (
	"fmt"
	"time"
)

// Faults describes how unreliable a network or one directed link is. The
// zero value is a perfect link.
type Faults struct {
	DropRequests float64       // probability a request is lost (the handler does not run)
	DropReplies  float64       // probability a reply is lost (the handler did run)
	Duplicates   float64       // probability a request is delivered twice (the caller sees one reply)
	MinDelay     time.Duration // each request is delayed uniformly in [MinDelay, MaxDelay)
	MaxDelay     time.Duration
	// Each delivered reply is delayed uniformly in [ReplyMinDelay,
	// ReplyMaxDelay): on one link, this makes a reply arrive after its
	// caller has moved on (a later term), which a request delay cannot.
	ReplyMinDelay time.Duration
	ReplyMaxDelay time.Duration
}

// classicUnreliable is Reliable(false): lab timeouts are tuned to it.
var classicUnreliable = Faults{DropRequests: 0.1, DropReplies: 0.1, MaxDelay: 27 * time.Millisecond}

func (f Faults) validate() error {
	for _, p := range []struct {
		name string
		v    float64
	}{{"DropRequests", f.DropRequests}, {"DropReplies", f.DropReplies}, {"Duplicates", f.Duplicates}} {
		if !(p.v >= 0 && p.v <= 1) {
			return fmt.Errorf("labrpc: Faults.%s = %v is not a probability; use a value between 0 and 1", p.name, p.v)
		}
	}
	if f.MinDelay < 0 || f.MaxDelay < f.MinDelay {
		return fmt.Errorf("labrpc: Faults delays [%v, %v) are not a range; need 0 <= MinDelay <= MaxDelay", f.MinDelay, f.MaxDelay)
	}
	if f.ReplyMinDelay < 0 || f.ReplyMaxDelay < f.ReplyMinDelay {
		return fmt.Errorf("labrpc: Faults reply delays [%v, %v) are not a range; need 0 <= ReplyMinDelay <= ReplyMaxDelay", f.ReplyMinDelay, f.ReplyMaxDelay)
	}
	return nil
}

// worst combines two fault sets field by field.
func (f Faults) worst(g Faults) Faults {
	return Faults{
		DropRequests: max(f.DropRequests, g.DropRequests),
		DropReplies:  max(f.DropReplies, g.DropReplies),
		Duplicates:   max(f.Duplicates, g.Duplicates),
		MinDelay:     max(f.MinDelay, g.MinDelay),
		MaxDelay:     max(f.MaxDelay, g.MaxDelay),

		ReplyMinDelay: max(f.ReplyMinDelay, g.ReplyMinDelay),
		ReplyMaxDelay: max(f.ReplyMaxDelay, g.ReplyMaxDelay),
	}
}

type link struct{ from, to any }

// SetFaults sets the faults of every link that has no faults of its own.
// Reliable(false) adds the classic numbers on top (the worse of the two
// applies, field by field). An invalid Faults is recorded as an error and
// ignored.
func (n *Network) SetFaults(f Faults) {
	if err := f.validate(); err != nil {
		n.fail(err)
		return
	}
	n.mu.Lock()
	n.faults = f
	n.mu.Unlock()
}

// SetLinkFaults sets the faults of calls from the ends owned by from (see
// SetOwner) to server to. They replace the network-wide faults, including
// Reliable(false), on that link.
func (n *Network) SetLinkFaults(from, to any, f Faults) {
	if err := f.validate(); err != nil {
		n.fail(err)
		return
	}
	if !n.comparable("SetLinkFaults", from, to) {
		return
	}
	n.mu.Lock()
	n.linkFaults[link{from, to}] = f
	n.mu.Unlock()
}

// ClearLinkFaults removes every per-link fault setting.
func (n *Network) ClearLinkFaults() {
	n.mu.Lock()
	clear(n.linkFaults)
	n.mu.Unlock()
}

// faultsFor must be called with n.mu held.
func (n *Network) faultsFor(owner, server any) Faults {
	if owner != nil && len(n.linkFaults) > 0 {
		if f, ok := n.linkFaults[link{owner, server}]; ok {
			return f
		}
	}
	if !n.reliable {
		return n.faults.worst(classicUnreliable)
	}
	return n.faults
}

// SetJitter delays every delivered request by a further amount drawn
// uniformly from [0, d), on top of any configured delay, even on a reliable
// network. The test harness turns it on (a fraction of a millisecond) so
// that in virtual time no two deliveries share an instant: with zero
// delays, servers whose timers fire on the same tick race within one
// instant, the goroutine scheduler picks the winner, and a seed no longer
// replays. With jitter on, a call also takes its route one nanosecond
// after it is made (taken off its delay), after any connection change made
// at the same instant. Off (0) by default, which keeps the classic timing
// and lets benchmarks measure the network itself. A negative d is recorded
// as an error and ignored.
func (n *Network) SetJitter(d time.Duration) {
	if d < 0 {
		n.fail(fmt.Errorf("labrpc: SetJitter(%v): the jitter must be zero (off) or positive", d))
		return
	}
	n.mu.Lock()
	n.jitter = d
	n.mu.Unlock()
}

// requestDelay is how long a routed request travels: the link's delay,
// plus the network's jitter.
func (r *callRoute) requestDelay(d decisions) time.Duration {
	var delay time.Duration
	if r.faults.MaxDelay > 0 {
		delay = between(d.reqDelay, r.faults.MinDelay, r.faults.MaxDelay)
	}
	if r.jitter > 0 {
		delay += between(d.jitter, 0, r.jitter)
	}
	return delay
}
