package shardkv

// BenchmarkShardMove: how long a shard move takes, in virtual time, and
// how many bytes it carries between groups, per join or leave:
//
//	go test ./shardkv -run '^$' -bench ShardMove -benchtime 20x
//
// 30 keys of 1000 bytes, "0" to "29" (key2shard takes the first byte, so
// shards 0 and 9 hold eleven keys each, the others one), are spread over
// the groups already in: group 100 (groups=1) or 100 and 101 (groups=2). Each iteration is one
// Join of the next group or, alternately, its Leave, and lasts from the
// controller call until every server of every group has reached the new
// configuration with no shard in flight (pulled and garbage-collected).
// Reported:
//
//	vms/move        virtual milliseconds per move, the controller call included
//	shards/move     shards that changed groups
//	pull-bytes/move what the PullShards replies carried (data and duplicate tables)
//	rpcs/move       RPCs of every kind during the move
//
// The run uses the suite's own harness (a test run through
// testing.RunTests, which go test runs tests with: the harness's virtual
// time needs a *testing.T); ns/op is its wall time, setup included.

import (
	"fmt"
	"testing"
	"time"

	"raftlab/labtest"
	"raftlab/labtest/cluster"
)

func BenchmarkShardMove(b *testing.B) {
	for _, in := range []int{1, 2} {
		b.Run(fmt.Sprintf("groups=%d", in), func(b *testing.B) { benchmarkMove(b, in) })
	}
}

// benchmarkMove has groups 0..in-1 in, and moves group in in and out.
func benchmarkMove(b *testing.B, in int) {
	var moves, shards, vtime, pulled, rpcs float64
	ok := testing.RunTests(func(string, string) (bool, error) { return true, nil }, []testing.InternalTest{{
		Name: b.Name(),
		F: func(t *testing.T) {
			cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
				cfg := makeConfig(w, setup{maxraftstate: 1000})
				for gi := range in {
					cfg.join(gi)
				}
				ck := cfg.clerk()
				ka, va := keys(w.Rand, 30, 1000)
				for i := range ka {
					cfg.put(ck, ka[i], va[i])
				}
				cfg.waitSettled()
				for n := range b.N {
					before := cfg.latestConfig()
					pulls0, rpcs0 := w.Net.Stats().Methods["ShardKV.PullShards"].ReplyBytes, w.Net.GetTotalCount()
					start := time.Now()
					if n%2 == 0 {
						cfg.join(in)
					} else {
						cfg.leave(in)
					}
					cfg.waitSettled()
					vtime += float64(time.Since(start).Milliseconds())
					after := cfg.latestConfig()
					for s := range after.Shards {
						if after.Shards[s] != before.Shards[s] {
							shards++
						}
					}
					pulled += float64(w.Net.Stats().Methods["ShardKV.PullShards"].ReplyBytes - pulls0)
					rpcs += float64(w.Net.GetTotalCount() - rpcs0)
					moves++
				}
				cfg.checkAll(ck, ka, va)
			}, labtest.WithSeed(1))
		},
	}})
	if !ok || moves == 0 {
		b.Fatal("the benchmark failed in its harness (see above)")
	}
	b.ReportMetric(vtime/moves, "vms/move")
	b.ReportMetric(shards/moves, "shards/move")
	b.ReportMetric(pulled/moves, "pull-bytes/move")
	b.ReportMetric(rpcs/moves, "rpcs/move")
}

// waitSettled waits until every live server of every group has reached the
// latest configuration with no shard in flight. It reads our servers'
// state, so it belongs to the benchmark, not to the graded suite.
func (cfg *config) waitSettled() {
	cfg.w.T().Helper()
	latest := cfg.latestConfig().Num
	deadline := time.Now().Add(callWait)
	for time.Now().Before(deadline) {
		settled := true
		for _, g := range cfg.groups {
			for i := 0; i < g.N(); i++ {
				kv, alive := g.Server(i)
				if !alive {
					continue
				}
				s, ours := any(kv).(interface{ settledIn(num int) bool })
				if !ours {
					cfg.w.Fatalf("the shard-move benchmark reads our server's state (settledIn); this server has none")
				}
				settled = settled && s.settledIn(latest)
			}
		}
		if settled {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	cfg.w.Fatalf("the groups did not settle in configuration %d within %v", latest, callWait)
}
