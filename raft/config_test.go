package raft

// The Raft lab's glue to the shared cluster harness (labtest/cluster): n
// Raft servers as one cluster.Group, plus what only Raft needs. Every
// ApplyMsg goes through a checker that compares it with what every other
// server applied at the same index; an optional service snapshots; and
// one, wait and nCommitted drive agreement. Starting, crashing, connecting,
// partitioning and the leader probes come from the group.
//
// The tests use only the classic public contract of package raft (Make,
// Start, GetState, Kill, Snapshot, ApplyMsg, Persister), so a student's
// raft.go dropped in place of ours compiles and runs against them.

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"raftlab/dlog"
	"raftlab/labtest"
	"raftlab/labtest/cluster"
)

// testElectionTimeout is the classic bound the tests grant an election.
const testElectionTimeout = cluster.ElectionTimeout

// testSnapshotInterval is the most applied entries the snapshotting service
// lets pass between two calls of rf.Snapshot (each server draws its own
// interval, from half of it up).
const testSnapshotInterval = 10

// testMaxRaftState bounds the persisted Raft state of a service that
// snapshots at least every testSnapshotInterval entries (TestSnapshotBasic3D and friends).
const testMaxRaftState = 2000

// service is what runs above each Raft server.
type service int

const (
	// plainService applies commands and never snapshots.
	plainService service = iota
	// snapshotService calls rf.Snapshot every few entries from its apply
	// loop (snapshot_service_test.go), and restores its state from the
	// snapshot.
	snapshotService
)

// peer is one incarnation of a Raft server as the group holds it.
type peer struct {
	rf     *Raft
	number int         // incarnation
	dead   atomic.Bool // killed: its applies are drained and ignored
}

// firstApply is what the first server to apply an index applied there.
type firstApply struct {
	value  any
	server int
}

type config struct {
	*cluster.Group[*peer]
	w   *cluster.World
	lg  *dlog.Logger // the checker's lines in the timeline: Starts and applies
	n   int
	svc service

	mu          sync.Mutex
	logs        []map[int]any
	lastApplied []int
	committed   map[int]firstApply // index -> first value applied there
	maxIndex    int
	applyErr    error           // first apply-checker failure, reported once
	snapEvery   []snapSchedule  // each server's snapshot points
	stopChs     []chan struct{} // one per applier ever started

	maxIndex0 int // maxIndex at begin
}

// makeCluster builds and starts an n-server cluster on a network in the
// given mode, with svc above every server.
func makeCluster(w *cluster.World, n int, mode cluster.NetMode, svc service) *config {
	cfg := &config{
		w:           w,
		lg:          w.H.Logger("checker"),
		n:           n,
		svc:         svc,
		logs:        make([]map[int]any, n),
		lastApplied: make([]int, n),
		committed:   map[int]firstApply{},
		snapEvery:   drawSnapSchedules(w, n),
	}
	// Registered before the group's: teardown runs last-registered first,
	// so the appliers stop after the servers are killed.
	w.H.OnTeardown(cfg.stopAppliers)
	cfg.Group = cluster.NewGroup(w, cluster.GroupSpec[*peer]{
		N:     n,
		Start: cfg.startPeer,
		Kill: func(p *peer) {
			p.dead.Store(true)
			p.rf.Kill()
		},
		Raft: func(p *peer) cluster.RaftState { return p.rf },
	})
	w.Net.Reliable(mode == cluster.Reliable)
	cfg.StartAll()
	return cfg
}

// startPeer starts one incarnation of server inc.Me: its service state is
// rebuilt from the snapshot its Persister holds, if any.
func (cfg *config) startPeer(inc *cluster.Incarnation) (*peer, []any) {
	i := inc.Me
	cfg.mu.Lock()
	cfg.logs[i] = map[int]any{}
	cfg.lastApplied[i] = 0
	if snap := inc.Persister.ReadSnapshot(); len(snap) > 0 {
		cfg.failLocked(cfg.ingestSnapLocked(i, snap, -1))
	}
	applyCh := make(chan ApplyMsg)
	stop := make(chan struct{})
	cfg.stopChs = append(cfg.stopChs, stop)
	cfg.mu.Unlock()

	labtest.Drain(cfg.w.H, applyCh) // lets a killed server finish its last send
	p := &peer{number: inc.Number}
	p.rf = Make(inc.Peers, i, inc.Persister, applyCh)
	inc.Go("applier", func() { cfg.applier(i, p, applyCh, stop) })
	return p, []any{p.rf}
}

// stopAppliers ends every applier at teardown; labtest drains the apply
// channels during its grace period so that killed servers can finish a
// send and exit.
func (cfg *config) stopAppliers() {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	for _, ch := range cfg.stopChs {
		close(ch)
	}
	cfg.stopChs = nil
}

// raft returns server i's Raft, or nil when it is down.
func (cfg *config) raft(i int) *Raft {
	if p, ok := cfg.Server(i); ok {
		return p.rf
	}
	return nil
}

// ---------------------------------------------------------------------------
// The apply checker.

// applier receives the ApplyMsgs of one incarnation of server i and checks
// each against every other server's. Messages of a killed incarnation are
// drained and ignored: its state machine is gone.
func (cfg *config) applier(i int, p *peer, applyCh chan ApplyMsg, stop chan struct{}) {
	for {
		var m ApplyMsg
		select {
		case m = <-applyCh:
		case <-stop:
			return
		}
		cfg.mu.Lock()
		if p.dead.Load() { // checked under mu: a restart resets the state under it
			cfg.mu.Unlock()
			continue
		}
		var err error
		snapshotNow := false
		switch {
		case m.CommandValid && m.SnapshotValid:
			err = fmt.Errorf("server %d: ApplyMsg at index %d has both CommandValid and SnapshotValid set", i, m.CommandIndex)
		case m.CommandValid:
			err = cfg.checkApplyLocked(i, m.CommandIndex, m.Command)
			snapshotNow = err == nil && cfg.svc == snapshotService && cfg.snapshotDue(i, m.CommandIndex)
		case m.SnapshotValid:
			if cfg.svc != snapshotService {
				err = fmt.Errorf("server %d: sent a snapshot (index %d) although the service never took one", i, m.SnapshotIndex)
			} else {
				err = cfg.ingestSnapLocked(i, m.Snapshot, m.SnapshotIndex)
			}
		default:
			// Neither kind: a student may send other messages; ignore.
		}
		cfg.failLocked(err)
		var snap []byte
		if snapshotNow {
			snap = cfg.encodeSnapLocked(i, m.CommandIndex)
		}
		cfg.mu.Unlock()
		if snap != nil {
			// The service snapshots from its apply loop, as a real one does:
			// Raft must not hold a lock across its send on applyCh.
			p.rf.Snapshot(m.CommandIndex, snap)
		}
	}
}

// checkApplyLocked checks that server i applies value v at index in order,
// without gaps, and that it agrees with what any server applied there.
func (cfg *config) checkApplyLocked(i, index int, v any) error {
	if index != cfg.lastApplied[i]+1 {
		return fmt.Errorf("apply out of order: server %d applied index %d after index %d (want %d)",
			i, index, cfg.lastApplied[i], cfg.lastApplied[i]+1)
	}
	if prev, ok := cfg.committed[index]; ok && prev.value != v {
		return fmt.Errorf("state machine safety: server %d applied %v at index %d, but server %d applied %v there",
			i, v, index, prev.server, prev.value)
	}
	if _, ok := cfg.committed[index]; !ok {
		cfg.committed[index] = firstApply{value: v, server: i}
	}
	cfg.lg.Printf(dlog.Apply, "server %d applied index %d: %v", i, index, v)
	cfg.logs[i][index] = v
	cfg.lastApplied[i] = index
	cfg.maxIndex = max(cfg.maxIndex, index)
	return nil
}

// failLocked records the first checker failure (nil is none) and reports
// it from whatever goroutine found it; the test goroutine stops at its next
// check (checkApplyErr, nCommitted, one).
func (cfg *config) failLocked(err error) {
	if err == nil || cfg.applyErr != nil {
		return
	}
	cfg.applyErr = fmt.Errorf("%w%s", err, cfg.w.StepSuffix())
	cfg.w.Report(cfg.applyErr)
}

// checkApplyErr stops the test if the apply checker found anything (it has
// already been reported).
func (cfg *config) checkApplyErr() {
	cfg.mu.Lock()
	err := cfg.applyErr
	cfg.mu.Unlock()
	if err != nil {
		cfg.w.T().FailNow()
	}
}

// ---------------------------------------------------------------------------
// Agreement.

// nCommitted returns how many servers have applied index, and the value
// they applied (the apply checker has made sure they agree). It stops the
// test if the checker found anything.
func (cfg *config) nCommitted(index int) (int, any) {
	cfg.checkApplyErr()
	return cfg.countApplied(index)
}

// countApplied is nCommitted for goroutines other than the test's.
func (cfg *config) countApplied(index int) (int, any) {
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

// appliedOn returns what server i has applied at index, if it has.
func (cfg *config) appliedOn(i, index int) (any, bool) {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	v, ok := cfg.logs[i][index]
	return v, ok
}

// waitAppliedOn waits up to d for server i to apply index, and reports
// whether it did. Scripted tests use it to pace a scenario, never as a
// liveness check: a correct Raft may take another path.
func (cfg *config) waitAppliedOn(i, index int, d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		cfg.checkApplyErr()
		if _, ok := cfg.appliedOn(i, index); ok {
			return true
		}
		if !time.Now().Before(deadline) {
			return false
		}
	}
}

// startOn submits n fresh commands to server i, which must be the leader,
// and returns the index of the last.
func (cfg *config) startOn(i, n int) int {
	last := -1
	for k := 0; k < n; k++ {
		cmd := cfg.randCmd()
		index, term, ok := cfg.raft(i).Start(cmd)
		cfg.lg.Printf(dlog.Client, "Start(%v) on server %d: index %d, term %d, leader %v", cmd, i, index, term, ok)
		if !ok {
			cfg.w.Fatalf("the scenario needs leader %d, which refused Start(%v)", i, cmd)
		}
		last = index
	}
	return last
}

// maxApplied returns the highest index any server has applied.
func (cfg *config) maxApplied() int {
	cfg.mu.Lock()
	defer cfg.mu.Unlock()
	return cfg.maxIndex
}

// retryMode says what one does when a leader accepts a command that then
// does not commit.
type retryMode bool

const (
	// retry resubmits the command to whoever leads next.
	retry retryMode = true
	// noRetry fails the test: the command had to commit.
	noRetry retryMode = false
)

// one submits cmd to whichever server is leader and waits until at least
// expectedServers servers applied it at the index the leader gave. It
// returns the index.
func (cfg *config) one(cmd any, expectedServers int, mode retryMode) int {
	cfg.checkApplyErr()
	index, err := cfg.tryOne(cmd, expectedServers, mode)
	cfg.checkApplyErr()
	if err != nil {
		cfg.w.Fatalf("%v", err)
	}
	return index
}

// tryOne is one for goroutines other than the test's: it returns the
// failure instead of failing the test.
func (cfg *config) tryOne(cmd any, expectedServers int, mode retryMode) (int, error) {
	deadline := time.Now().Add(10 * time.Second)
	starts := 0
	for time.Now().Before(deadline) {
		// Try every connected server, starting from a different one each time.
		index := -1
		for k := 0; k < cfg.n; k++ {
			starts = (starts + 1) % cfg.n
			if !cfg.Connected(starts) {
				continue
			}
			rf := cfg.raft(starts)
			if rf == nil {
				continue
			}
			i, term, ok := rf.Start(cmd)
			cfg.lg.Printf(dlog.Client, "Start(%v) on server %d: index %d, term %d, leader %v", cmd, starts, i, term, ok)
			if ok {
				index = i
				break
			}
		}
		if index == -1 {
			time.Sleep(50 * time.Millisecond)
			continue
		}
		// A leader took it: wait for agreement.
		t1 := time.Now().Add(2 * time.Second)
		for time.Now().Before(t1) {
			nd, v := cfg.countApplied(index)
			if nd > 0 && nd >= expectedServers && v == cmd {
				return index, nil
			}
			time.Sleep(20 * time.Millisecond)
		}
		if mode == noRetry {
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
func (cfg *config) wait(index, n, startTerm int) any {
	to := 10 * time.Millisecond
	for iters := 0; iters < 30; iters++ {
		nd, _ := cfg.nCommitted(index)
		if nd >= n {
			break
		}
		time.Sleep(to)
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
		cfg.w.Fatalf("agreement: only %d servers applied index %d, want %d", nd, index, n)
	}
	return cmd
}

// ---------------------------------------------------------------------------
// Accounting and small helpers.

// begin marks the start of a test's measured part.
func (cfg *config) begin(description string) {
	cfg.w.T().Helper()
	cfg.w.Begin(description)
	cfg.maxIndex0 = cfg.maxApplied()
}

// end checks the apply checker once more, logs what the test cost and
// checks its budget.
func (cfg *config) end() {
	cfg.w.T().Helper()
	cfg.checkApplyErr()
	c := cfg.w.Spent()
	ncmds := cfg.maxApplied() - cfg.maxIndex0
	detail := fmt.Sprintf(", %d peers, %d agreements", cfg.n, ncmds)
	if ncmds > 0 {
		detail += fmt.Sprintf(", %.1f RPCs and %d bytes per agreement", float64(c.RPCs)/float64(ncmds), c.Bytes/int64(ncmds))
	}
	cfg.w.End(detail)
}

// randCmd draws a command value from the test's seeded source.
func (cfg *config) randCmd() int {
	return cfg.w.Rand.IntN(1 << 30)
}
