package raftcore

// A randomized test: N cores behind a simulated, seeded network that
// delays, reorders, duplicates and drops messages, partitions, crashes and
// restarts servers, and makes the service take snapshots, while the Raft
// safety properties (Figure 3) are checked after every step:
//
//   - Election Safety: at most one leader per term;
//   - Log Matching: logs that agree on an entry's term agree on everything
//     up to it;
//   - Leader Completeness: a leader elected after an entry was committed
//     holds it;
//   - State Machine Safety: no two servers apply different commands at one
//     index; each applies indices in order, without gaps;
//   - Read safety: a ReadIndex answered OK covers every entry any server
//     had committed when the read was asked for.
//
// At the end the network heals and the cluster must elect a leader and
// commit a new command on every server (liveness, given a good network).
// Everything is deterministic in the seed; a failure prints it.

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

var randomSeeds = flag.Int("seeds", 300, "number of seeds for TestRandomizedSafety")

func TestRandomizedSafety(t *testing.T) {
	seeds, steps := *randomSeeds, 3000
	if testing.Short() {
		seeds = min(seeds, 40)
	}
	var committed, snapshots, terms, reads int
	for seed := range seeds {
		n := 3 + 2*(seed%2) // 3 or 5 servers
		s := newSim(t, uint64(seed), n)
		s.prof = profiles[(seed/2)%len(profiles)]
		s.run(steps)
		s.checkLiveness()
		if t.Failed() {
			t.Fatalf("seed %d failed (n=%d, profile %s); trace tail:\n%s", seed, n, s.prof.name, strings.Join(s.trace, "\n"))
		}
		committed += len(s.committed)
		snapshots += s.snapshotsApplied
		terms += s.maxTerm()
		reads += s.readsDone
	}
	// So that a change that makes the test vacuous shows.
	t.Logf("%d seeds: %d entries committed, %d snapshots installed, %d terms, %d reads confirmed", seeds, committed, snapshots, terms, reads)
	if committed < seeds*3 || snapshots == 0 || reads < seeds {
		t.Errorf("the simulation exercised too little")
	}
}

type simNode struct {
	core    *Core
	disk    diskState
	up      bool
	applied int   // what the service has applied
	sm      []int // the service's state: the commands at 1..applied
	incarn  int
}

type committedEntry struct {
	term, cmd  int
	maxTermNow int // the highest term of any server when first applied
}

type sim struct {
	t         *testing.T
	r         *rand.Rand
	seed      uint64
	nodes     []*simNode
	net       []Message
	group     []int // partition: servers talk only within a group
	leaders   map[int]int
	committed map[int]committedEntry
	nextCmd   int
	trace     []string

	snapshotsApplied int
	prof             profile

	reads     map[uint64]int // read id -> the highest commit index anywhere when it was asked for
	nextRead  uint64
	readsDone int // reads answered OK
}

func newSim(t *testing.T, seed uint64, n int) *sim {
	s := &sim{t: t, r: rand.New(rand.NewPCG(seed, 0x5eed)), seed: seed, group: make([]int, n),
		leaders: map[int]int{}, committed: map[int]committedEntry{}, nextCmd: 1, reads: map[uint64]int{}}
	for range n {
		s.nodes = append(s.nodes, &simNode{})
	}
	for id := range n {
		s.restart(id)
	}
	return s
}

func (s *sim) logf(format string, args ...any) {
	s.trace = append(s.trace, fmt.Sprintf(format, args...))
	if len(s.trace) > 60 {
		s.trace = s.trace[1:]
	}
}

func (s *sim) restart(id int) {
	nd := s.nodes[id]
	nd.incarn++
	nd.core = New(Config{
		ID: id, Peers: len(s.nodes), ElectionTicks: 10, HeartbeatTicks: 3, MaxEntries: 4,
		Rand:  rand.New(rand.NewPCG(s.seed, uint64(id*1000+nd.incarn))),
		State: nd.disk.state, Snapshot: nd.disk.snapshot,
	})
	nd.up = true
	// The service restores itself from the snapshot on disk.
	nd.sm = decodeSM(nd.disk.snapshot)
	nd.applied = len(nd.sm)
	s.logf("restart %d", id)
}

func encodeSM(sm []int) []byte {
	parts := make([]string, len(sm))
	for i, v := range sm {
		parts[i] = strconv.Itoa(v)
	}
	return []byte(strings.Join(parts, ","))
}

func decodeSM(b []byte) []int {
	if len(b) == 0 {
		return nil
	}
	var sm []int
	for _, p := range strings.Split(string(b), ",") {
		v, _ := strconv.Atoi(p)
		sm = append(sm, v)
	}
	return sm
}

func (s *sim) run(steps int) {
	for step := 0; step < steps && !s.t.Failed(); step++ {
		s.randomAction()
		s.checkSafety()
	}
}

// profile weighs the random actions; each seed uses one, so that both
// calm runs (long terms, many commits) and stormy ones (crashes, losses,
// partitions, many short terms: where Figure 8 situations arise) occur.
type profile struct {
	name                                            string
	tick, deliver, propose, crash, restart, compact int
	partition, heal, burst, read                    int
	dropPct                                         int
}

var profiles = []profile{
	{name: "calm", tick: 300, deliver: 450, propose: 100, crash: 20, restart: 50, compact: 30, partition: 15, heal: 20, burst: 15, read: 40, dropPct: 10},
	{name: "stormy", tick: 250, deliver: 350, propose: 150, crash: 60, restart: 80, compact: 30, partition: 40, heal: 30, burst: 10, read: 40, dropPct: 30},
	{name: "figure8", tick: 300, deliver: 200, propose: 40, crash: 120, restart: 150, compact: 10, partition: 60, heal: 30, burst: 20, read: 40, dropPct: 40},
	{name: "churn", tick: 200, deliver: 250, propose: 250, crash: 100, restart: 150, compact: 20, partition: 10, heal: 10, burst: 10, read: 40, dropPct: 20},
	// Partitions that outlast elections: a deposed leader goes on
	// believing it leads while the majority elects another and commits,
	// and is asked for reads meanwhile.
	{name: "stale-leader", tick: 300, deliver: 400, propose: 100, crash: 5, restart: 50, compact: 20, partition: 8, heal: 2, burst: 20, read: 80, dropPct: 10},
}

func (s *sim) randomAction() {
	n := len(s.nodes)
	id := s.r.IntN(n)
	nd := s.nodes[id]
	p := s.prof
	x := s.r.IntN(p.tick + p.deliver + p.propose + p.crash + p.restart + p.compact + p.partition + p.heal + p.read + p.burst)
	pick := func(w int) bool {
		if x < w {
			return true
		}
		x -= w
		return false
	}
	switch {
	case pick(p.tick):
		if nd.up {
			nd.core.Tick()
			s.ready(id)
		}
	case pick(p.deliver):
		s.deliverRandom()
	case pick(p.propose):
		if nd.up && nd.core.role == Leader {
			cmd := s.nextCmd
			s.nextCmd++
			idx, term, _ := nd.core.Propose(cmd)
			s.logf("propose %d on %d: %d@%d", cmd, id, idx, term)
			s.ready(id)
		}
	case pick(p.crash):
		if nd.up && s.upCount() > n/2 {
			nd.up = false
			s.logf("crash %d", id)
		}
	case pick(p.restart):
		if !nd.up {
			s.restart(id)
		}
	case pick(p.compact):
		if nd.up && nd.applied > nd.core.log.snapIndex {
			idx := nd.core.log.snapIndex + 1 + s.r.IntN(nd.applied-nd.core.log.snapIndex)
			s.logf("compact %d at %d", id, idx)
			nd.core.Compact(idx, encodeSM(nd.sm[:idx]))
			s.ready(id)
		}
	case pick(p.partition):
		for i := range s.group {
			s.group[i] = s.r.IntN(2)
		}
		s.logf("partition %v", s.group)
	case pick(p.heal):
		clear(s.group)
		s.logf("heal")
	case pick(p.read):
		if nd.up {
			s.nextRead++
			s.reads[s.nextRead] = s.maxCommit()
			s.logf("read %d on %d (commit anywhere %d)", s.nextRead, id, s.reads[s.nextRead])
			nd.core.ReadIndex(s.nextRead)
			s.ready(id)
		}
	default:
		// A burst of elapsed time on everyone.
		for i, o := range s.nodes {
			if o.up {
				o.core.Tick()
				s.ready(i)
			}
		}
	}
}

func (s *sim) upCount() int {
	c := 0
	for _, nd := range s.nodes {
		if nd.up {
			c++
		}
	}
	return c
}

// deliverRandom takes a random message off the network (so messages are
// reordered) and delivers, drops or duplicates it.
func (s *sim) deliverRandom() {
	if len(s.net) == 0 {
		return
	}
	i := s.r.IntN(len(s.net))
	m := s.net[i]
	if s.r.IntN(100) >= 5 { // 5%: leave a copy behind, a duplicate
		s.net = append(s.net[:i], s.net[i+1:]...)
	}
	s.deliver(m, s.r.IntN(100) < s.prof.dropPct)
}

func (s *sim) deliver(m Message, drop bool) {
	to, from := s.nodes[m.To], s.nodes[m.From]
	if drop || !to.up || s.group[m.To] != s.group[m.From] {
		s.logf("lost %v", m)
		if m.Kind.IsRequest() && from.up && s.r.IntN(100) < 80 {
			from.core.ReportUnreachable(m)
			s.ready(m.From)
		}
		return
	}
	s.logf("deliver %v", m)
	reply := to.core.Step(m)
	s.ready(m.To)
	if reply != nil {
		s.net = append(s.net, *reply)
	}
}

// ready carries out a core's Ready like the driver does, checking the
// apply stream on the way.
func (s *sim) ready(id int) {
	nd := s.nodes[id]
	rd := nd.core.Ready()
	if rd.Persist {
		st := rd.State
		nd.disk = diskState{&st, rd.Snapshot}
	}
	s.net = append(s.net, rd.Messages...)
	// One message per peer per Ready: the driver sends each on a
	// goroutine of its own, so two to one peer would reach the network in
	// an order no seed decides.
	to := map[int]bool{}
	for _, m := range rd.Messages {
		if to[m.To] {
			s.t.Errorf("server %d: one Ready holds two messages to %d: %v", id, m.To, rd.Messages)
		}
		to[m.To] = true
	}
	for _, r := range rd.Reads {
		least := s.reads[r.ID]
		delete(s.reads, r.ID)
		if !r.OK {
			continue
		}
		s.readsDone++
		s.logf("%d confirms read %d at %d (term %d)", id, r.ID, r.Index, r.Term)
		if r.Index < least {
			s.t.Errorf("Read safety: server %d confirmed read %d at index %d, but index %d was committed when it was asked for", id, r.ID, r.Index, least)
		}
	}
	for _, a := range rd.Apply {
		if a.SnapshotValid {
			if a.SnapshotIndex <= nd.applied {
				s.t.Errorf("server %d: snapshot %d does not advance applied %d", id, a.SnapshotIndex, nd.applied)
			}
			nd.sm = decodeSM(a.Snapshot)
			nd.applied = a.SnapshotIndex
			if len(nd.sm) != a.SnapshotIndex {
				s.t.Errorf("server %d: snapshot at %d holds %d commands", id, a.SnapshotIndex, len(nd.sm))
			}
			for i, v := range nd.sm {
				if c, ok := s.committed[i+1]; ok && c.cmd != v {
					s.t.Errorf("server %d: snapshot has %d at %d, committed %d", id, v, i+1, c.cmd)
				}
			}
			s.logf("%d applies snapshot %d", id, a.SnapshotIndex)
			s.snapshotsApplied++
			continue
		}
		if a.CommandIndex != nd.applied+1 {
			s.t.Errorf("server %d: applied %d after %d", id, a.CommandIndex, nd.applied)
		}
		cmd := a.Command.(int)
		nd.sm = append(nd.sm, cmd)
		nd.applied = a.CommandIndex
		if c, ok := s.committed[a.CommandIndex]; ok {
			if c.cmd != cmd || c.term != a.CommandTerm {
				s.t.Errorf("State Machine Safety: server %d applied %d@%d:%d, another applied %d@%d:%d",
					id, a.CommandIndex, a.CommandTerm, cmd, a.CommandIndex, c.term, c.cmd)
			}
		} else {
			s.committed[a.CommandIndex] = committedEntry{term: a.CommandTerm, cmd: cmd, maxTermNow: s.maxTerm()}
		}
	}
}

// maxCommit is the highest commit index of any server, up or down.
func (s *sim) maxCommit() int {
	c := 0
	for _, nd := range s.nodes {
		c = max(c, nd.core.commit)
	}
	return c
}

func (s *sim) maxTerm() int {
	t := 0
	for _, nd := range s.nodes {
		t = max(t, nd.core.term)
	}
	return t
}

func (s *sim) checkSafety() {
	for id, nd := range s.nodes {
		c := nd.core
		if !nd.up {
			continue
		}
		if c.commit > c.log.lastIndex() || c.applied > c.commit {
			s.t.Errorf("server %d: commit %d applied %d last %d", id, c.commit, c.applied, c.log.lastIndex())
		}
		if c.role != Leader {
			continue
		}
		// Election Safety.
		if l, ok := s.leaders[c.term]; ok && l != id {
			s.t.Errorf("Election Safety: %d and %d both leaders of term %d", l, id, c.term)
		}
		s.leaders[c.term] = id
		// Leader Completeness.
		for idx, ce := range s.committed {
			if ce.maxTermNow >= c.term || idx <= c.log.snapIndex {
				continue
			}
			if t, ok := c.log.term(idx); !ok || t != ce.term || c.log.at(idx).Command != ce.cmd {
				s.t.Errorf("Leader Completeness: leader %d of term %d lacks committed %d@%d:%d", id, c.term, idx, ce.term, ce.cmd)
			}
		}
	}
	// Log Matching, pairwise.
	for a := range s.nodes {
		for b := a + 1; b < len(s.nodes); b++ {
			la, lb := &s.nodes[a].core.log, &s.nodes[b].core.log
			lo, hi := max(la.snapIndex, lb.snapIndex)+1, min(la.lastIndex(), lb.lastIndex())
			agree := false
			for i := hi; i >= lo; i-- {
				ea, eb := la.at(i), lb.at(i)
				if ea.Term == eb.Term {
					agree = true
				}
				if agree && (ea.Term != eb.Term || ea.Command != eb.Command) {
					s.t.Errorf("Log Matching: servers %d and %d agree below %d but differ at %d: %v vs %v", a, b, hi, i, ea, eb)
					return
				}
			}
		}
	}
}

// checkLiveness heals everything and expects a leader to commit a new
// command on every server within a bounded number of rounds.
func (s *sim) checkLiveness() {
	if s.t.Failed() {
		return
	}
	clear(s.group)
	for id, nd := range s.nodes {
		if !nd.up {
			s.restart(id)
		}
	}
	s.logf("liveness phase")
	// A proposal can be lost if its leader is deposed; propose again to
	// each new leader.
	cmd, proposed, propTerm := -1, false, 0
	for round := 0; round < 500; round++ {
		for id, nd := range s.nodes {
			nd.core.Tick()
			s.ready(id)
			if nd.core.role == Leader && nd.core.term != propTerm {
				cmd, proposed, propTerm = s.nextCmd, true, nd.core.term
				s.nextCmd++
				nd.core.Propose(cmd)
				s.ready(id)
			}
		}
		for k := 0; len(s.net) > 0 && k < 1000; k++ {
			m := s.net[0]
			s.net = s.net[1:]
			s.deliver(m, false)
		}
		done := proposed
		for _, nd := range s.nodes {
			if !done || nd.applied == 0 || nd.sm[len(nd.sm)-1] != cmd {
				done = false
			}
		}
		if done {
			return
		}
	}
	s.t.Errorf("liveness: no command committed everywhere after healing (proposed=%v)", proposed)
}
