package shardkv

import (
	"bytes"
	"fmt"

	"raftlab/dlog"
	"raftlab/labgob"
)

// snapshotState is what a snapshot holds: the configurations, every
// shard's state, data and duplicate table, and the index it was taken at.
// Everything in it is a slice in a fixed order, so that the same state
// gives the same bytes.
type snapshotState struct {
	Applied   int
	Cur, Prev ConfigData
	States    []shardState
	Shards    []ShardData
}

// snapshotIfDueLocked returns a snapshot of the state once the persisted
// Raft state has reached maxraftstate, else nil.
func (kv *ShardKV) snapshotIfDueLocked() []byte {
	if kv.maxraftstate < 0 || kv.persister.RaftStateSize() < kv.maxraftstate {
		return nil
	}
	st := snapshotState{Applied: kv.applied, Cur: encodeConfig(kv.cur), Prev: encodeConfig(kv.prev)}
	for id, s := range kv.shards {
		st.States = append(st.States, s.state)
		st.Shards = append(st.Shards, s.encode(id))
	}
	var b bytes.Buffer
	if err := labgob.NewEncoder(&b).Encode(st); err != nil {
		panic(fmt.Sprintf("shardkv %d-%d: encode snapshot: %v", kv.gid, kv.me, err))
	}
	kv.lg.Printf(dlog.Shard, "snapshot through %d: %d bytes", kv.applied, b.Len())
	return b.Bytes()
}

// restore replaces the state machine by the one in snap and returns the
// index it was taken at.
func (kv *ShardKV) restore(snap []byte) (int, error) {
	var st snapshotState
	if err := labgob.NewDecoder(bytes.NewReader(snap)).Decode(&st); err != nil {
		return 0, err
	}
	if len(st.States) != len(kv.shards) || len(st.Shards) != len(kv.shards) {
		return 0, fmt.Errorf("the snapshot has %d shard states and %d shards, want %d of each", len(st.States), len(st.Shards), len(kv.shards))
	}
	kv.cur, kv.prev = decodeConfig(st.Cur), decodeConfig(st.Prev)
	for id := range kv.shards {
		kv.shards[id] = decodeShard(st.Shards[id], st.States[id])
	}
	return st.Applied, nil
}
