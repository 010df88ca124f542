package raftcore

// PersistentState is what a server must save on stable storage (Figure 2's
// "Persistent state on all servers", with the log's compacted prefix
// summarized by the index and term of its last entry, §7). The snapshot
// itself travels beside it in Ready and must be saved in the same write.
type PersistentState struct {
	Term      int
	VotedFor  int
	SnapIndex int
	SnapTerm  int
	Entries   []Entry
}

// Apply is one item for the service, in the shape of the lab's ApplyMsg:
// either a committed command or a snapshot that replaces the service's
// state.
type Apply struct {
	CommandValid bool
	Command      any
	CommandIndex int
	CommandTerm  int

	SnapshotValid bool
	Snapshot      []byte
	SnapshotIndex int
	SnapshotTerm  int
}

// Ready is the output of the Core since the previous Ready. The driver
// handles it in this order:
//
//  1. if Persist, save State and Snapshot together;
//  2. then send Messages, and return the replies Step gave it;
//  3. deliver Apply to the service, in order.
//
// Step 1 before step 2 is the rule that makes votes and acknowledgements
// survive crashes. Apply holds only committed entries, which have been
// persisted by an earlier (or this) Ready.
type Ready struct {
	Persist  bool
	State    PersistentState
	Snapshot []byte

	Messages []Message
	Apply    []Apply
	// Reads answers ReadIndex requests; the driver hands each to whoever
	// asked. They promise nothing that must survive a crash.
	Reads []ReadState
}

// HasReady reports whether Ready would return anything.
func (c *Core) HasReady() bool {
	return c.mustPersist || len(c.msgs) > 0 || len(c.pendingApply) > 0 || c.commit > c.applied || len(c.readStates) > 0
}

// Ready returns the pending output and clears it: the Core assumes the
// driver will carry it out.
func (c *Core) Ready() Ready {
	c.flushCommitted()
	rd := Ready{Messages: c.msgs, Apply: c.pendingApply, Reads: c.readStates}
	if c.mustPersist {
		rd.Persist = true
		rd.State = PersistentState{
			Term: c.term, VotedFor: c.votedFor,
			SnapIndex: c.log.snapIndex, SnapTerm: c.log.snapTerm,
			Entries: append([]Entry(nil), c.log.entries...),
		}
		rd.Snapshot = c.snapshot
	}
	c.msgs, c.pendingApply, c.mustPersist, c.readStates = nil, nil, false, nil
	return rd
}
