package shardkv

// The ownership check: each shard served by at most one group at any
// instant, seen from the harness, with nothing of the lab but its server
// names.
//
// What the harness sees. For every operation a recorded clerk completed,
// the network's trace says which server gave the reply the clerk accepted:
// the last call from the clerk's client to a shardkv server delivered
// before the operation returned (a clerk makes one call at a time). The
// group of that server served the operation at some instant between the
// operation's call and its return.
//
// Why a correct service passes. A shard's data is handed from group to
// group along the sequence of configurations: the group that owns it in
// configuration n serves it only after the owner in n-1 stopped serving
// it. So the configuration in which a shard is served never goes down over
// time, and two groups never serve it in the same configuration. If
// operation X returned before operation Y was called, X was served first,
// so n(X) <= n(Y), and n(X) < n(Y) when different groups served them; and
// n(Y) is a configuration that existed by the time Y returned, in which
// Y's group owns the shard.
//
// The check looks for such an assignment of configurations to the
// operations of each shard, taking for each operation, in order of return,
// the least configuration its predecessors allow: the least choice leaves
// the most room to every later operation, so when it fails, every
// assignment fails. "Existed by then" counts a configuration from the
// start of the Join or Leave that made it, which only widens the room.

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"raftlab/labrpc"
	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
	"raftlab/shardctrler"
)

type ownership struct {
	cfg *config

	mu      sync.Mutex
	ops     []watchedOp
	configs []configSince
}

// watchedOp is one operation of a watched clerk.
type watchedOp struct {
	client    string
	what, key string
	call, ret time.Time
	done      bool
}

// configSince: configurations up to num may exist from since on.
type configSince struct {
	since time.Time
	num   int
}

func newOwnership(cfg *config) *ownership { return &ownership{cfg: cfg} }

// configsBy records that configurations up to num may exist from since on.
func (o *ownership) configsBy(since time.Time, num int) {
	o.mu.Lock()
	o.configs = append(o.configs, configSince{since, num})
	o.mu.Unlock()
}

// latestBy returns the newest configuration that may exist at t.
func (o *ownership) latestBy(t time.Time) int {
	n := 0
	for _, c := range o.configs {
		if !c.since.After(t) {
			n = max(n, c.num)
		}
	}
	return n
}

// watch returns ck, its calls recorded as operations of client.
func (o *ownership) watch(client string, ck kvtest.Clerk) kvtest.Clerk {
	return &watchedClerk{o: o, client: client, ck: ck}
}

type watchedClerk struct {
	o      *ownership
	client string
	ck     kvtest.Clerk
}

func (w *watchedClerk) Get(key string) string {
	i := w.o.begin(w.client, "Get", key)
	v := w.ck.Get(key)
	w.o.end(i)
	return v
}

func (w *watchedClerk) Put(key, value string) {
	i := w.o.begin(w.client, "Put", key)
	w.ck.Put(key, value)
	w.o.end(i)
}

func (w *watchedClerk) Append(key, value string) {
	i := w.o.begin(w.client, "Append", key)
	w.ck.Append(key, value)
	w.o.end(i)
}

func (o *ownership) begin(client, what, key string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, watchedOp{client: client, what: what, key: key, call: time.Now()})
	return len(o.ops) - 1
}

func (o *ownership) end(i int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops[i].ret, o.ops[i].done = time.Now(), true
}

// served is an operation with the group that served it.
type served struct {
	watchedOp
	gid, server string
	gidNum      int
	n           int // the least configuration the check could give it
	after       int // the operation that forced n up, -1: none
}

// check fails the test if no sequence of configurations explains which
// groups served each shard's operations. Test goroutine only.
func (o *ownership) check() {
	cfg := o.cfg
	cfg.w.T().Helper()
	latest := cfg.latestConfig()
	owners := make([]shardctrler.Config, latest.Num+1)
	for n := 1; n <= latest.Num; n++ {
		cfg.within(fmt.Sprintf("controller Query(%d)", n), func() { owners[n] = cfg.mck.Query(n) })
	}
	byShard, checked := o.servedOps()
	for shard, ops := range byShard {
		if err := o.assign(shard, ops, owners); err != nil {
			cfg.w.Fatalf("%v", err)
		}
	}
	cfg.w.Logf("ownership: %d operations checked over %d configurations: each shard served by one group at a time", checked, latest.Num)
}

// servedOps pairs each completed operation with the server whose reply
// its clerk accepted, and sorts them by shard and return.
func (o *ownership) servedOps() (map[int][]*served, int) {
	net := o.cfg.w.Net
	trace := net.Trace()
	var since time.Time // operations before the trace's first event cannot be told
	if net.TraceDropped() > 0 && len(trace) > 0 {
		since = trace[0].At
	}
	last := map[string][]labrpc.TraceEvent{} // client -> its calls to shardkv servers
	for _, ev := range trace {
		if (ev.Outcome == labrpc.Delivered || ev.Outcome == labrpc.Reordered) && strings.HasPrefix(ev.To, "server-") {
			last[ev.From] = append(last[ev.From], ev)
		}
	}
	o.mu.Lock()
	ops := slices.Clone(o.ops)
	o.mu.Unlock()
	byShard := map[int][]*served{}
	n := 0
	for _, op := range ops {
		if !op.done || op.call.Before(since) {
			continue
		}
		evs := last[op.client]
		// The last delivered call at or before the return.
		k := sort.Search(len(evs), func(i int) bool { return evs[i].At.After(op.ret) }) - 1
		if k < 0 || evs[k].At.Before(op.call) {
			continue
		}
		parts := strings.Split(evs[k].To, "-") // server-<gid>-<i>
		if len(parts) != 3 {
			continue
		}
		gid, err := strconv.Atoi(parts[1])
		if err != nil {
			continue
		}
		s := key2shard(op.key)
		byShard[s] = append(byShard[s], &served{watchedOp: op, gid: parts[1], server: evs[k].To, gidNum: gid, after: -1})
		n++
	}
	for _, ops := range byShard {
		slices.SortStableFunc(ops, func(a, b *served) int { return a.ret.Compare(b.ret) })
	}
	return byShard, n
}

// assign gives each operation of shard, in order of return, the least
// configuration its predecessors allow, and returns the first operation
// for which there is none.
func (o *ownership) assign(shard int, ops []*served, owners []shardctrler.Config) error {
	for y, op := range ops {
		lo := 1
		for x := 0; x < y; x++ {
			p := ops[x]
			if !p.ret.Before(op.call) {
				continue
			}
			need := p.n
			if p.gidNum != op.gidNum {
				need++
			}
			if need > lo {
				lo, op.after = need, x
			}
		}
		hi := o.latestBy(op.ret)
		op.n = -1
		for n := lo; n <= hi && n < len(owners); n++ {
			if owners[n].Shards[shard] == op.gidNum {
				op.n = n
				break
			}
		}
		if op.n < 0 {
			return o.violation(shard, ops, y, lo, hi, owners)
		}
	}
	return nil
}

func (o *ownership) violation(shard int, ops []*served, y, lo, hi int, owners []shardctrler.Config) error {
	op := ops[y]
	var owned []int
	for n := 1; n < len(owners); n++ {
		if owners[n].Shards[shard] == op.gidNum {
			owned = append(owned, n)
		}
	}
	at := func(t time.Time) string { return t.Sub(o.cfg.hist0()).String() }
	msg := fmt.Sprintf("ownership: shard %d was served by two groups at once: group %s (server %s) answered %s's %s(%q) between %s and %s, "+
		"but group %s owns shard %d only in configurations %v, and none of them is both at least %d and at most %d (the newest that existed by then)",
		shard, op.gid, op.server, op.client, op.what, op.key, at(op.call), at(op.ret), op.gid, shard, owned, lo, hi)
	if op.after >= 0 {
		p := ops[op.after]
		msg += fmt.Sprintf("; at least %d because group %s (server %s) had already served %s's %s(%q), returned at %s, in configuration %d or later",
			lo, p.gid, p.server, p.client, p.what, p.key, at(p.ret), p.n)
	}
	return fmt.Errorf("%s%s", msg, o.cfg.w.StepSuffix())
}

// The check itself, on made-up operations of shard 0 (no servers): it
// passes what one group at a time can explain, overlaps included, and
// fails a shard served by 100, then 101, then 100 again with no
// configuration giving it back to 100.
func TestOwnershipCheck(t *testing.T) {
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		t0 := time.Now()
		at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
		// Configurations 1 and 2: shard 0 on 100, then on 101.
		owners := []shardctrler.Config{{}, {Num: 1}, {Num: 2}}
		owners[1].Shards[0], owners[2].Shards[0] = 100, 101
		op := func(gid, call, ret int) *served {
			return &served{watchedOp: watchedOp{client: "client-0", what: "Get", key: "0", call: at(call), ret: at(ret), done: true},
				gid: strconv.Itoa(gid), server: fmt.Sprintf("server-%d-0", gid), gidNum: gid, after: -1}
		}
		o := newOwnership(&config{w: w, t0: t0})
		o.configsBy(at(0), 1)
		o.configsBy(at(10), 2)

		ok := []*served{op(100, 1, 5), op(101, 11, 20), op(100, 15, 30) /* overlaps 101's: served before it */, op(101, 31, 40)}
		assert.NoError(w.T(), o.assign(0, ok, owners), "one group at a time explains these")

		bad := []*served{op(100, 1, 5), op(101, 11, 20), op(100, 21, 30)}
		err := o.assign(0, bad, owners)
		if assert.Error(w.T(), err, "100 serves shard 0 after 101 did, and no configuration gives it back") {
			assert.Contains(w.T(), err.Error(), "shard 0 was served by two groups at once: group 100")
			assert.Contains(w.T(), err.Error(), "group 101 (server server-101-0) had already served")
		}

		early := []*served{op(101, 1, 5)} // before configuration 2 could exist
		assert.Error(w.T(), o.assign(0, early, owners), "101 cannot serve shard 0 before the configuration that gives it exists")
	})
}
