package shardkv

import (
	"cmp"
	"maps"
	"slices"

	"raftlab/shardctrler"
)

// A shard's place in the group's current configuration. Only a group that
// owns a shard in its current configuration and holds its data serves it
// (Serving and Collecting); the other states say what is left to do
// before the group may move on to the next configuration.
type shardState int

const (
	// Idle: not ours, and nothing of it is kept.
	Idle shardState = iota
	// Serving: ours, data here.
	Serving
	// Pulling: ours in the current configuration, but its data is still
	// with the group that owned it in the previous one.
	Pulling
	// HandingOff: ours in the previous configuration, not in the current
	// one; the data is kept, frozen, until the new owner says it has it.
	HandingOff
	// Collecting: pulled and served here; the previous owner has yet to
	// confirm that it deleted its copy.
	Collecting
)

func (s shardState) String() string {
	return [...]string{"idle", "serving", "pulling", "handing-off", "collecting"}[s]
}

// shard is one shard's data and its table of applied operations, the
// duplicate table that moves with it.
type shard struct {
	state   shardState
	data    map[string]string
	lastSeq map[int64]int64 // clerk -> the Seq of its latest Put or Append applied to this shard
}

func newShard(state shardState) *shard {
	return &shard{state: state, data: map[string]string{}, lastSeq: map[int64]int64{}}
}

// KV is one key's value in an encoded shard.
type KV struct{ Key, Value string }

// ClerkSeq is one clerk's entry of an encoded duplicate table.
type ClerkSeq struct{ Clerk, Seq int64 }

// ShardData is a shard as it travels between groups, through the log and
// in snapshots: sorted slices, so that the bytes of a snapshot or an RPC
// never depend on map iteration order.
type ShardData struct {
	Shard   int
	KVs     []KV
	LastSeq []ClerkSeq
}

// encode returns the shard's data and table as ShardData.
func (s *shard) encode(id int) ShardData {
	d := ShardData{Shard: id}
	for _, k := range slices.Sorted(maps.Keys(s.data)) {
		d.KVs = append(d.KVs, KV{k, s.data[k]})
	}
	for _, c := range slices.Sorted(maps.Keys(s.lastSeq)) {
		d.LastSeq = append(d.LastSeq, ClerkSeq{c, s.lastSeq[c]})
	}
	return d
}

// decodeShard returns the shard d describes, in state.
func decodeShard(d ShardData, state shardState) *shard {
	s := newShard(state)
	for _, kv := range d.KVs {
		s.data[kv.Key] = kv.Value
	}
	for _, cs := range d.LastSeq {
		s.lastSeq[cs.Clerk] = cs.Seq
	}
	return s
}

// GroupServers is one group of an encoded configuration.
type GroupServers struct {
	Gid     int
	Servers []string
}

// ConfigData is a configuration in a snapshot, its groups in gid order.
type ConfigData struct {
	Num    int
	Shards [shardctrler.NShards]int
	Groups []GroupServers
}

func encodeConfig(c shardctrler.Config) ConfigData {
	d := ConfigData{Num: c.Num, Shards: c.Shards}
	for _, gid := range slices.Sorted(maps.Keys(c.Groups)) {
		d.Groups = append(d.Groups, GroupServers{gid, slices.Clone(c.Groups[gid])})
	}
	return d
}

func decodeConfig(d ConfigData) shardctrler.Config {
	c := shardctrler.Config{Num: d.Num, Shards: d.Shards, Groups: map[int][]string{}}
	for _, g := range d.Groups {
		c.Groups[g.Gid] = slices.Clone(g.Servers)
	}
	return c
}

// cloneConfig returns a copy of c that shares no memory with it.
func cloneConfig(c shardctrler.Config) shardctrler.Config {
	return decodeConfig(encodeConfig(c))
}

// shardsBySource groups the shards in state want by the gid that owned
// them in prev, the group to pull them from or to tell about them, in gid
// order and each list in shard order.
func shardsBySource(shards *[shardctrler.NShards]*shard, want shardState, prev shardctrler.Config) []sourceShards {
	by := map[int][]int{}
	for id, s := range shards {
		if s.state == want {
			by[prev.Shards[id]] = append(by[prev.Shards[id]], id)
		}
	}
	var out []sourceShards
	for gid, ids := range by {
		out = append(out, sourceShards{gid: gid, servers: slices.Clone(prev.Groups[gid]), shards: ids})
	}
	slices.SortFunc(out, func(a, b sourceShards) int { return cmp.Compare(a.gid, b.gid) })
	return out
}

// sourceShards are shards to pull from, or to confirm to, one group.
type sourceShards struct {
	gid     int
	servers []string
	shards  []int
}
