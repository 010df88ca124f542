package raftcore

import "raftlab/dlog"

// progress is the leader's view of one follower: Figure 2's nextIndex and
// matchIndex, plus the flow control that keeps each entry sent once per
// follower in the normal case.
//
// Flow control: at most one AppendEntries carrying entries (or probing an
// unconfirmed position), or one InstallSnapshot, is outstanding per
// follower. While it is in flight new proposals accumulate in the log; the
// reply releases them as one batch. So in steady state every entry travels
// once, in order, and a burst of proposals costs about one RPC per follower
// per round trip. Heartbeats go out regardless, but carry no entries.
//
// An outstanding message is given up on (and its entries sent again from
// where it started) when the driver reports it undeliverable, or when it
// has gone unanswered for RetransmitTicks, checked at each heartbeat.
type progress struct {
	match int // highest index known to be replicated on the follower
	next  int // index of the next entry to send

	inflight     bool // an append or snapshot is outstanding
	inflightFrom int  // next before that message was sent: where to resume if it is lost
	sentAt       int  // tick it was sent

	readAck int // the latest ReadIndex round the follower acknowledged (read.go)
}

// Propose appends a command to the leader's log and starts replicating it
// at once (Start of the lab API). It returns the index the command will
// have if it is ever committed, the current term, and whether this server
// is the leader; a non-leader appends nothing.
func (c *Core) Propose(cmd any) (index, term int, isLeader bool) {
	if c.role != Leader {
		return -1, c.term, false
	}
	e := Entry{Index: c.log.lastIndex() + 1, Term: c.term, Command: cmd}
	c.log.append(e)
	c.mustPersist = true
	c.progress[c.id].match = e.Index
	c.lg.Printf(dlog.Log, "term %d: propose %v", c.term, e)
	for p := 0; p < c.n; p++ {
		if p != c.id {
			c.sendAppend(p, false)
		}
	}
	c.maybeCommit() // a single-server cluster commits alone
	return e.Index, c.term, true
}

// sendAppend sends follower p the entries from its nextIndex on (Figure 2,
// "If last log index ≥ nextIndex for a follower: send AppendEntries RPC with
// log entries starting at nextIndex"), unless a message to p is already in
// flight. If those entries were compacted away, it sends the snapshot
// instead (§7). With force it sends even when there is nothing new: an empty
// AppendEntries, which asserts leadership and carries the commit index.
//
// nextIndex moves past the sent entries at once (optimistically), so the
// next batch starts after them; if the message is lost, the leader resumes
// from inflightFrom.
func (c *Core) sendAppend(p int, force bool) {
	pr := &c.progress[p]
	if pr.inflight {
		return
	}
	if pr.next-1 < c.log.snapIndex {
		c.sendSnapshot(p)
		return
	}
	last := c.log.lastIndex()
	if pr.next > last && !force {
		return
	}
	hi := min(last, pr.next+c.maxEntries-1)
	prevTerm, _ := c.log.term(pr.next - 1)
	c.send(Message{
		Kind: MsgApp, To: p,
		PrevLogIndex: pr.next - 1, PrevLogTerm: prevTerm,
		Entries:      c.log.slice(pr.next, hi),
		LeaderCommit: c.commit,
		Round:        c.readRound,
	})
	// An empty append to a follower known to match through next-1 is a
	// plain heartbeat: nothing to wait for. Anything else (entries, or a
	// probe of a guessed nextIndex) must be answered before the next one.
	if hi >= pr.next || pr.match < pr.next-1 {
		pr.inflight, pr.inflightFrom, pr.sentAt = true, pr.next, c.now
		pr.next = hi + 1
	}
}

// sendHeartbeat sends p an empty AppendEntries that cannot disturb the
// message in flight to it: its prevLogIndex is p's matchIndex, which p is
// known to hold, so p accepts it, resets its election timer and learns the
// commit index up to matchIndex. If the term of matchIndex is compacted
// away, it falls back to index 0, which always matches.
func (c *Core) sendHeartbeat(p int) {
	prev := c.progress[p].match
	prevTerm, ok := c.log.term(prev)
	if !ok {
		prev, prevTerm = 0, 0
	}
	c.send(Message{Kind: MsgApp, To: p, PrevLogIndex: prev, PrevLogTerm: prevTerm, LeaderCommit: c.commit, Round: c.readRound})
}

// broadcastHeartbeat runs every HeartbeatTicks on the leader (§5.2: "send
// periodic heartbeats ... to maintain their authority"). A follower with a
// message in flight gets a plain heartbeat, unless that message has waited
// too long: then it is presumed lost and sent again. A follower with nothing
// in flight gets an AppendEntries from its nextIndex, which carries any
// entries it lacks, so a follower behind is caught up within a heartbeat.
func (c *Core) broadcastHeartbeat() {
	for p := 0; p < c.n; p++ {
		if p == c.id {
			continue
		}
		pr := &c.progress[p]
		if pr.inflight && c.now-pr.sentAt >= c.retransmit {
			c.lg.Printf(dlog.Log, "term %d: no reply from %d since tick %d; resend from %d", c.term, p, pr.sentAt, pr.inflightFrom)
			pr.inflight, pr.next = false, pr.inflightFrom
		}
		if pr.inflight {
			c.sendHeartbeat(p)
		} else {
			c.sendAppend(p, true)
		}
	}
}

// handleAppendResp processes a follower's answer to AppendEntries (Figure
// 2, Rules for Servers, Leaders). Success advances matchIndex and perhaps
// the commit index, and releases the next batch. A rejection moves
// nextIndex back using the follower's hint (fast backup, §5.3) and retries
// at once, so a log diverging by hundreds of entries is repaired in a few
// round trips, one per term of divergence at most.
func (c *Core) handleAppendResp(m Message) {
	if c.role != Leader {
		return
	}
	// Any answer of this term, a rejection too, acknowledges our
	// leadership for the ReadIndex round the request carried. Noted last,
	// so that a round it starts finds what this answer sends the follower.
	defer c.noteReadAck(m.From, m.Round)
	if m.Success {
		c.acknowledge(m.From, m.MatchIndex)
		return
	}
	if m.ConflictIndex == 0 {
		return // rejected for its term; Step has already dealt with that
	}
	pr := &c.progress[m.From]
	if m.RejectIndex < pr.match || m.RejectIndex >= pr.next {
		return // answers a message that a newer one has superseded
	}
	next := m.ConflictIndex
	if m.ConflictTerm != 0 {
		// If we have entries of the follower's conflicting term, our
		// logs agree up to our last one of that term (Log Matching);
		// otherwise skip the follower's whole run of that term.
		if i, ok := c.log.lastIndexOfTerm(m.ConflictTerm); ok {
			next = i + 1
		}
	}
	// Always move back past the rejected position, never behind the
	// known match.
	next = max(min(next, m.RejectIndex), pr.match+1)
	c.lg.Printf(dlog.Log, "term %d: %d rejected prev %d (hint %d@%d); next %d -> %d", c.term, m.From, m.RejectIndex, m.ConflictIndex, m.ConflictTerm, pr.next, next)
	pr.next, pr.inflight = next, false
	c.sendAppend(m.From, true)
}

// acknowledge records that follower p's log matches ours through index
// match (from a successful AppendEntries or InstallSnapshot) and sends it
// whatever it lacks next.
func (c *Core) acknowledge(p, match int) {
	pr := &c.progress[p]
	if match > pr.match {
		pr.match = match
		c.maybeCommit()
	}
	if pr.next <= pr.match {
		pr.next = pr.match + 1
	}
	if pr.inflight && match >= pr.next-1 {
		pr.inflight = false // the outstanding message is answered
	}
	c.sendAppend(p, false)
}

// ReportUnreachable tells the leader that request m, which it sent, got no
// reply (the network lost it or its reply). If m is the message in flight
// to its follower, the leader stops waiting for it and resends its entries
// at the next heartbeat — not at once, so a crashed follower costs one RPC
// per heartbeat, not a busy loop.
func (c *Core) ReportUnreachable(m Message) {
	if c.role != Leader || m.Term != c.term || m.From != c.id {
		return
	}
	pr := &c.progress[m.To]
	last := m.PrevLogIndex + len(m.Entries)
	if m.Kind == MsgSnap {
		last = m.SnapIndex
	} else if m.Kind != MsgApp {
		return
	}
	if pr.inflight && last == pr.next-1 && last > pr.match {
		pr.inflight, pr.next = false, pr.inflightFrom
	}
}
