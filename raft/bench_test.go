//go:build unix

package raft

import (
	"fmt"
	"sync"
	"syscall"
	"testing"
	"time"

	"raftlab/labrpc"
)

// The agreement benchmarks measure what one agreed command costs a
// three-server cluster on a reliable network, on the wall clock (testing.B
// does not run in a synctest bubble): CPU time of the whole process (all
// servers, the network and the benchmark) per command, RPCs and bytes per
// command. They use only the classic API, so they measure any raft.go.
//
//	go test ./raft -run '^$' -bench Agreement -benchtime 2000x
func BenchmarkAgreement(b *testing.B)         { benchmarkAgreement(b, 1) }
func BenchmarkAgreementBatch100(b *testing.B) { benchmarkAgreement(b, 100) }

func benchmarkAgreement(b *testing.B, batch int) {
	bc := newBenchCluster(b, 3)
	defer bc.stop()
	leader := bc.waitLeader(b)

	rpcs0, bytes0 := bc.net.GetTotalCount(), bc.net.GetTotalBytes()
	cpu0 := processCPU(b)
	b.ReportAllocs()
	b.ResetTimer()
	cmd := 0
	for b.Loop() {
		last := 0
		for range batch {
			cmd++
			index, _, ok := bc.rafts[leader].Start(cmd)
			for !ok {
				leader = bc.waitLeader(b)
				index, _, ok = bc.rafts[leader].Start(cmd)
			}
			last = index
		}
		bc.waitApplied(b, leader, last)
	}
	b.StopTimer()
	agreements := float64(b.N * batch)
	b.ReportMetric(float64(processCPU(b)-cpu0)/agreements, "cpu-ns/agreement")
	b.ReportMetric(float64(bc.net.GetTotalCount()-rpcs0)/agreements, "rpcs/agreement")
	b.ReportMetric(float64(bc.net.GetTotalBytes()-bytes0)/agreements, "bytes/agreement")
}

// benchCluster is a minimal cluster for benchmarks: n servers, fully
// connected, each with an applier recording how far it has applied and,
// like a real service, snapshotting every snapshotEvery entries so that the
// log (which Raft re-persists whole on every change) stays short.
//
// It is not a labtest/cluster group on purpose: the cluster harness lives
// in a labtest bubble, which a *testing.B cannot enter and whose virtual
// clock would make "CPU per agreement" meaningless; and its apply checker,
// probes and timeline would be part of what is measured.
type benchCluster struct {
	net   *labrpc.Network
	rafts []*Raft
	done  chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	cond    *sync.Cond
	applied []int
}

const snapshotEvery = 100

func newBenchCluster(b *testing.B, n int) *benchCluster {
	bc := &benchCluster{net: labrpc.MakeNetworkSeed(1), rafts: make([]*Raft, n),
		done: make(chan struct{}), applied: make([]int, n)}
	bc.cond = sync.NewCond(&bc.mu)
	for i := range n {
		ends := make([]*labrpc.ClientEnd, n)
		for j := range n {
			ends[j] = bc.net.Dial(fmt.Sprintf("bench-%d-%d", i, j), i, j)
		}
		applyCh := make(chan ApplyMsg, 256)
		bc.rafts[i] = Make(ends, i, MakePersister(), applyCh)
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(bc.rafts[i]))
		bc.net.AddServer(i, srv)
		bc.wg.Add(1)
		go bc.apply(i, applyCh)
	}
	return bc
}

func (bc *benchCluster) apply(i int, applyCh chan ApplyMsg) {
	defer bc.wg.Done()
	for {
		select {
		case <-bc.done:
			return
		case m := <-applyCh:
			if m.CommandValid {
				if m.CommandIndex%snapshotEvery == 0 {
					bc.rafts[i].Snapshot(m.CommandIndex, []byte(fmt.Sprint(m.CommandIndex)))
				}
				bc.mu.Lock()
				bc.applied[i] = m.CommandIndex
				bc.cond.Broadcast()
				bc.mu.Unlock()
			}
		}
	}
}

// waitLeader polls until one server believes it leads.
func (bc *benchCluster) waitLeader(b *testing.B) int {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for i, rf := range bc.rafts {
			if _, isLeader := rf.GetState(); isLeader {
				return i
			}
		}
	}
	b.Fatal("no leader elected within 10s on a reliable network")
	return -1
}

// waitApplied waits until server i has applied index: the leader applies
// as soon as the entry commits, which is the agreement being measured.
func (bc *benchCluster) waitApplied(b *testing.B, i, index int) {
	stop := time.AfterFunc(10*time.Second, func() {
		bc.mu.Lock()
		bc.applied[i] = -1 // wake the waiter to fail
		bc.cond.Broadcast()
		bc.mu.Unlock()
	})
	defer stop.Stop()
	bc.mu.Lock()
	defer bc.mu.Unlock()
	for bc.applied[i] >= 0 && bc.applied[i] < index {
		bc.cond.Wait()
	}
	if bc.applied[i] < 0 {
		b.Fatalf("server %d did not apply index %d within 10s", i, index)
	}
}

func (bc *benchCluster) stop() {
	for _, rf := range bc.rafts {
		rf.Kill()
	}
	close(bc.done)
	bc.wg.Wait()
	bc.net.Cleanup()
}

// processCPU is the user+system CPU time the process has used, in ns.
func processCPU(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatalf("getrusage: %v", err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}
