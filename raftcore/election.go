package raftcore

import "raftlab/dlog"

// campaign starts an election (§5.2): a follower or candidate whose
// election timeout elapsed increments its term, votes for itself and asks
// every other server for its vote. The vote for itself is persisted (the
// Ready carries it) before any RequestVote goes out.
func (c *Core) campaign() {
	c.term++
	c.votedFor = c.id
	c.mustPersist = true
	c.role = Candidate
	c.leader = None
	c.progress = nil
	c.votes = make([]bool, c.n)
	c.votes[c.id] = true
	c.resetElectionTimer()
	c.lg.Printf(dlog.Election, "term %d: campaign, last %d@%d", c.term, c.log.lastIndex(), c.log.lastTerm())
	if c.quorum() == 1 {
		c.becomeLeader()
		return
	}
	for p := 0; p < c.n; p++ {
		if p != c.id {
			c.send(Message{Kind: MsgVote, To: p, LastLogIndex: c.log.lastIndex(), LastLogTerm: c.log.lastTerm()})
		}
	}
}

// handleVote is the RequestVote receiver implementation (Figure 2), after
// Step has adopted a higher term: reject a candidate from an earlier term;
// otherwise grant the vote if we have not voted for someone else in this
// term and the candidate's log is at least as up-to-date as ours (§5.4.1).
// Granting a vote resets the election timer, and the vote is persisted
// before the reply leaves (the Ready that follows carries it).
func (c *Core) handleVote(m Message) Message {
	reply := Message{Kind: MsgVoteResp, From: c.id, To: m.From, Term: c.term}
	if m.Term < c.term {
		return reply
	}
	canVote := c.votedFor == None || c.votedFor == m.From
	if canVote && c.log.isUpToDate(m.LastLogIndex, m.LastLogTerm) {
		if c.votedFor != m.From {
			c.votedFor = m.From
			c.mustPersist = true
		}
		c.resetElectionTimer()
		reply.VoteGranted = true
		c.lg.Printf(dlog.Election, "term %d: vote for %d", c.term, m.From)
	}
	return reply
}

// handleVoteResp counts a vote; a candidate with votes from a majority
// becomes leader (§5.2). Step has already dropped replies from past terms.
func (c *Core) handleVoteResp(m Message) {
	if c.role != Candidate || !m.VoteGranted {
		return
	}
	c.votes[m.From] = true
	granted := 0
	for _, v := range c.votes {
		if v {
			granted++
		}
	}
	if granted >= c.quorum() {
		c.becomeLeader()
	}
}

// becomeLeader takes over the current term. The leader knows nothing of
// the followers' logs yet: it guesses each one matches its own (nextIndex =
// last index + 1, Figure 2) and at once sends every follower an
// AppendEntries to assert its leadership and test that guess.
//
// No no-op entry is appended: the lab's tests expect the indices returned
// by Start to be consecutive. So entries of earlier terms are committed only
// once an entry of this term is (Figure 8).
func (c *Core) becomeLeader() {
	c.role = Leader
	c.leader = c.id
	c.votes = nil
	c.heartbeatElapsed = 0
	c.progress = make([]progress, c.n)
	for p := range c.progress {
		c.progress[p] = progress{next: c.log.lastIndex() + 1}
	}
	c.progress[c.id].match = c.log.lastIndex()
	c.readRound, c.readConfirmed = 0, 0
	c.lg.Printf(dlog.Election, "term %d: leader, last %d@%d", c.term, c.log.lastIndex(), c.log.lastTerm())
	for p := 0; p < c.n; p++ {
		if p != c.id {
			c.sendAppend(p, true)
		}
	}
	c.maybeCommit() // a single-server cluster commits alone
}
