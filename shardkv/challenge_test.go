package shardkv

import (
	"testing"
	"time"

	"raftlab/labtest/cluster"
)

// Shards move back and forth with snapshots after every entry; at the end
// each key's value must be stored about once per replica: the groups that
// handed shards over deleted them. The classic bound: 27 keys of 1000 bytes
// stored once, 3 twice (the clerk's duplicate entries and slack), on 3
// replicas, plus 6000 bytes each.
func TestChallenge1Delete(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{maxraftstate: 1})
		cfg.begin("shard deletion (challenge 1)")
		ck := cfg.clerk()
		cfg.join(0)
		const n = 30
		ka, va := keys(w.Rand, n, 1000)
		for i := range ka {
			cfg.put(ck, ka[i], va[i])
		}
		for range 3 {
			cfg.checkAll(ck, ka[:3], va[:3])
		}

		for range 2 {
			cfg.join(1)
			cfg.leave(0)
			cfg.join(2)
			time.Sleep(3 * time.Second)
			cfg.checkAll(ck, ka[:3], va[:3])
			cfg.leave(1)
			cfg.join(0)
			cfg.leave(2)
			time.Sleep(3 * time.Second)
			cfg.checkAll(ck, ka[:3], va[:3])
		}

		cfg.join(1)
		cfg.join(2)
		for range 3 {
			time.Sleep(time.Second)
			cfg.checkAll(ck, ka[:3], va[:3])
		}

		total := cfg.persistedBytes()
		expected := 3 * (((n - 3) * 1000) + 2*3*1000 + 6000)
		if total > expected {
			w.Fatalf("garbage collection: the snapshots and persisted Raft state of all groups total %d bytes, more than %d: "+
				"a group must delete a shard's data once its new owner has it", total, expected)
		}
		cfg.checkAll(ck, ka, va)
		w.Logf("persisted: %d bytes of at most %d", total, expected)
		cfg.end()
	})
}

// Shards that do not move keep being served while another is in flight:
// group 101 serves the shards it received from 100 after 100 is gone and
// has left, although the shards 100 still held can never arrive.
func TestChallenge2Unaffected(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{net: cluster.Unreliable, maxraftstate: 100})
		cfg.begin("unaffected shard access (challenge 2)")
		ck := cfg.clerk()
		cfg.join(0)
		ka, va := keys(w.Rand, 10, 0)
		for i := range ka {
			va[i] = "100"
			cfg.put(ck, ka[i], va[i])
		}
		cfg.join(1)
		owned := cfg.shardsOf(1)

		// The shards move, and the clerk learns the new configuration.
		time.Sleep(time.Second)
		for i := range ka {
			if owned[key2shard(ka[i])] {
				va[i] = "101"
				cfg.put(ck, ka[i], va[i])
			}
		}

		cfg.shutdownGroup(0)
		cfg.leave(0) // 101 can never get the shards 100 still holds
		time.Sleep(time.Second)

		for i := range ka {
			if owned[key2shard(ka[i])] {
				cfg.check(ck, ka[i], va[i])
				cfg.put(ck, ka[i], va[i]+"-1")
				cfg.check(ck, ka[i], va[i]+"-1")
			}
		}
		cfg.end()
	})
}

// A shard that has arrived is served before the others: group 101 takes
// over the shards of 100 (down) and 102 (up); it serves 102's as soon as
// they arrive, though 100's never will.
func TestChallenge2Partial(t *testing.T) {
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		cfg := makeConfig(w, setup{net: cluster.Unreliable, maxraftstate: 100})
		cfg.begin("partial migration shard access (challenge 2)")
		ck := cfg.clerk()
		cfg.join(0, 1, 2)
		time.Sleep(time.Second)

		ka, va := keys(w.Rand, 10, 0)
		for i := range ka {
			va[i] = "100"
			cfg.put(ck, ka[i], va[i])
		}
		owned := cfg.shardsOf(2)

		cfg.shutdownGroup(0)
		cfg.leave(0, 2) // 101 can pull 102's shards, not 100's
		time.Sleep(time.Second)

		for i := range ka {
			if owned[key2shard(ka[i])] {
				cfg.check(ck, ka[i], va[i])
				cfg.put(ck, ka[i], va[i]+"-2")
				cfg.check(ck, ka[i], va[i]+"-2")
			}
		}
		cfg.end()
	})
}

// shardsOf returns which shards group gi owns in the latest configuration.
func (cfg *config) shardsOf(gi int) map[int]bool {
	cfg.w.T().Helper()
	owned := map[int]bool{}
	for s, gid := range cfg.latestConfig().Shards {
		owned[s] = gid == gidOf(gi)
	}
	return owned
}
