//go:build unix

package kvraft

// Benchmarks of three servers under 1, 10 and 100 concurrent clerks, and of
// Gets through ReadIndex against Gets through the log:
//
//	go test ./kvraft -run '^$' -bench . -benchtime 20000x
//
// Each run starts three servers on a labrpc network that delays every
// request by up to labtest.NetworkJitter (0.5 ms), as the lab's tests do,
// and has the clerks make b.N operations between them. Reported:
//
//	ops/vsec       operations per second of virtual time: what the service
//	               would do on a network that slow with unlimited CPU
//	cpu-µs/op      CPU time of the whole process (servers, network, clerks)
//	rpcs/op        RPCs of every kind (the clerks' and Raft's)
//	wire-bytes/op  what those RPCs carried
//
// ns/op is wall time per operation, setting up the servers included.
//
// The servers run in a testing/synctest bubble, so that time is virtual.
// synctest makes a bubble only for a *testing.T, and so does labtest.Run,
// which is built on it; a benchmark gets one by running a test of its own
// through testing.RunTests, the function go test runs tests with. The
// benchmark does not use the cluster harness: its timeline, probes and
// checks would be part of what is measured.

import (
	"fmt"
	"runtime"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"raftlab/labrpc"
	"raftlab/labtest"
	"raftlab/raft"
)

// benchMix is what the clerks do.
type benchMix int

const (
	// putsAndGets alternates Puts and Gets, each clerk on its own key.
	putsAndGets benchMix = iota
	// getsOnly reads each clerk's own key, written once beforehand.
	getsOnly
)

type benchWorkload struct {
	clerks int
	mix    benchMix
	gets   getRoute
}

func BenchmarkClerks(b *testing.B) {
	for _, clerks := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("clerks=%d", clerks), func(b *testing.B) {
			benchmarkKV(b, benchWorkload{clerks: clerks, mix: putsAndGets})
		})
	}
}

// BenchmarkGets compares the two routes of a Get; on a server without the
// switch both are the server's own.
func BenchmarkGets(b *testing.B) {
	for _, c := range []struct {
		name  string
		route getRoute
	}{{"readindex", getsAsServerChooses}, {"log", getsThroughLog}} {
		for _, clerks := range []int{1, 10} {
			b.Run(fmt.Sprintf("%s/clerks=%d", c.name, clerks), func(b *testing.B) {
				benchmarkKV(b, benchWorkload{clerks: clerks, mix: getsOnly, gets: c.route})
			})
		}
	}
}

type benchResult struct {
	ops, rpcs, bytes float64
	virtual, cpu     time.Duration
}

func benchmarkKV(b *testing.B, wl benchWorkload) {
	var r benchResult
	inBubble(b, func(t *testing.T) { r = runBenchmark(t, wl, b.N) })
	b.ReportMetric(r.ops/r.virtual.Seconds(), "ops/vsec")
	b.ReportMetric(float64(r.cpu.Microseconds())/r.ops, "cpu-µs/op")
	b.ReportMetric(r.rpcs/r.ops, "rpcs/op")
	b.ReportMetric(r.bytes/r.ops, "wire-bytes/op")
}

// inBubble runs f as a test in a synctest bubble (see the top of the file).
// -count and -cpu make RunTests run a test more than once: only the first
// run is the benchmark's.
func inBubble(b *testing.B, f func(t *testing.T)) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	ran := false
	ok := testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{
		Name: b.Name(),
		F: func(t *testing.T) {
			if !ran {
				ran = true
				synctest.Test(t, f)
			}
		},
	}})
	if !ok {
		b.Fatal("the benchmark failed in its bubble (see above)")
	}
}

// benchMaxRaftState keeps the servers' logs short, as a real deployment
// would, without snapshotting on every few operations.
const benchMaxRaftState = 1 << 13

// runBenchmark has wl.clerks clerks make about ops operations between
// them on three fresh servers and measures them.
func runBenchmark(t *testing.T, wl benchWorkload, ops int) benchResult {
	net := labrpc.MakeNetworkSeed(1)
	net.SetJitter(labtest.NetworkJitter)
	const servers = 3
	kvs := make([]*KVServer, servers)
	for i := range kvs {
		ends := make([]*labrpc.ClientEnd, servers)
		for j := range ends {
			ends[j] = net.Dial(fmt.Sprintf("server-%d->%d", i, j), i, j)
		}
		kvs[i] = StartKVServer(ends, i, raft.MakePersister(), benchMaxRaftState)
		if r, ok := any(kvs[i]).(getRouting); ok && wl.gets == getsThroughLog {
			r.routeGetsThroughLog()
		}
		srv := labrpc.MakeServer()
		srv.AddService(labrpc.MakeService(kvs[i]))
		srv.AddService(labrpc.MakeService(kvs[i].rf))
		net.AddServer(i, srv)
	}
	defer func() {
		for _, kv := range kvs {
			kv.Kill()
		}
		net.Cleanup()
	}()

	clerks := make([]*Clerk, wl.clerks)
	for c := range clerks {
		ends := make([]*labrpc.ClientEnd, servers)
		for j := range ends {
			ends[j] = net.Dial(fmt.Sprintf("clerk-%d->%d", c, j), "clerk-"+strconv.Itoa(c), j)
		}
		clerks[c] = MakeClerk(ends)
	}
	// Every clerk's key written first: a leader is elected and has
	// committed an entry of its term, and the Gets read something.
	everyClerk(clerks, func(c int, ck *Clerk) { ck.Put(strconv.Itoa(c), "v") })

	perClerk := max(1, (ops+wl.clerks-1)/wl.clerks)
	rpcs0, bytes0, cpu0, start := net.GetTotalCount(), net.GetTotalBytes(), processCPU(t), time.Now()
	everyClerk(clerks, func(c int, ck *Clerk) {
		key := strconv.Itoa(c)
		for n := range perClerk {
			if wl.mix == putsAndGets && n%2 == 0 {
				ck.Put(key, strconv.Itoa(n))
			} else {
				ck.Get(key)
			}
		}
	})
	return benchResult{
		ops:     float64(perClerk * wl.clerks),
		rpcs:    float64(net.GetTotalCount() - rpcs0),
		bytes:   float64(net.GetTotalBytes() - bytes0),
		virtual: time.Since(start),
		cpu:     processCPU(t) - cpu0,
	}
}

// everyClerk runs f for each clerk on a goroutine of its own and waits.
func everyClerk(clerks []*Clerk, f func(c int, ck *Clerk)) {
	var wg sync.WaitGroup
	for c, ck := range clerks {
		wg.Go(func() { f(c, ck) })
	}
	wg.Wait()
}

// processCPU is the user and system CPU time the process has used.
func processCPU(t *testing.T) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatalf("getrusage: %v", err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
