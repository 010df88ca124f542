package shardkv

import (
	"slices"
	"sync"
	"time"

	"raftlab/dlog"
	"raftlab/labrpc"
	"raftlab/shardctrler"
)

// Moving shards between groups: pull, then a two-step garbage collection.
//
//  1. Configurations, one at a time, in order. The leader asks the
//     controllers for configuration cur.Num+1 only once every shard is
//     settled (Serving or Idle: nothing in flight), and puts it through
//     the log. Applying it, a shard that arrives from another group
//     becomes Pulling, one that leaves becomes HandingOff (frozen: no more
//     writes), one that arrives from gid 0 (the first configuration)
//     starts empty and Serving, and the others keep serving throughout.
//  2. Pull. The receiver's leader asks the previous owner (PullShards,
//     any of its servers that has applied the same configuration: a
//     handed-off shard no longer changes) for the shard and its duplicate
//     table, and puts them through its own log (InstallShards). From then
//     on it serves the shard (Collecting), whatever other shards it still
//     waits for.
//  3. Delete. The receiver's leader tells the previous owner it has the
//     shard (DeleteShards); the owner puts the deletion through its log and
//     answers once it is applied. The receiver then records that, too, in
//     its log (CollectDone), and the shard is settled on both sides.
//
// Each step is idempotent and carries the configuration number it belongs
// to, so a step retried, duplicated or proposed by a deposed leader is
// applied once at most, and only in the configuration it was made for.

const (
	// configPollInterval is how often a leader asks for the next configuration.
	configPollInterval = 100 * time.Millisecond
	// migrateInterval is how often a leader pulls, and confirms, shards in flight.
	migrateInterval = 50 * time.Millisecond
)

// The log commands of reconfiguration.

// ConfigChange moves the group to Config, which must be the next one.
type ConfigChange struct {
	Config ConfigData
}

// InstallShards brings in shards pulled for configuration ConfigNum.
type InstallShards struct {
	ConfigNum int
	Shards    []ShardData
}

// DeleteShards deletes shards handed off in configuration ConfigNum, whose
// receiver has them.
type DeleteShards struct {
	ConfigNum int
	Shards    []int
}

// Noop is what a new leader proposes first (see pollConfig).
type Noop struct {
	Term int
}

// CollectDone records that the previous owner of shards pulled in
// configuration ConfigNum has deleted its copy.
type CollectDone struct {
	ConfigNum int
	Shards    []int
}

// every runs f each interval, from offset nanoseconds on, while the server
// is alive and leads its group.
func (kv *ShardKV) every(interval time.Duration, offset int64, f func()) {
	select {
	case <-kv.done:
		return
	case <-time.After(time.Duration(offset)):
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-kv.done:
			return
		case <-t.C:
		}
		// A tick and Kill may both be ready: select picks either, so the
		// dead flag decides, or a killed server would make calls in some
		// runs of a seed and not in others.
		if kv.dead.Load() {
			return
		}
		if _, isLeader := kv.rf.GetState(); isLeader {
			f()
		}
	}
}

// settledLocked reports whether no shard is in flight, so that the group
// may move to the next configuration.
func (kv *ShardKV) settledLocked() bool {
	for _, s := range kv.shards {
		if s.state != Serving && s.state != Idle {
			return false
		}
	}
	return true
}

// ---- step 1: configurations -----------------------------------------------

// pollConfig proposes the next configuration, if the controllers have one
// and the group is settled in its current one.
//
// A leader first proposes an empty entry of its term. Raft commits entries
// of earlier terms only with one of the leader's own, and a group may have
// nothing else to propose: restarted from a snapshot that shows shards
// still handing off, whose deletions sit in its log uncommitted, it would
// wait for ever for a clerk, and other groups for it.
func (kv *ShardKV) pollConfig() {
	if term, isLeader := kv.rf.GetState(); isLeader && kv.noopTerm.Load() < int64(term) {
		kv.noopTerm.Store(int64(term))
		kv.rf.Start(Noop{Term: term})
	}
	kv.mu.Lock()
	settled, next := kv.settledLocked(), kv.cur.Num+1
	kv.mu.Unlock()
	if !settled {
		return
	}
	c, ok := kv.queryConfig(next)
	if !ok || c.Num != next {
		return
	}
	kv.rf.Start(ConfigChange{Config: encodeConfig(c)})
}

// queryConfig asks each controller in turn, once, for configuration num.
// The server makes the Query RPC itself, rather than through a controller
// clerk that retries for ever, so that no call outlives the server's Kill
// by more than one round. It fills in only the classic contract's fields
// (Num; WrongLeader and OK in the reply), so that it works with any shard
// controller: a Query changes nothing, so it needs no duplicate detection.
func (kv *ShardKV) queryConfig(num int) (shardctrler.Config, bool) {
	for _, end := range kv.ctrlers {
		if kv.dead.Load() {
			break
		}
		args := shardctrler.QueryArgs{Num: num}
		var reply shardctrler.QueryReply
		if end.Call("ShardCtrler.Query", &args, &reply) && !reply.WrongLeader && (reply.Err == "" || reply.Err == shardctrler.OK) {
			return reply.Config, true
		}
	}
	return shardctrler.Config{}, false
}

// applyConfigLocked moves the group to the next configuration.
func (kv *ShardKV) applyConfigLocked(cc ConfigChange) {
	next := decodeConfig(cc.Config)
	if next.Num != kv.cur.Num+1 || !kv.settledLocked() {
		return // a duplicate, or proposed by a deposed leader
	}
	for id, s := range kv.shards {
		was, now := kv.cur.Shards[id], next.Shards[id]
		switch {
		case now == kv.gid && was != kv.gid && was == 0:
			kv.shards[id] = newShard(Serving) // a new shard: nobody had it
		case now == kv.gid && was != kv.gid:
			s.state = Pulling
		case was == kv.gid && now != kv.gid:
			s.state = HandingOff
		}
	}
	kv.prev, kv.cur = kv.cur, next
	kv.lg.Printf(dlog.Shard, "config %d: shards %v, states %v", next.Num, next.Shards, kv.statesLocked())
}

// ---- step 2: pull -----------------------------------------------------------

// pullShards pulls every shard in state Pulling from its previous owner,
// one goroutine per owner.
func (kv *ShardKV) pullShards() {
	kv.askPreviousOwners(Pulling, "pull", func(num int, shards []int, end *labrpc.ClientEnd) bool {
		var reply PullReply
		if !end.Call("ShardKV.PullShards", &PullArgs{ConfigNum: num, Shards: shards}, &reply) || reply.Err != OK {
			return false
		}
		kv.rf.Start(InstallShards{ConfigNum: num, Shards: reply.Shards})
		return true
	})
}

// askPreviousOwners groups the shards in state want by the group that
// owned them in the previous configuration and, on one goroutine per such
// group, calls ask with each of its servers in turn until one call
// succeeds; it returns once every group has been asked.
func (kv *ShardKV) askPreviousOwners(want shardState, purpose string, ask func(num int, shards []int, end *labrpc.ClientEnd) bool) {
	kv.mu.Lock()
	num, sources := kv.cur.Num, shardsBySource(&kv.shards, want, kv.prev)
	kv.mu.Unlock()
	var wg sync.WaitGroup
	for _, src := range sources {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, name := range src.servers {
				if kv.dead.Load() {
					return
				}
				if ask(num, src.shards, kv.end(purpose, name)) {
					return
				}
			}
		}()
	}
	wg.Wait()
}

// PullShards hands over shards the asker owns in configuration
// args.ConfigNum, which this group owned in the one before. Any server
// that has applied that configuration can answer: the shards have been
// frozen since.
func (kv *ShardKV) PullShards(args *PullArgs, reply *PullReply) {
	kv.mu.Lock()
	defer kv.mu.Unlock()
	if kv.cur.Num != args.ConfigNum {
		// Behind: not frozen yet. Ahead: the asker has installed the
		// shards already (we deleted them at its word); it will apply
		// that when it catches up.
		reply.Err = ErrNotReady
		return
	}
	for _, id := range args.Shards {
		if kv.shards[id].state != HandingOff {
			reply.Err = ErrNotReady
			return
		}
	}
	for _, id := range args.Shards {
		reply.Shards = append(reply.Shards, kv.shards[id].encode(id))
	}
	reply.Err = OK
}

// applyInstallLocked installs pulled shards, which the group then serves.
func (kv *ShardKV) applyInstallLocked(in InstallShards) {
	if in.ConfigNum != kv.cur.Num {
		return
	}
	var got []int
	for _, d := range in.Shards {
		if kv.shards[d.Shard].state == Pulling {
			kv.shards[d.Shard] = decodeShard(d, Collecting)
			got = append(got, d.Shard)
		}
	}
	if len(got) > 0 {
		kv.lg.Printf(dlog.Shard, "config %d: installed shards %v, states %v", in.ConfigNum, got, kv.statesLocked())
	}
}

// ---- step 3: garbage collection -----------------------------------------

// collectShards tells the previous owner of every shard in state
// Collecting that it may delete its copy, and records its answer.
func (kv *ShardKV) collectShards() {
	kv.askPreviousOwners(Collecting, "delete", func(num int, shards []int, end *labrpc.ClientEnd) bool {
		var reply DeleteReply
		if !end.Call("ShardKV.DeleteShards", &DeleteArgs{ConfigNum: num, Shards: shards}, &reply) || reply.Err != OK {
			return false
		}
		kv.rf.Start(CollectDone{ConfigNum: num, Shards: shards})
		return true
	})
}

// DeleteShards deletes shards whose receiver has them, through the log,
// and answers OK once they are gone.
func (kv *ShardKV) DeleteShards(args *DeleteArgs, reply *DeleteReply) {
	gone := func() bool {
		if kv.cur.Num > args.ConfigNum {
			return true // we could move on only once they were gone
		}
		return kv.cur.Num == args.ConfigNum && !slices.ContainsFunc(args.Shards, func(id int) bool {
			return kv.shards[id].state == HandingOff
		})
	}
	kv.mu.Lock()
	done, behind := gone(), kv.cur.Num < args.ConfigNum
	kv.mu.Unlock()
	switch {
	case done:
		reply.Err = OK
		return
	case behind:
		reply.Err = ErrNotReady
		return
	}
	_, term, isLeader := kv.rf.Start(DeleteShards{ConfigNum: args.ConfigNum, Shards: args.Shards})
	reply.Err = ErrWrongLeader
	if !isLeader {
		return
	}
	for deadline := time.Now().Add(opTimeout); time.Now().Before(deadline) && !kv.dead.Load(); {
		time.Sleep(watchInterval)
		kv.mu.Lock()
		done = gone()
		kv.mu.Unlock()
		if done {
			reply.Err = OK
			return
		}
		if t, still := kv.rf.GetState(); !still || t != term {
			return
		}
	}
}

// applyDeleteLocked deletes handed-off shards.
func (kv *ShardKV) applyDeleteLocked(del DeleteShards) {
	if del.ConfigNum != kv.cur.Num {
		return
	}
	var gone []int
	for _, id := range del.Shards {
		if s := kv.shards[id]; s.state == HandingOff {
			if kv.flaw == noGC {
				s.state = Idle // keeps the data, for ever
			} else {
				kv.shards[id] = newShard(Idle)
			}
			gone = append(gone, id)
		}
	}
	if len(gone) > 0 {
		kv.lg.Printf(dlog.Shard, "config %d: deleted shards %v, states %v", del.ConfigNum, gone, kv.statesLocked())
	}
}

// applyCollectedLocked settles shards whose previous owner deleted its copy.
func (kv *ShardKV) applyCollectedLocked(c CollectDone) {
	if c.ConfigNum != kv.cur.Num {
		return
	}
	for _, id := range c.Shards {
		if s := kv.shards[id]; s.state == Collecting {
			s.state = Serving
		}
	}
}

// end returns the server's end to the server named name for purpose: one
// end per (purpose, name), made once, so that calls on one end come from
// one goroutine at a time and a seed replays.
func (kv *ShardKV) end(purpose, name string) *labrpc.ClientEnd {
	kv.endsMu.Lock()
	defer kv.endsMu.Unlock()
	key := purpose + " " + name
	e, ok := kv.ends[key]
	if !ok {
		e = kv.makeEnd(name)
		kv.ends[key] = e
	}
	return e
}
