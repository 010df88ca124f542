package raftcore

import (
	"slices"

	"raftlab/dlog"
)

// Linearizable reads without log entries (§8 of the extended paper, in
// the form etcd calls ReadIndex). A service that answers reads from its
// state machine must not answer from a stale one: a leader deposed by a
// partition may still believe it leads. Instead of appending every read
// to the log, the leader
//
//  1. records its commit index as the read's index, which covers every
//     entry committed before the read arrived, provided the leader has
//     committed an entry of its own term (until then its commit index may
//     lag behind what earlier leaders committed, so such reads are
//     refused);
//  2. confirms that it still leads: a majority, itself included,
//     acknowledges an AppendEntries of its term sent after the read
//     arrived. No newer leader can then have been elected before that
//     moment, since its voters would have had to include one of those who
//     acknowledged;
//  3. tells the service the read index; the service answers the read once
//     it has applied through that index.
//
// Confirmation goes in rounds: every AppendEntries carries the number of
// the latest round (Message.Round) and every reply echoes the round of the
// request it answers. A read waits for the first round started after it
// arrived; while a round is unconfirmed, reads that arrive join the next
// one, which starts when the current one is confirmed. So any number of
// concurrent reads costs about one heartbeat to each follower per round
// trip, and a lost heartbeat is made up by the next periodic one, which
// carries the current round too.
//
// A read that is not confirmed within ReadTimeoutTicks fails, as do all
// pending reads when the leader steps down: a leader cut off from the
// majority never learns it has been deposed, and its reads must not wait
// forever.

// ReadState answers one ReadIndex request. With OK, Index is a commit
// index confirmed while this server led Term: a read served from the state
// machine once it has applied through Index is linearizable. Without OK the
// read was refused (not the leader, no entry of this term committed yet) or
// failed (leadership lost, not confirmed in time); Term is the server's
// current term.
type ReadState struct {
	ID    uint64
	Index int
	Term  int
	OK    bool
}

// pendingRead is a read waiting for its round to be confirmed.
type pendingRead struct {
	id    uint64
	index int // the commit index when it arrived
	round int // the round whose confirmation answers it
	at    int // the tick it arrived at
}

// ReadIndex asks for a linearizable read point; the answer, under id,
// comes in a later Ready's Reads (the next one, if the read is refused at
// once or a single server confirms it alone).
func (c *Core) ReadIndex(id uint64) {
	if c.role != Leader {
		c.answerRead(id, 0, false)
		return
	}
	if t, _ := c.log.term(c.commit); t != c.term {
		c.lg.Printf(dlog.Log, "term %d: refuse read %d: no entry of this term committed yet (commit %d)", c.term, id, c.commit)
		c.answerRead(id, 0, false)
		return
	}
	c.reads = append(c.reads, pendingRead{id: id, index: c.commit, round: c.readRound + 1, at: c.now})
	if c.readConfirmed == c.readRound {
		c.startReadRound()
	}
}

// startReadRound sends every follower an AppendEntries of a new round
// and confirms it at once if this server is a majority alone.
func (c *Core) startReadRound() {
	c.readRound++
	for p := 0; p < c.n; p++ {
		if p != c.id {
			c.sendRound(p)
		}
	}
	c.confirmReads()
}

// sendRound sends follower p a heartbeat of the current round, unless a
// message to p is already waiting in this step's output. An AppendEntries
// leaves after the round started, so it carries the round instead; an
// InstallSnapshot carries none, and p is left to the next heartbeat. One
// message per follower per step keeps a seed's run the same: the driver
// sends each message on a goroutine of its own, and two to one follower
// would reach the network in an order only the scheduler decides.
func (c *Core) sendRound(p int) {
	for i := range c.msgs {
		if c.msgs[i].To == p {
			if c.msgs[i].Kind == MsgApp {
				c.msgs[i].Round = c.readRound
			}
			return
		}
	}
	c.sendHeartbeat(p)
}

// noteReadAck records that follower p, answering an AppendEntries of this
// term, acknowledged round.
func (c *Core) noteReadAck(p, round int) {
	if round > c.progress[p].readAck {
		c.progress[p].readAck = round
		c.confirmReads()
	}
}

// confirmReads answers the reads whose round a majority has acknowledged,
// and starts the next round for those that arrived meanwhile.
func (c *Core) confirmReads() {
	acks := make([]int, c.n)
	for p := range c.progress {
		acks[p] = c.progress[p].readAck
	}
	acks[c.id] = c.readRound
	slices.Sort(acks)
	confirmed := acks[c.n-c.quorum()]
	if confirmed <= c.readConfirmed {
		return
	}
	c.readConfirmed = confirmed
	k := 0
	for ; k < len(c.reads) && c.reads[k].round <= confirmed; k++ {
		c.answerRead(c.reads[k].id, c.reads[k].index, true)
	}
	c.reads = c.reads[k:]
	if len(c.reads) > 0 {
		c.startReadRound()
	}
}

// expireReads fails the reads that have waited ReadTimeoutTicks; they are
// in order of arrival.
func (c *Core) expireReads() {
	k := 0
	for ; k < len(c.reads) && c.now-c.reads[k].at >= c.readTimeout; k++ {
		c.answerRead(c.reads[k].id, 0, false)
	}
	if k > 0 {
		c.lg.Printf(dlog.Log, "term %d: %d reads not confirmed within %d ticks", c.term, k, c.readTimeout)
		c.reads = c.reads[k:]
	}
}

// failReads fails every pending read: the leader is stepping down.
func (c *Core) failReads() {
	for _, r := range c.reads {
		c.answerRead(r.id, 0, false)
	}
	c.reads = nil
}

func (c *Core) answerRead(id uint64, index int, ok bool) {
	c.readStates = append(c.readStates, ReadState{ID: id, Index: index, Term: c.term, OK: ok})
}
