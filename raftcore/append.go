package raftcore

import (
	"fmt"

	"raftlab/dlog"
)

// handleAppend is the AppendEntries receiver implementation of Figure 2,
// run after Step has adopted any higher term. It returns the reply; any
// entries it appended are in the next Ready, to be persisted before the
// reply is sent.
func (c *Core) handleAppend(m Message) Message {
	reply := Message{Kind: MsgAppResp, From: c.id, To: m.From, Term: c.term}

	// 1. Reply false if term < currentTerm: a stale leader. The reply
	// carries our term, which makes it step down (§5.1).
	if m.Term < c.term {
		c.lg.Printf(dlog.Log, "term %d: reject stale append from %d (term %d)", c.term, m.From, m.Term)
		return reply
	}
	// Echo the ReadIndex round only for a request of our term: a stale
	// one's round belongs to an older reign of the leader, and our reply,
	// which carries our term, would vouch for a round of the current one.
	reply.Round = m.Round

	// m.From is the leader of our term (there is at most one per term,
	// §5.2): a candidate of this term has lost. Hearing from the leader
	// resets the election timer.
	if c.role != Follower || c.leader != m.From {
		c.becomeFollower(c.term, m.From)
	}
	c.resetElectionTimer()

	prev, prevTerm, ents := m.PrevLogIndex, m.PrevLogTerm, m.Entries
	if prev < c.log.snapIndex {
		// The request starts inside our snapshot. Those entries are
		// committed and so match the leader's (Leader Completeness):
		// skip them and check consistency at the snapshot's end.
		skip := min(c.log.snapIndex-prev, len(ents))
		ents = ents[skip:]
		prev, prevTerm = c.log.snapIndex, c.log.snapTerm
	}

	// 2. Reply false if log doesn't contain an entry at prevLogIndex whose
	// term matches prevLogTerm; with the hint for fast backup.
	if prev > c.log.lastIndex() {
		reply.RejectIndex, reply.ConflictTerm, reply.ConflictIndex = prev, 0, c.log.lastIndex()+1
		c.lg.Printf(dlog.Log, "term %d: reject append prev %d: log ends at %d", c.term, prev, c.log.lastIndex())
		return reply
	}
	if t, _ := c.log.term(prev); t != prevTerm {
		reply.RejectIndex, reply.ConflictTerm, reply.ConflictIndex = prev, t, c.log.firstIndexOfTerm(prev)
		c.lg.Printf(dlog.Log, "term %d: reject append prev %d@%d: have term %d", c.term, prev, prevTerm, t)
		return reply
	}

	// 3. If an existing entry conflicts with a new one (same index but
	// different terms), delete the existing entry and all that follow it.
	// 4. Append any new entries not already in the log.
	// Entries that agree are kept: the request may be a stale duplicate,
	// and truncating would discard entries a newer request appended.
	for i, e := range ents {
		if e.Index <= c.log.lastIndex() {
			if t, _ := c.log.term(e.Index); t == e.Term {
				continue
			}
			if e.Index <= c.commit {
				panic(fmt.Sprintf("raftcore: server %d would truncate committed entry %d (commit %d)", c.id, e.Index, c.commit))
			}
			c.lg.Printf(dlog.Log, "term %d: conflict at %d: truncate", c.term, e.Index)
			c.log.truncateFrom(e.Index)
		}
		c.log.append(ents[i:]...)
		c.mustPersist = true
		break
	}

	// 5. If leaderCommit > commitIndex, set commitIndex = min(leaderCommit,
	// index of last new entry). Only entries this request vouched for
	// count: beyond them our log may still differ from the leader's.
	lastNew := prev + len(ents)
	if m.LeaderCommit > c.commit {
		c.commit = max(c.commit, min(m.LeaderCommit, lastNew))
	}
	reply.Success, reply.MatchIndex = true, lastNew
	return reply
}
