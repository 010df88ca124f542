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
