package shardkv

import (
	"fmt"
	"time"

	"testing"

	"raftlab/labrpc"
	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
)

// classicBudget is what the classic tester allowed every test: 120 s.
var classicBudget = cluster.Budget{Virtual: 120 * time.Second}

// Two groups split the shards; with one of them down, exactly the keys of
// the other's shards can be read, and all of them once it is back.
func TestStaticShards5A(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: -1})
		cfg.begin("static shards (5A)")
		ck := cfg.clerk()
		cfg.join(0)
		cfg.join(1)
		ka, va := keys(w.Rand, 10, 20) // one key per shard
		for i := range ka {
			cfg.put(ck, ka[i], va[i])
		}
		for i := range ka {
			cfg.check(ck, ka[i], va[i])
		}

		cfg.shutdownGroup(1)
		cfg.checkLogs() // no snapshots

		// One clerk per key, each on a goroutine of its own: the Gets of
		// the live group's shards complete, the others cannot.
		done := make(chan int, len(ka))
		for i := range ka {
			ck1 := cfg.clerk()
			w.H.Go(fmt.Sprintf("Get(%q)", ka[i]), func() {
				if v := ck1.Get(ka[i]); v != va[i] {
					w.Report(fmt.Errorf("Get(%q) returned %q, want %q", ka[i], v, va[i]))
				}
				done <- i
			})
		}
		latest := cfg.latestConfig()
		want := 0
		for i := range ka {
			if latest.Shards[key2shard(ka[i])] == gidOf(0) {
				want++
			}
		}
		ndone := 0
		for deadline := time.After(2 * time.Second); ; {
			select {
			case i := <-done:
				if latest.Shards[key2shard(ka[i])] != gidOf(0) {
					w.Fatalf("Get(%q) completed although shard %d's group %d is down", ka[i], key2shard(ka[i]), latest.Shards[key2shard(ka[i])])
				}
				ndone++
				continue
			case <-deadline:
			}
			break
		}
		if ndone != want {
			w.Fatalf("expected %d completions with one group down (the shards of group %d), got %d", want, gidOf(0), ndone)
		}

		cfg.startGroup(1)
		cfg.within("the Gets of the restarted group's shards", func() {
			for ; ndone < len(ka); ndone++ {
				<-done
			}
		})
		for i := range ka {
			cfg.check(ck, ka[i], va[i])
		}
		cfg.end()
	})
}

// A group answers ErrWrongGroup for a shard it does not own. Clerks whose
// make_end leads the server names of groups 100 and 101 to the other
// group's servers always ask the wrong group for those groups' shards:
// none of those operations may complete, none of their Puts may take
// effect, and the keys keep their values for a clerk that asks the right
// groups. The same clerks reach group 102 as they should, and its keys'
// operations complete: the clerks themselves work.
func TestRejection5A(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: -1})
		cfg.begin("rejection (5A)")
		ck := cfg.clerk()
		cfg.join(0, 1, 2)
		ka, va := keys(w.Rand, 10, 20)
		for i := range ka {
			cfg.put(ck, ka[i], va[i])
		}
		latest := cfg.latestConfig()
		misrouted := cfg.misroutedClerk()
		type result struct {
			i    int
			what string
		}
		done := make(chan result, 2*len(ka))
		controls := 0
		for i := range ka {
			if latest.Shards[key2shard(ka[i])] == gidOf(2) {
				controls += 2
			}
			ckGet, ckPut := misrouted(), misrouted()
			w.H.Go(fmt.Sprintf("misrouted Get(%q)", ka[i]), func() {
				v := ckGet.Get(ka[i])
				done <- result{i, fmt.Sprintf("Get(%q) = %q", ka[i], v)}
			})
			w.H.Go(fmt.Sprintf("misrouted Put(%q)", ka[i]), func() {
				ckPut.Put(ka[i], "wrong")
				done <- result{i, fmt.Sprintf("Put(%q)", ka[i])}
			})
		}
		deadline := time.After(3 * time.Second)
		for finished := 0; ; {
			select {
			case r := <-done:
				if gid := latest.Shards[key2shard(ka[r.i])]; gid != gidOf(2) {
					w.Fatalf("a group served a shard it does not own: %s (shard %d, group %d's) completed through a clerk that reaches only group %d for it",
						r.what, key2shard(ka[r.i]), gid, gidOf(0)+gidOf(1)-gid)
				}
				finished++
				continue
			case <-deadline:
				if finished != controls {
					w.Fatalf("liveness: %d of the %d operations on group %d's keys completed within 3s through the clerks that reach it correctly",
						finished, controls, gidOf(2))
				}
			}
			break
		}
		for i := range ka {
			if latest.Shards[key2shard(ka[i])] != gidOf(2) {
				cfg.check(ck, ka[i], va[i])
			}
		}
		cfg.end()

		// Let the misrouted clerks finish, so that they do not outlive the
		// test: once every shard is group 102's they reach the right group.
		// A server without shard migration (5A only) leaves them waiting,
		// which the harness reports as a warning, not a failure.
		cfg.leave(0, 1)
		release := time.After(callWait)
		for finished := controls; finished < 2*len(ka); finished++ {
			select {
			case <-done:
			case <-release:
				w.Logf("the misrouted clerks did not finish within %v after every shard moved to group %d (a server without shard migration cannot let them)", callWait, gidOf(2))
				return
			}
		}
	})
}

// misroutedClerk returns a maker of clerks whose make_end swaps groups 100
// and 101: the servers a clerk reaches for one group are the other's.
// Their operations are not recorded.
func (cfg *config) misroutedClerk() func() kvtest.Clerk {
	swap := map[string]string{}
	for i := 0; i < nServers; i++ {
		a, b := fmt.Sprint(cfg.groups[0].ServerName(i)), fmt.Sprint(cfg.groups[1].ServerName(i))
		swap[a], swap[b] = b, a
	}
	return func() kvtest.Clerk {
		c := cfg.w.NewClient()
		return MakeClerk(c.EndsTo(cfg.ctrl), func(name string) *labrpc.ClientEnd {
			if to, ok := swap[name]; ok {
				name = to
			}
			return c.MakeEnd(name)
		})
	}
}
