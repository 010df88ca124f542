package kvraft

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
)

// classicBudget is what the classic tester allowed every test: 120 s.
var classicBudget = cluster.Budget{Virtual: 120 * time.Second}

// genericTest runs the classic generic test, three iterations of o, on
// the servers of s.
func genericTest(t *testing.T, part string, s setup, o kvtest.Options) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		o.Iterations = 3
		makeConfig(w, s).generic(genericTitle(part, s, o), o)
	})
}

// genericTitle is the classic title of a generic test.
func genericTitle(part string, s setup, o kvtest.Options) string {
	var b strings.Builder
	for _, f := range []struct {
		on   bool
		text string
	}{
		{s.net == cluster.Unreliable, "unreliable net, "}, {o.Crashes == kvtest.CrashAndRestart, "restarts, "},
		{o.Partitions == kvtest.RandomPartitions, "partitions, "}, {s.maxraftstate != -1, "snapshots, "},
		{o.Keys == kvtest.RandomKeys, "random keys, "},
	} {
		if f.on {
			b.WriteString(f.text)
		}
	}
	if o.Clients > 1 {
		b.WriteString("many clients")
	} else {
		b.WriteString("one client")
	}
	return fmt.Sprintf("%s (%s)", b.String(), part)
}

// The classic suite's setups: five servers, reliable or not, no snapshots.
var (
	fiveReliable   = setup{servers: 5, net: cluster.Reliable, maxraftstate: -1}
	fiveUnreliable = setup{servers: 5, net: cluster.Unreliable, maxraftstate: -1}
)

func TestBasic4A(t *testing.T) {
	genericTest(t, "4A", fiveReliable, kvtest.Options{Clients: 1})
}

func TestSpeed4A(t *testing.T) {
	speedTest(t, "4A", -1)
}

// speedTest is the classic speed test: one clerk's Appends, one after the
// other, must take under 33 ms each (kvtest.Speed).
func speedTest(t *testing.T, part string, maxraftstate int) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, maxraftstate: maxraftstate})
		cfg.begin("ops complete fast enough (" + part + ")")
		kvtest.Speed(w, cfg.newClerk, kvtest.SpeedOptions{})
		cfg.report()
	})
}

func TestConcurrent4A(t *testing.T) {
	genericTest(t, "4A", fiveReliable, kvtest.Options{Clients: 5})
}

func TestUnreliable4A(t *testing.T) {
	genericTest(t, "4A", fiveUnreliable, kvtest.Options{Clients: 5})
}

// Five clients append to one key at once on an unreliable network: every
// value must be there once, each client's in order (kvtest.ConcurrentAppends).
func TestUnreliableOneKey4A(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{servers: 3, net: cluster.Unreliable, maxraftstate: -1})
		cfg.begin("concurrent append to same key, unreliable (4A)")
		kvtest.ConcurrentAppends(w, cfg.newClerk, kvtest.AppendOptions{Clients: 5, Appends: 10})
		cfg.report()
	})
}

// A majority with the leader makes progress; clerks that reach only the
// minority must not complete anything, and complete once it is healed.
func TestOnePartition4A(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		const servers = 5
		cfg := makeConfig(w, fiveReliable)
		ck := cfg.clerk()
		cfg.put(ck, "1", "13")

		cfg.begin("progress in majority (4A)")
		majority, minority := cfg.partitionLeaderInMajority()
		ckMajority := cfg.clerk(majority...)
		ckPut, clientPut := cfg.clerkOn(minority...)
		ckGet, clientGet := cfg.clerkOn(minority...)
		cfg.put(ckMajority, "1", "14")
		cfg.check(ckMajority, "1", "14")
		cfg.report()

		cfg.begin("no progress in minority (4A)")
		putDone, getDone := make(chan struct{}), make(chan struct{})
		w.H.Go("Put in the minority", func() { ckPut.Put("1", "15"); close(putDone) })
		w.H.Go("Get in the minority", func() { ckGet.Get("1"); close(getDone) })
		select {
		case <-putDone:
			w.Fatalf("a Put completed through a clerk that reaches only the minority %v", minority)
		case <-getDone:
			w.Fatalf("a Get completed through a clerk that reaches only the minority %v", minority)
		case <-time.After(time.Second):
		}
		cfg.check(ckMajority, "1", "14")
		cfg.put(ckMajority, "1", "16")
		cfg.check(ckMajority, "1", "16")
		cfg.report()

		cfg.begin("completion after heal (4A)")
		cfg.Heal()
		clientPut.ConnectTo(cfg, 0, 1, 2, 3, 4)
		clientGet.ConnectTo(cfg, 0, 1, 2, 3, 4)
		time.Sleep(cluster.ElectionTimeout)
		for _, op := range []struct {
			what string
			done chan struct{}
		}{{"Put", putDone}, {"Get", getDone}} {
			select {
			case <-op.done:
			case <-time.After(3 * time.Second):
				w.Fatalf("the %s begun in the minority did not complete within %v after the partition healed", op.what, cluster.ElectionTimeout+3*time.Second)
			}
		}
		cfg.check(ck, "1", "15")
		cfg.end()
	})
}

// partitionLeaderInMajority partitions the servers in a majority with the
// current leader (server 0 when none is seen) and the minority of the
// others, and returns the two sides.
func (cfg *config) partitionLeaderInMajority() (majority, minority []int) {
	leader, ok := cfg.Leader()
	if !ok {
		leader = 0
	}
	majority = []int{leader}
	for i := 0; i < cfg.N(); i++ {
		switch {
		case i == leader:
		case len(majority) < cfg.N()/2+1:
			majority = append(majority, i)
		default:
			minority = append(minority, i)
		}
	}
	slices.Sort(majority)
	cfg.Partition(majority, minority)
	return majority, minority
}

func TestManyPartitionsOneClient4A(t *testing.T) {
	genericTest(t, "4A", fiveReliable, kvtest.Options{Clients: 1, Partitions: kvtest.RandomPartitions})
}

func TestManyPartitionsManyClients4A(t *testing.T) {
	genericTest(t, "4A", fiveReliable, kvtest.Options{Clients: 5, Partitions: kvtest.RandomPartitions})
}

func TestPersistOneClient4A(t *testing.T) {
	genericTest(t, "4A", fiveReliable, kvtest.Options{Clients: 1, Crashes: kvtest.CrashAndRestart})
}

func TestPersistConcurrent4A(t *testing.T) {
	genericTest(t, "4A", fiveReliable, kvtest.Options{Clients: 5, Crashes: kvtest.CrashAndRestart})
}

func TestPersistConcurrentUnreliable4A(t *testing.T) {
	genericTest(t, "4A", fiveUnreliable, kvtest.Options{Clients: 5, Crashes: kvtest.CrashAndRestart})
}

func TestPersistPartition4A(t *testing.T) {
	genericTest(t, "4A", fiveReliable, kvtest.Options{Clients: 5, Crashes: kvtest.CrashAndRestart, Partitions: kvtest.RandomPartitions})
}

func TestPersistPartitionUnreliable4A(t *testing.T) {
	genericTest(t, "4A", fiveUnreliable, kvtest.Options{Clients: 5, Crashes: kvtest.CrashAndRestart, Partitions: kvtest.RandomPartitions})
}

func TestPersistPartitionUnreliableLinearizable4A(t *testing.T) {
	genericTest(t, "4A", setup{servers: 7, net: cluster.Unreliable, maxraftstate: -1}, kvtest.Options{
		Clients: 15, Crashes: kvtest.CrashAndRestart, Partitions: kvtest.RandomPartitions, Keys: kvtest.RandomKeys,
	})
}
