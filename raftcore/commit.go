package raftcore

import (
	"slices"

	"raftlab/dlog"
)

// maybeCommit advances the leader's commit index (Figure 2, Rules for
// Servers, Leaders): "If there exists an N such that N > commitIndex, a
// majority of matchIndex[i] ≥ N, and log[N].term == currentTerm: set
// commitIndex = N."
//
// The term condition is Figure 8's lesson (§5.4.2): an entry from an
// earlier term may be on a majority and still be overwritten by a later
// leader, so a leader never commits such an entry by counting replicas; it
// becomes committed indirectly when an entry of the current term after it
// is.
func (c *Core) maybeCommit() {
	c.progress[c.id].match = c.log.lastIndex()
	matches := make([]int, c.n)
	for p := range c.progress {
		matches[p] = c.progress[p].match
	}
	slices.Sort(matches)
	// The quorum-th highest match is on a majority of servers.
	n := matches[c.n-c.quorum()]
	if n <= c.commit {
		return
	}
	if t, _ := c.log.term(n); t != c.term {
		return
	}
	c.lg.Printf(dlog.Log, "term %d: commit %d -> %d", c.term, c.commit, n)
	c.commit = n
}

// flushCommitted queues the entries committed but not yet handed to the
// service (lastApplied < i ≤ commitIndex, Figure 2) for the next Ready.
func (c *Core) flushCommitted() {
	if c.commit <= c.applied {
		return
	}
	for _, e := range c.log.slice(c.applied+1, c.commit) {
		c.pendingApply = append(c.pendingApply, Apply{
			CommandValid: true, Command: e.Command, CommandIndex: e.Index, CommandTerm: e.Term,
		})
	}
	c.applied = c.commit
}
