package raftcore

import "raftlab/dlog"

// Snapshot returns the current snapshot (nil if none) and the index and
// term of the last entry it covers.
func (c *Core) Snapshot() (data []byte, index, term int) {
	return c.snapshot, c.log.snapIndex, c.log.snapTerm
}

// Compact is the service telling Raft it has taken a snapshot of its state
// through index (Snapshot of the lab API, §7). The log up to index is
// dropped, keeping the term of entry index for the consistency check, and
// the snapshot is persisted with the trimmed log in the next Ready.
//
// A snapshot at or before the current one is stale and ignored; so is one
// past what this Core has handed to the service, which no correct service
// can have taken.
func (c *Core) Compact(index int, data []byte) {
	if index <= c.log.snapIndex || index > c.applied {
		c.lg.Printf(dlog.Snapshot, "ignore snapshot at %d (have %d, applied %d)", index, c.log.snapIndex, c.applied)
		return
	}
	c.log.compact(index)
	c.snapshot = append([]byte(nil), data...)
	c.mustPersist = true
	c.lg.Printf(dlog.Snapshot, "snapshot through %d@%d", c.log.snapIndex, c.log.snapTerm)
}

// sendSnapshot sends follower p the leader's snapshot, because the entries
// p needs next have been compacted away (§7).
func (c *Core) sendSnapshot(p int) {
	pr := &c.progress[p]
	c.send(Message{Kind: MsgSnap, To: p, SnapIndex: c.log.snapIndex, SnapTerm: c.log.snapTerm, SnapData: c.snapshot})
	pr.inflight, pr.inflightFrom, pr.sentAt = true, pr.next, c.now
	pr.next = c.log.snapIndex + 1
	c.lg.Printf(dlog.Snapshot, "term %d: send snapshot %d@%d to %d", c.term, c.log.snapIndex, c.log.snapTerm, p)
}

// handleSnapshot is the InstallSnapshot receiver implementation (Figure
// 13; the whole snapshot comes in one message, so no offsets), run after
// Step has adopted any higher term.
//
// A snapshot that covers nothing beyond our commit index is stale (a
// delayed duplicate, or we caught up by AppendEntries meanwhile): installing
// it could only move the service backwards, so it is acknowledged and
// ignored. Otherwise the log is replaced (keeping any suffix that follows
// the snapshot's last entry) and the snapshot goes to the service after any
// entries already committed, so the service sees indices in order.
func (c *Core) handleSnapshot(m Message) Message {
	reply := Message{Kind: MsgSnapResp, From: c.id, To: m.From, Term: c.term}
	if m.Term < c.term {
		return reply
	}
	if c.role != Follower || c.leader != m.From {
		c.becomeFollower(c.term, m.From)
	}
	c.resetElectionTimer()
	reply.Success, reply.MatchIndex = true, m.SnapIndex
	if m.SnapIndex <= c.commit {
		c.lg.Printf(dlog.Snapshot, "term %d: ignore stale snapshot %d@%d (commit %d)", c.term, m.SnapIndex, m.SnapTerm, c.commit)
		return reply
	}
	c.flushCommitted()
	c.log.restore(m.SnapIndex, m.SnapTerm)
	c.snapshot = append([]byte(nil), m.SnapData...)
	c.commit, c.applied = m.SnapIndex, m.SnapIndex
	c.mustPersist = true
	c.pendingApply = append(c.pendingApply, Apply{
		SnapshotValid: true, Snapshot: c.snapshot, SnapshotIndex: m.SnapIndex, SnapshotTerm: m.SnapTerm,
	})
	c.lg.Printf(dlog.Snapshot, "term %d: installed snapshot %d@%d from %d", c.term, m.SnapIndex, m.SnapTerm, m.From)
	return reply
}

// handleSnapshotResp: the follower now holds everything through the
// snapshot's last index.
func (c *Core) handleSnapshotResp(m Message) {
	if c.role != Leader || !m.Success {
		return
	}
	c.acknowledge(m.From, m.MatchIndex)
}
