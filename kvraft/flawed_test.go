package kvraft

// The suite must fail a broken service, with an Illegal verdict and a
// picture of it. Here is one, built on the classic Raft API like any
// student's, with one flaw or another switched on:
//
//   - followerReads: every server answers Gets from its own state, leader
//     or not, and the clerk asks any server; a follower that lags, or is
//     cut off, returns stale values;
//   - noDuplicateDetection: Puts and Appends are applied as often as they
//     reach the log, so a retried or duplicated request takes effect twice.
//
// The tests below run the suite's own checks on it: in process where the
// test expects the violation, and in a subprocess (the test binary itself)
// where the suite's workloads fail the test, so that what a failing run
// prints, and the picture it writes, are checked too.

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labgob"
	"raftlab/labrpc"
	"raftlab/labtest"
	"raftlab/labtest/cluster"
	"raftlab/labtest/kvtest"
	"raftlab/porcupine"
	"raftlab/raft"
)

type kvFlaw int

const (
	followerReads kvFlaw = iota
	noDuplicateDetection
)

// FlawedOp is the flawed service's log command.
type FlawedOp struct {
	Kind, Key, Value string
	Clerk, Seq       int64
}

type flawedKV struct {
	flaw kvFlaw
	rf   *raft.Raft
	done chan struct{}

	mu      sync.Mutex
	data    map[string]string
	lastSeq map[int64]int64
	applied int
	at      map[int]FlawedOp // what was applied at each index
}

func startFlawedKV(inc *cluster.Incarnation, f kvFlaw) *flawedKV {
	labgob.Register(FlawedOp{})
	kv := &flawedKV{flaw: f, done: make(chan struct{}), data: map[string]string{}, lastSeq: map[int64]int64{}, at: map[int]FlawedOp{}}
	applyCh := make(chan raft.ApplyMsg)
	kv.rf = raft.Make(inc.Peers, inc.Me, inc.Persister, applyCh)
	go func() {
		for {
			select {
			case <-kv.done:
				return
			case m := <-applyCh:
				op, ok := m.Command.(FlawedOp)
				if !m.CommandValid || !ok {
					continue
				}
				kv.mu.Lock()
				if op.Kind != "Get" && (kv.flaw == noDuplicateDetection || kv.lastSeq[op.Clerk] < op.Seq) {
					if op.Kind == "Put" {
						kv.data[op.Key] = op.Value
					} else {
						kv.data[op.Key] += op.Value
					}
					kv.lastSeq[op.Clerk] = op.Seq
				}
				kv.applied, kv.at[m.CommandIndex] = m.CommandIndex, op
				kv.mu.Unlock()
			}
		}
	}()
	return kv
}

func (kv *flawedKV) Kill() { kv.rf.Kill(); close(kv.done) }

// Do carries out op through the log (Gets too, unless followerReads).
func (kv *flawedKV) Do(op *FlawedOp, reply *GetReply) {
	if op.Kind == "Get" && kv.flaw == followerReads {
		kv.mu.Lock()
		reply.Err, reply.Value = OK, kv.data[op.Key]
		kv.mu.Unlock()
		return
	}
	index, _, isLeader := kv.rf.Start(*op)
	reply.Err = ErrWrongLeader
	for deadline := time.Now().Add(500 * time.Millisecond); isLeader && time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		kv.mu.Lock()
		applied, got, value := kv.applied, kv.at[index], kv.data[op.Key]
		kv.mu.Unlock()
		if applied >= index {
			if got == *op {
				reply.Err, reply.Value = OK, value
			}
			return
		}
	}
}

// flawedClerk tries the servers in turn, from a different one each
// operation, until one carries its operation out.
type flawedClerk struct {
	servers []*labrpc.ClientEnd
	id, seq int64
	next    int
}

func (ck *flawedClerk) do(kind, key, value string) string {
	ck.seq++
	op := FlawedOp{Kind: kind, Key: key, Value: value, Clerk: ck.id, Seq: ck.seq}
	for tries := 1; ; tries++ {
		ck.next = (ck.next + 1) % len(ck.servers)
		var reply GetReply
		if ck.servers[ck.next].Call("flawedKV.Do", &op, &reply) && reply.Err == OK {
			return reply.Value
		}
		if tries%len(ck.servers) == 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
}

func (ck *flawedClerk) Get(key string) string    { return ck.do("Get", key, "") }
func (ck *flawedClerk) Put(key, value string)    { ck.do("Put", key, value) }
func (ck *flawedClerk) Append(key, value string) { ck.do("Append", key, value) }

// flawedGroup starts n flawed servers and returns them with kvtest's
// newClerk for them.
func flawedGroup(w *cluster.World, n int, f kvFlaw) (*cluster.Group[*flawedKV], func(c *cluster.Client) kvtest.Clerk) {
	g := cluster.NewGroup(w, cluster.GroupSpec[*flawedKV]{
		N: n,
		Start: func(inc *cluster.Incarnation) (*flawedKV, []any) {
			kv := startFlawedKV(inc, f)
			return kv, []any{kv, kv.rf}
		},
		Kill: (*flawedKV).Kill,
		Raft: func(kv *flawedKV) cluster.RaftState { return kv.rf },
	})
	g.StartAll()
	newClerk := func(c *cluster.Client) kvtest.Clerk {
		ends := c.EndsTo(g)
		return &flawedClerk{servers: ends, id: ends[0].Rand().Int64()}
	}
	return g, newClerk
}

// requireIllegal checks that the history is Illegal and that the picture
// of it was written; t is the body's (w.T()).
func requireIllegal(t *testing.T, h *kvtest.History) {
	verdict, page, err := h.Verdict(kvtest.CheckOptions{})
	require.Equal(t, porcupine.Illegal, verdict)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "is not linearizable")
	assert.Contains(t, err.Error(), page)
	_, statErr := os.Stat(page)
	assert.NoError(t, statErr, "the picture of the violation is written")
}

// A follower cut off from the leader answers a Get with the value it had.
func TestFollowerReadsAreCaught(t *testing.T) {
	t.Setenv("RAFTLAB_LOGDIR", t.TempDir()) // the expected picture is no artifact of the run
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g, newClerk := flawedGroup(w, 3, followerReads)
		h := kvtest.NewHistory(w)
		writer := h.Record(0, newClerk(w.NewClient()))
		writer.Put("x", "old")
		time.Sleep(cluster.ElectionTimeout) // heartbeats bring the followers up to date
		g.Partition([]int{0, 1}, []int{2})
		writer.Put("x", "new")
		c := w.NewClient()
		reader := h.Record(1, newClerk(c))
		c.ConnectOnly(g, []int{2})
		assert.Equal(w.T(), "old", reader.Get("x"), "the flawed server answers from its stale state")
		requireIllegal(w.T(), h)
	})
}

// Every request arrives twice: Appends take effect twice.
func TestMissingDuplicateDetectionIsCaught(t *testing.T) {
	t.Setenv("RAFTLAB_LOGDIR", t.TempDir())
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		_, newClerk := flawedGroup(w, 3, noDuplicateDetection)
		h := kvtest.NewHistory(w)
		ck := h.Record(0, newClerk(w.NewClient()))
		ck.Put("k", "")
		w.SetFaults(labrpc.Faults{Duplicates: 1})
		ck.Append("k", "a;")
		w.SetFaults(labrpc.Faults{})
		assert.Equal(w.T(), "a;a;", ck.Get("k"), "the flawed server applies the duplicate too")
		requireIllegal(w.T(), h)
	})
}

// The classic workloads on the flawed servers fail the test, in a
// subprocess, each with a picture of the violation.

const flawedHelperEnv = "KVRAFT_FLAWED_HELPER"

func TestHelperGenericOnFollowerReads(t *testing.T) {
	flawedHelper(t)
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		g, newClerk := flawedGroup(w, 5, followerReads)
		kvtest.Generic(w, g, newClerk, kvtest.Options{Clients: 5, Iterations: 1, Partitions: kvtest.RandomPartitions, Rate: genericRate})
	}, labtest.WithSeed(1))
}

func TestHelperGenericWithoutDuplicateDetection(t *testing.T) {
	flawedHelper(t)
	cluster.Run(t, classicBudget, func(w *cluster.World) {
		g, newClerk := flawedGroup(w, 5, noDuplicateDetection)
		w.SetFaults(labrpc.Faults{Duplicates: 0.3})
		kvtest.Generic(w, g, newClerk, kvtest.Options{Clients: 5, Iterations: 1, Keys: kvtest.RandomKeys, Rate: genericRate})
	}, labtest.WithSeed(1))
}

func flawedHelper(t *testing.T) {
	if os.Getenv(flawedHelperEnv) != "1" {
		t.Skip("a deliberately failing test, run in a subprocess by TestFlawedServersFailTheSuite")
	}
}

func TestFlawedServersFailTheSuite(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestHelper", "-test.v", "-logdir", dir)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAFTLAB_") { // the run's own settings are not the helpers'
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, flawedHelperEnv+"=1")
	out, _ := cmd.CombinedOutput()
	for _, name := range []string{"TestHelperGenericOnFollowerReads", "TestHelperGenericWithoutDuplicateDetection"} {
		section := outputOf(string(out), name)
		assert.Contains(t, section, "--- FAIL: "+name, "the suite must fail the flawed service")
		assert.Contains(t, section, "is not linearizable", "%s: the verdict is Illegal", name)
		page := regexp.MustCompile(`open (\S+linearizability\.html) in a browser`).FindStringSubmatch(section)
		if assert.NotNil(t, page, "%s names the picture of the violation", name) {
			_, err := os.Stat(page[1])
			assert.NoError(t, err, "%s: the picture is written", name)
		}
	}
	if t.Failed() {
		t.Logf("subprocess output:\n%s", out)
	}
}

// outputOf is the part of a -test.v output from name's "=== RUN" line to
// the next test's.
func outputOf(out, name string) string {
	start := strings.Index(out, "=== RUN   "+name+"\n")
	if start < 0 {
		return ""
	}
	rest := out[start+1:]
	if end := strings.Index(rest, "=== RUN   "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}
