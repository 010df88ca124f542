package timeline

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Filter selects the events to show. The zero value shows every event but
// the network's link-level topology changes (which repeat the test's
// actions end by end).
type Filter struct {
	// Servers keeps the events of these lanes (an RPC: either end), and
	// the harness's actions and failures; empty keeps all.
	Servers []string
	// Topics keeps only these topics (election, log, network, test, ...);
	// empty keeps all. Hide drops these topics.
	Topics, Hide []string
	// From and To bound virtual time (To 0: to the end).
	From, To time.Duration
	// Topology shows the network's end and server changes too.
	Topology bool
}

// Keep says whether ev passes the filter.
func (f Filter) Keep(ev *Event) bool {
	if ev.At < f.From || (f.To > 0 && ev.At > f.To) {
		return false
	}
	if ev.Kind == KindTopology && !f.Topology {
		return false
	}
	if len(f.Topics) > 0 && !slices.Contains(f.Topics, ev.Topic) || slices.Contains(f.Hide, ev.Topic) {
		return false
	}
	if len(f.Servers) > 0 {
		switch {
		case ev.Kind == KindAction && ev.Lane == "", ev.Kind == KindFailure:
		case ev.RPC != nil:
			return slices.Contains(f.Servers, ev.RPC.From) || slices.Contains(f.Servers, ev.RPC.To)
		default:
			return slices.Contains(f.Servers, ev.Lane)
		}
	}
	return true
}

// Check reports filter values that match nothing in tl, so that a typo
// is an error rather than an empty screen.
func (f Filter) Check(tl *File) error {
	for _, s := range f.Servers {
		if !slices.Contains(tl.Servers, s) {
			return fmt.Errorf("no server %q in %s: its servers are %s", s, tl.Path, strings.Join(tl.Servers, ", "))
		}
	}
	topics := tl.Topics()
	for _, t := range slices.Concat(f.Topics, f.Hide) {
		if !slices.Contains(topics, t) {
			return fmt.Errorf("no topic %q in %s: its topics are %s", t, tl.Path, strings.Join(topics, ", "))
		}
	}
	if f.To > 0 && f.To < f.From {
		return fmt.Errorf("-to %v is before -from %v", f.To, f.From)
	}
	return nil
}

// ParseTime reads a virtual time as the timeline shows it ("4.5", "4.5s")
// or as a Go duration ("1m30s", "450ms").
func ParseTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	if secs, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64); err == nil && secs >= 0 {
		return time.Duration(secs * float64(time.Second)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q is not a virtual time: give seconds since the test's start (4.5 or 4.5s) or a duration (1m30s)", s)
	}
	return d, nil
}
