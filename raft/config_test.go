package raft

// The cluster harness of the graded Raft tests.
//
// A cluster runs n Raft servers on a simulated labrpc network inside one
// labtest bubble (virtual time, seeded randomness). It keeps each server's
// Persister across crashes, applies every ApplyMsg through a checker that
// compares it with what every other server applied at the same index, and
// offers the probes the tests are written with: checkOneLeader, checkTerms,
// checkNoLeader, nCommitted, one, wait.
//
// The tests use only the classic public contract of package raft: Make,
// Start, GetState, Kill, Snapshot, ApplyMsg and the Persister. A student's
// raft.go dropped in place of ours compiles and runs against them.

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/labtest"
)

// testElectionTimeout is the classic bound the tests grant an election: a
// correct Raft elects a new leader well within it once a majority can talk.
const testElectionTimeout = 1 * time.Second

// testSnapshotInterval is how many applied entries the snapshotting service lets
// pass between two calls of rf.Snapshot.
const testSnapshotInterval = 10

// testMaxRaftState bounds the persisted Raft state of a service that
// snapshots every testSnapshotInterval entries (TestSnapshotBasic3D and friends).
const testMaxRaftState = 2000

// firstApply is what the first server to apply an index applied there.
type firstApply struct {
	value  any
	server int
}

type cluster struct {
	h    *harness
	net  *labrpc.Network
	n    int
	snap bool // servers run the snapshotting service

	mu          sync.Mutex
	rafts       []*Raft
	saved       []*Persister
	alive       []bool // started and not crashed
	connected   []bool
	incarnation []int
	endnames    [][]string // endnames[i][j]: server i's end to server j
	logs        []map[int]any
	lastApplied []int
	committed   map[int]firstApply // index -> first value applied there
	maxIndex    int
	leaders     map[int]int // term -> the server seen leading it
	applyErr    string      // first apply-checker failure, reported once
	step        int         // the chaos test's current step (0: none)
	stepDesc    string
	stopChs     []chan struct{} // one per applier ever started

	// accounting since begin()
	t0     time.Time
	rpcs0  int
	bytes0 int64
	max0   int
}

// makeCluster builds and starts an n-server cluster. unreliable turns on
// labrpc's classic unreliable mode (drops, delays); snap runs the
// snapshotting service on every server.
func makeCluster(h *harness, n int, unreliable, snap bool) *cluster {
	cfg := &cluster{
		h:           h,
		net:         h.net,
		n:           n,
		snap:        snap,
		rafts:       make([]*Raft, n),
		saved:       make([]*Persister, n),
		alive:       make([]bool, n),
		connected:   make([]bool, n),
		incarnation: make([]int, n),
		endnames:    make([][]string, n),
		logs:        make([]map[int]any, n),
		lastApplied: make([]int, n),
		committed:   map[int]firstApply{},
		leaders:     map[int]int{},
	}
	cfg.net.Reliable(!unreliable)
	cfg.setFaults(labrpc.Faults{})
	for i := 0; i < n; i++ {
		cfg.saved[i] = MakePersister()
		cfg.start1(i)
	}
	for i := 0; i < n; i++ {
		cfg.connect(i)
	}
	h.cleanup(cfg.cleanup)
	h.started()
	return cfg
}

// ---------------------------------------------------------------------------
// Servers: start, crash, connect.

// start1 starts (or restarts) server i with fresh ends and the Persister its
// previous incarnation left behind.
func (cfg *cluster) start1(i int) {
	cfg.mu.Lock()
	if cfg.alive[i] {
		cfg.mu.Unlock()
		cfg.crash1(i)
		cfg.mu.Lock()
	}
	cfg.incarnation[i]++
	inc := cfg.incarnation[i]

	// Deterministic end names: seeds must replay.
	cfg.endnames[i] = make([]string, cfg.n)
	ends := make([]*labrpc.ClientEnd, cfg.n)
	for j := 0; j < cfg.n; j++ {
		name := fmt.Sprintf("end-%d-%d-i%d", i, j, inc)
		cfg.endnames[i][j] = name
		ends[j] = cfg.net.MakeEnd(name)
		cfg.net.SetOwner(name, i)
		cfg.net.Connect(name, j)
	}

	// The service's state: rebuilt from the snapshot, if there is one.
	cfg.logs[i] = map[int]any{}
	cfg.lastApplied[i] = 0
	persister := cfg.saved[i]
	if snap := persister.ReadSnapshot(); len(snap) > 0 {
		if err := cfg.ingestSnapLocked(i, snap, -1); err != "" {
			cfg.failLocked(err)
		}
	}
	applyCh := make(chan ApplyMsg)
	stop := make(chan struct{})
	cfg.stopChs = append(cfg.stopChs, stop)
	cfg.mu.Unlock()

	labtest.Drain(cfg.h.lh, applyCh) // lets a killed server finish its last send

	// labtest's odd-nanosecond offset: the body runs an odd number of
	// nanoseconds off the instants the servers' timers fire on, so the two
	// never tie and a seed replays. A server restarted now, at the body's
	// parity, would tick on the body's instants: step to the servers'
	// parity to start it, then back.
	restart := inc > 1
	if restart {
		cfg.h.started()
	}
	var rf *Raft
	cfg.h.lh.StartServer(strconv.Itoa(i), func() {
		rf = Make(ends, i, persister, applyCh)
	})
	if restart {
		cfg.h.started()
	}

	cfg.mu.Lock()
	cfg.rafts[i] = rf
	cfg.alive[i] = true
	cfg.mu.Unlock()

	cfg.h.lh.Go(fmt.Sprintf("applier-%d.%d", i, inc), func() { cfg.applier(i, inc, rf, applyCh, stop) })

	srv := labrpc.MakeServer()
	srv.AddService(labrpc.MakeService(rf))
	cfg.net.AddServer(i, srv)
	cfg.h.event("start server %d (incarnation %d)", i, inc)
}

// crash1 kills server i: its Raft is Killed, its RPC server deleted, its
// ends disabled. Its Persister is frozen as it was at the crash: the dead
// incarnation keeps writing into a copy nobody reads.
func (cfg *cluster) crash1(i int) {
	cfg.disconnect(i)
	cfg.net.DeleteServer(i)

	cfg.mu.Lock()
	rf := cfg.rafts[i]
	cfg.rafts[i] = nil
	cfg.alive[i] = false
	cfg.saved[i] = cfg.saved[i].Copy()
	cfg.mu.Unlock()

	if rf != nil {
		rf.Kill()
	}
	cfg.h.event("crash server %d", i)
}

// connect attaches server i to the network: its ends to every connected
// server and their ends to it.
func (cfg *cluster) connect(i int) {
	cfg.mu.Lock()
	cfg.connected[i] = true
	for j := 0; j < cfg.n; j++ {
		if cfg.connected[j] {
			cfg.net.Enable(cfg.endnames[i][j], true)
			cfg.net.Enable(cfg.endnames[j][i], true)
		}
	}
	cfg.mu.Unlock()
	cfg.h.event("connect %d", i)
}

// disconnect detaches server i from the network in both directions.
func (cfg *cluster) disconnect(i int) {
	cfg.mu.Lock()
	cfg.connected[i] = false
	for j := 0; j < cfg.n; j++ {
		if cfg.endnames[i] != nil {
			cfg.net.Enable(cfg.endnames[i][j], false)
		}
		if cfg.endnames[j] != nil {
			cfg.net.Enable(cfg.endnames[j][i], false)
		}
	}
	cfg.mu.Unlock()
	cfg.h.event("disconnect %d", i)
}

func (cfg *cluster) isConnected(i int) bool {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	return cfg.connected[i] && cfg.alive[i]
}

func (cfg *cluster) raft(i int) *Raft {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	return cfg.rafts[i]
}

// setUnreliable switches labrpc's classic unreliable mode.
func (cfg *cluster) setUnreliable(unrel bool) {
	cfg.net.Reliable(!unrel)
	cfg.h.event("network unreliable=%v", unrel)
}

func (cfg *cluster) setLongReordering(on bool) {
	cfg.net.LongReordering(on)
	cfg.h.event("network long reordering=%v", on)
}

func (cfg *cluster) cleanup() {
	cfg.h.closed.Store(true) // helpers still running must not report now
	for i := 0; i < cfg.n; i++ {
		cfg.mu.Lock()
		rf := cfg.rafts[i]
		cfg.rafts[i] = nil
		cfg.alive[i] = false
		cfg.mu.Unlock()
		if rf != nil {
			rf.Kill()
		}
	}
	// The appliers stop; labtest drains the apply channels during its grace
	// period so that killed servers can finish a send and exit.
	cfg.mu.Lock()
	for _, ch := range cfg.stopChs {
		close(ch)
	}
	cfg.stopChs = nil
	cfg.mu.Unlock()
}

// ---------------------------------------------------------------------------
// The apply checker.

// applier receives server i's ApplyMsgs for one incarnation and checks each
// against every other server's. Messages of a crashed incarnation are
// drained and ignored: its state machine is gone.
func (cfg *cluster) applier(i, inc int, rf *Raft, applyCh chan ApplyMsg, stop chan struct{}) {
	for {
		var m ApplyMsg
		select {
		case m = <-applyCh:
		case <-stop:
			return
		}
		cfg.mu.Lock()
		if cfg.incarnation[i] != inc || !cfg.alive[i] {
			cfg.mu.Unlock()
			continue
		}
		var err string
		snapshotNow := false
		switch {
		case m.CommandValid && m.SnapshotValid:
			err = fmt.Sprintf("server %d: ApplyMsg at index %d has both CommandValid and SnapshotValid set", i, m.CommandIndex)
		case m.CommandValid:
			err = cfg.checkApplyLocked(i, m.CommandIndex, m.Command)
			snapshotNow = err == "" && cfg.snap && m.CommandIndex%testSnapshotInterval == 0
		case m.SnapshotValid:
			if !cfg.snap {
				err = fmt.Sprintf("server %d: sent a snapshot (index %d) although the service never took one", i, m.SnapshotIndex)
			} else {
				err = cfg.ingestSnapLocked(i, m.Snapshot, m.SnapshotIndex)
			}
		default:
			// Neither kind: a student may send other messages; ignore.
		}
		if err != "" {
			cfg.failLocked(err)
		}
		var snap []byte
		if snapshotNow {
			snap = cfg.encodeSnapLocked(i, m.CommandIndex)
		}
		cfg.mu.Unlock()
		if snap != nil {
			// The service snapshots from its apply loop, as a real one does:
			// Raft must not hold a lock across its send on applyCh.
			rf.Snapshot(m.CommandIndex, snap)
		}
	}
}

// checkApplyLocked checks that server i applies value v at index in order,
// without gaps, and that it agrees with what any server applied there.
func (cfg *cluster) checkApplyLocked(i, index int, v any) string {
	if index != cfg.lastApplied[i]+1 {
		return fmt.Sprintf("apply out of order: server %d applied index %d after index %d (want %d)",
			i, index, cfg.lastApplied[i], cfg.lastApplied[i]+1)
	}
	if prev, ok := cfg.committed[index]; ok && prev.value != v {
		return fmt.Sprintf("state machine safety: server %d applied %v at index %d, but server %d applied %v there",
			i, v, index, prev.server, prev.value)
	}
	if _, ok := cfg.committed[index]; !ok {
		cfg.committed[index] = firstApply{value: v, server: i}
	}
	cfg.logs[i][index] = v
	cfg.lastApplied[i] = index
	if index > cfg.maxIndex {
		cfg.maxIndex = index
	}
	return ""
}

// encodeSnapLocked encodes the service state of server i: the applied log
// prefix up to index.
func (cfg *cluster) encodeSnapLocked(i, index int) []byte {
	w := new(bytes.Buffer)
	e := labgob.NewEncoder(w)
	xlog := make([]any, index+1)
	for j := 1; j <= index; j++ {
		xlog[j] = cfg.logs[i][j]
	}
	xlog[0] = 0
	if err := e.Encode(index); err != nil {
		cfg.failLocked(fmt.Sprintf("encode snapshot: %v", err))
	}
	if err := e.Encode(xlog); err != nil {
		cfg.failLocked(fmt.Sprintf("encode snapshot: %v", err))
	}
	return w.Bytes()
}

// ingestSnapLocked replaces server i's service state by a snapshot, checking
// it against every server's applies. want is the ApplyMsg's SnapshotIndex,
// or -1 for a snapshot read from the Persister at restart.
func (cfg *cluster) ingestSnapLocked(i int, snap []byte, want int) string {
	d := labgob.NewDecoder(bytes.NewBuffer(snap))
	var lastIncluded int
	var xlog []any
	if d.Decode(&lastIncluded) != nil || d.Decode(&xlog) != nil {
		return fmt.Sprintf("server %d: snapshot (index %d) does not decode: not the service's own bytes", i, want)
	}
	if want != -1 && want != lastIncluded {
		return fmt.Sprintf("server %d: ApplyMsg.SnapshotIndex is %d but the snapshot covers up to index %d", i, want, lastIncluded)
	}
	if want != -1 && lastIncluded < cfg.lastApplied[i] {
		return fmt.Sprintf("server %d: snapshot up to index %d would roll back the service, which has applied up to %d",
			i, lastIncluded, cfg.lastApplied[i])
	}
	for j := 1; j < len(xlog) && j <= lastIncluded; j++ {
		if prev, ok := cfg.committed[j]; ok && prev.value != xlog[j] {
			return fmt.Sprintf("state machine safety: server %d installed a snapshot with %v at index %d, but server %d applied %v there",
				i, xlog[j], j, prev.server, prev.value)
		}
	}
	cfg.logs[i] = map[int]any{}
	for j := 1; j < len(xlog) && j <= lastIncluded; j++ {
		if _, ok := cfg.committed[j]; !ok {
			cfg.committed[j] = firstApply{value: xlog[j], server: i}
		}
		cfg.logs[i][j] = xlog[j]
	}
	cfg.lastApplied[i] = lastIncluded
	if lastIncluded > cfg.maxIndex {
		cfg.maxIndex = lastIncluded
	}
	return ""
}

// failLocked records the first checker failure and hands it to the test
// goroutine (never t.Fatal here: this runs on an applier goroutine).
func (cfg *cluster) failLocked(msg string) {
	if cfg.applyErr != "" {
		return
	}
	msg += cfg.stepLocked() + fmt.Sprintf(" [seed %d]", cfg.h.lh.Seed())
	cfg.applyErr = msg
	cfg.h.report(msg)
}

// setStep records which step of a randomized test is running, so that a
// violation names the first step at which it was seen.
func (cfg *cluster) setStep(step int, desc string) {
	cfg.mu.Lock()
	cfg.step, cfg.stepDesc = step, desc
	cfg.mu.Unlock()
	cfg.h.event("step %d: %s", step, desc)
}

func (cfg *cluster) stepLocked() string {
	if cfg.step == 0 {
		return ""
	}
	return fmt.Sprintf(" (first seen at step %d: %s)", cfg.step, cfg.stepDesc)
}

// checkApplyErr fails the test if the apply checker found anything.
func (cfg *cluster) checkApplyErr() {
	cfg.mu.Lock()
	err := cfg.applyErr
	cfg.mu.Unlock()
	if err != "" {
		// Already reported (with t.Error) by the goroutine that found it.
		cfg.h.t.FailNow()
	}
}

// ---------------------------------------------------------------------------
// Probes.

// pollLeaders asks every server for its state and fails on a breach of
// election safety (see surveyLeaders). It returns the leaders among the
// connected servers, by term.
func (cfg *cluster) pollLeaders() map[int][]int {
	byTerm, err := cfg.surveyLeaders()
	if err != "" {
		cfg.h.fatalf("%s", err)
	}
	return byTerm
}

// surveyLeaders reads every live server's GetState and checks election
// safety two ways:
//
//   - no two servers ever claim the same term (recordLeader);
//   - a leader of term T has the votes to show for it: every voter adopts
//     T (and persists it) before it grants its vote, and terms never go
//     down, so at least a majority, the leader included, must be at term T
//     or beyond. Crashed servers are given the benefit of the doubt. The
//     terms are read a second time after every leadership claim was read,
//     so a vote granted in between cannot make a correct Raft fail.
//
// It returns the leaders among the connected servers, by term, and the
// first violation (or ""). Safe on any goroutine.
func (cfg *cluster) surveyLeaders() (map[int][]int, string) {
	type claim struct{ server, term int }
	var claims []claim
	byTerm := map[int][]int{}
	for i := 0; i < cfg.n; i++ {
		rf := cfg.raft(i)
		if rf == nil {
			continue
		}
		if term, isLeader := rf.GetState(); isLeader {
			claims = append(claims, claim{i, term})
			if cfg.isConnected(i) {
				byTerm[term] = append(byTerm[term], i)
			}
			if err := cfg.recordLeader(term, i); err != "" {
				return byTerm, err
			}
		}
	}
	if len(claims) == 0 {
		return byTerm, ""
	}
	terms := make([]int, cfg.n) // -1: down, may have voted
	for j := 0; j < cfg.n; j++ {
		terms[j] = -1
		if rf := cfg.raft(j); rf != nil {
			terms[j], _ = rf.GetState()
		}
	}
	for _, c := range claims {
		support := 1
		for j := 0; j < cfg.n; j++ {
			if j != c.server && (terms[j] == -1 || terms[j] >= c.term) {
				support++
			}
		}
		if 2*support <= cfg.n {
			cfg.mu.Lock()
			step := cfg.stepLocked()
			cfg.mu.Unlock()
			return byTerm, fmt.Sprintf("election safety: server %d leads term %d, but only %d of %d servers have reached that term (terms now %v): it cannot have had the votes of a majority%s [seed %d]",
				c.server, c.term, support, cfg.n, terms, step, cfg.h.lh.Seed())
		}
	}
	return byTerm, ""
}

// recordLeader records that server i claims to lead term; two leaders of
// one term, at any two moments, break election safety. It returns the
// violation, or "".
func (cfg *cluster) recordLeader(term, i int) string {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	prev, ok := cfg.leaders[term]
	if !ok {
		cfg.leaders[term] = i
		return ""
	}
	if prev != i {
		return fmt.Sprintf("election safety: servers %d and %d both led term %d%s [seed %d]", prev, i, term, cfg.stepLocked(), cfg.h.lh.Seed())
	}
	return ""
}

// checkOneLeader waits for the connected servers to settle on one leader
// and returns it. It fails if none emerges within 5 election timeouts.
func (cfg *cluster) checkOneLeader() int {
	deadline := time.Now().Add(5 * testElectionTimeout)
	for time.Now().Before(deadline) {
		cfg.sleep(time.Duration(450+cfg.h.rand.IntN(100)) * time.Millisecond)
		byTerm := cfg.pollLeaders()
		last := -1
		for term, ls := range byTerm {
			if len(ls) > 1 {
				cfg.h.fatalf("election safety: term %d has %d leaders: %v", term, len(ls), ls)
			}
			if term > last {
				last = term
			}
		}
		if last != -1 {
			return byTerm[last][0]
		}
	}
	cfg.h.fatalf("liveness: no leader elected within %v among connected servers %v", 5*testElectionTimeout, cfg.connectedList())
	return -1
}

// checkTerms returns the term all connected servers agree on, failing if
// they disagree.
func (cfg *cluster) checkTerms() int {
	term := -1
	for i := 0; i < cfg.n; i++ {
		if !cfg.isConnected(i) {
			continue
		}
		xterm, _ := cfg.raft(i).GetState()
		if term == -1 {
			term = xterm
		} else if term != xterm {
			cfg.h.fatalf("connected servers disagree on the term: %d vs %d (server %d)", term, xterm, i)
		}
	}
	return term
}

// checkNoLeader fails if any connected server believes it is the leader.
func (cfg *cluster) checkNoLeader() {
	for i := 0; i < cfg.n; i++ {
		if !cfg.isConnected(i) {
			continue
		}
		if term, isLeader := cfg.raft(i).GetState(); isLeader {
			cfg.h.fatalf("server %d claims leadership of term %d without a majority (connected: %v)", i, term, cfg.connectedList())
		}
	}
}

func (cfg *cluster) connectedList() []int {
	var l []int
	for i := 0; i < cfg.n; i++ {
		if cfg.isConnected(i) {
			l = append(l, i)
		}
	}
	return l
}

// nCommitted returns how many servers have applied index, and the value
// they applied. The apply checker has already made sure they agree. It
// fails the test if the checker found anything.
func (cfg *cluster) nCommitted(index int) (int, any) {
	cfg.checkApplyErr()
	return cfg.countApplied(index)
}

// countApplied is nCommitted without the failure check, for goroutines
// other than the test's.
func (cfg *cluster) countApplied(index int) (int, any) {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	count := 0
	var cmd any
	for i := 0; i < cfg.n; i++ {
		if v, ok := cfg.logs[i][index]; ok {
			count++
			cmd = v
		}
	}
	return count, cmd
}

// maxApplied returns the highest index any server has applied.
func (cfg *cluster) maxApplied() int {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	return cfg.maxIndex
}

// one submits cmd to whichever server is leader and waits until at least
// expectedServers servers applied it at the index the leader gave. With
// retry it resubmits after a leader failure; without it, a submission that
// does not commit fails the test. It returns the index.
func (cfg *cluster) one(cmd any, expectedServers int, retry bool) int {
	cfg.checkApplyErr()
	index, err := cfg.tryOne(cmd, expectedServers, retry)
	cfg.checkApplyErr()
	if err != nil {
		cfg.h.fatalf("%v", err)
	}
	return index
}

// tryOne is one for goroutines other than the test's: it returns the
// failure instead of failing the test.
func (cfg *cluster) tryOne(cmd any, expectedServers int, retry bool) (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	starts := 0
	for time.Now().Before(deadline) {
		// Try every connected server, starting from a different one each time.
		index := -1
		for k := 0; k < cfg.n; k++ {
			starts = (starts + 1) % cfg.n
			if !cfg.isConnected(starts) {
				continue
			}
			rf := cfg.raft(starts)
			if rf == nil {
				continue
			}
			if i, _, ok := rf.Start(cmd); ok {
				index = i
				break
			}
		}
		if index == -1 {
			cfg.sleep(50 * time.Millisecond)
			continue
		}
		// A leader took it: wait for agreement.
		t1 := time.Now().Add(2 * time.Second)
		for time.Now().Before(t1) {
			nd, v := cfg.countApplied(index)
			if nd > 0 && nd >= expectedServers && v == cmd {
				return index, nil
			}
			cfg.sleep(20 * time.Millisecond)
		}
		if !retry {
			nd, v := cfg.countApplied(index)
			return -1, fmt.Errorf("agreement: one(%v) was accepted at index %d but did not commit on %d servers within 2s (%d servers have %v there)",
				cmd, index, expectedServers, nd, v)
		}
	}
	return -1, fmt.Errorf("agreement: one(%v) failed to reach agreement on %d servers within 10s", cmd, expectedServers)
}

// wait waits until at least n servers applied index and returns the value.
// If some server moves past startTerm (startTerm > -1) it gives up and
// returns -1: the leader that accepted the entry may have lost it.
func (cfg *cluster) wait(index, n, startTerm int) any {
	to := 10 * time.Millisecond
	for iters := 0; iters < 30; iters++ {
		nd, _ := cfg.nCommitted(index)
		if nd >= n {
			break
		}
		cfg.sleep(to)
		if to < time.Second {
			to *= 2
		}
		if startTerm > -1 {
			for i := 0; i < cfg.n; i++ {
				if rf := cfg.raft(i); rf != nil {
					if t, _ := rf.GetState(); t > startTerm {
						return -1
					}
				}
			}
		}
	}
	nd, cmd := cfg.nCommitted(index)
	if nd < n {
		cfg.h.fatalf("agreement: only %d servers applied index %d, want %d", nd, index, n)
	}
	return cmd
}

// sleep lets virtual time pass.
func (cfg *cluster) sleep(d time.Duration) {
	cfg.h.sleep(d)
}

// ---------------------------------------------------------------------------
// Accounting.

func (cfg *cluster) rpcTotal() int {
	return cfg.net.GetTotalCount()
}

func (cfg *cluster) bytesTotal() int64 {
	return cfg.net.GetTotalBytes()
}

// rpcCount returns the RPCs server i has received.
func (cfg *cluster) rpcCount(i int) int {
	return cfg.net.GetCount(i)
}

// LogSize returns the largest persisted Raft state of any server.
func (cfg *cluster) LogSize() int {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	m := 0
	for _, p := range cfg.saved {
		if s := p.RaftStateSize(); s > m {
			m = s
		}
	}
	return m
}

// snapshotSize returns the size of server i's persisted snapshot.
func (cfg *cluster) snapshotSize(i int) int {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	return cfg.saved[i].SnapshotSize()
}

// begin marks the start of a test's measured part.
func (cfg *cluster) begin(description string) {
	cfg.h.logf("Test: %s", description)
	cfg.t0 = time.Now()
	cfg.rpcs0 = cfg.rpcTotal()
	cfg.bytes0 = cfg.bytesTotal()
	cfg.max0 = cfg.maxApplied()
}

// end checks the apply checker once more and logs what the test cost.
func (cfg *cluster) end() {
	cfg.checkApplyErr()
	rpcs := cfg.rpcTotal() - cfg.rpcs0
	nbytes := cfg.bytesTotal() - cfg.bytes0
	ncmds := cfg.maxApplied() - cfg.max0
	perAgree := ""
	if ncmds > 0 {
		perAgree = fmt.Sprintf(", %.1f RPCs and %d bytes per agreement", float64(rpcs)/float64(ncmds), nbytes/int64(ncmds))
	}
	clock := "virtual"
	if cfg.h.lh.Realtime() {
		clock = "real"
	}
	cfg.h.logf("  ... done: %v %s, %d peers, %d RPCs, %d bytes, %d agreements%s",
		time.Since(cfg.t0).Round(time.Millisecond), clock, cfg.n, rpcs, nbytes, ncmds, perAgree)
	if b := cfg.h.budget.virtual; b > 0 && time.Since(cfg.t0) > b {
		cfg.h.fatalf("time budget: the test took %v of virtual time, its budget is %v: too slow (elections or agreement taking too long?)",
			time.Since(cfg.t0).Round(time.Millisecond), b)
	}
	if b := cfg.h.budget.rpcs; b > 0 && cfg.rpcTotal() > b {
		cfg.h.fatalf("RPC budget: the test made %d RPCs, its budget is %d: too many RPCs (heartbeats too frequent, or retries without backoff?)",
			cfg.rpcTotal(), b)
	}
}

// ---------------------------------------------------------------------------
// Small helpers for tests.

// randCmd draws a command value from the test's seeded source.
func (cfg *cluster) randCmd() int {
	return cfg.h.rand.IntN(1 << 30)
}

// ---------------------------------------------------------------------------
// Glue to labtest, the virtual-time harness.

// virtualGrace is how far past its budget a test may run before labtest
// stops it.
const virtualGrace = 30 * time.Second

// testBudget is what one test may spend: virtual time (labtest fails the test,
// with a goroutine dump, when the body runs past it) and RPCs (checked by
// cluster.end).
type testBudget struct {
	virtual time.Duration
	rpcs    int
}

// harness is a test body's view of labtest. rand is the body's seeded
// source: use it on the test goroutine only (helpers get h.newRand).
type harness struct {
	lh     *labtest.H
	t      *testing.T
	rand   *rand.Rand
	net    *labrpc.Network
	budget testBudget
	closed atomic.Bool // teardown has begun
}

// runTest runs body as the test t in labtest's bubble, with the seed of
// -seed (or a fresh one, printed on failure).
func runTest(t *testing.T, b testBudget, body func(h *harness)) {
	t.Helper()
	runTestSeed(t, 0, false, b, body)
}

// runTestSeed is runTest with an explicit seed, for multi-seed tests.
func runTestSeed(t *testing.T, seed uint64, seeded bool, b testBudget, body func(h *harness)) {
	t.Helper()
	// The hard limit leaves room past the budget so that a helper that gives
	// up (one, wait, checkOneLeader: about 10 s each) fails with its own
	// message, which says what did not happen, rather than with the limit's
	// goroutine dump; the budget itself is checked in cluster.end.
	opts := []labtest.Option{labtest.VirtualTimeLimit(b.virtual + virtualGrace)}
	if seeded {
		opts = append(opts, labtest.WithSeed(seed))
	}
	labtest.Run(t, func(lh *labtest.H) {
		h := &harness{lh: lh, t: lh.T(), rand: lh.Rand(), net: lh.Net(), budget: b}
		body(h)
	}, opts...)
}

// fatalf fails the test. Test goroutine only.
func (h *harness) fatalf(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf(format, args...)
}

// report fails the test from any goroutine; the test goroutine stops at its
// next check (checkApplyErr, nCommitted, one).
func (h *harness) report(msg string) {
	if h.closed.Load() {
		return
	}
	h.t.Error(msg)
}

// goHelper runs f on a helper goroutine of the test (labelled for
// labtest's goroutine dumps, its panics reported as failures).
func (h *harness) goHelper(name string, f func()) { h.lh.Go(name, f) }

// event records a harness action (crash, restart, partition) in the
// timeline, then lets the goroutines the action woke (calls failed by a
// disconnect, say) run to a stop before the body goes on: otherwise they
// would race with the body's next action within one virtual instant, and a
// seed would not replay. One microsecond keeps the body's clock parity
// (see start1).
func (h *harness) event(format string, args ...any) {
	h.lh.Action(format, args...)
	time.Sleep(time.Microsecond)
}

func (h *harness) logf(format string, args ...any) {
	h.t.Helper()
	h.t.Logf(format, args...)
}

func (h *harness) sleep(d time.Duration) { time.Sleep(d) }

// cleanup registers f to run at teardown.
func (h *harness) cleanup(f func()) { h.lh.OnTeardown(f) }

// started tells labtest that servers were (re)started, so that the body's
// clock moves off the servers' timer instants.
func (h *harness) started() { h.lh.ServersStarted() }

// newRand returns a seeded source for a helper goroutine.
func (h *harness) newRand(name string) *rand.Rand { return h.lh.NewRand(name) }

// seedsFor returns the seeds of a multi-seed test (labtest's -seeds).
func seedsFor(t *testing.T) []uint64 { return labtest.Seeds(t) }

// seedGiven reports whether the run replays a given seed (-seed or
// RAFTLAB_SEED).
func seedGiven() bool {
	given := false
	flag.Visit(func(f *flag.Flag) {
		if f.Name == "seed" {
			given = true
		}
	})
	return given || os.Getenv("RAFTLAB_SEED") != ""
}

func deriveSeeds(base uint64, n int) []uint64 { return labtest.DeriveSeeds(base, n) }
