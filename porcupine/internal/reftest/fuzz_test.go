package reftest

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	ref "github.com/anishathalye/porcupine"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	ours "raftlab/porcupine"
)

// The seeded differential fuzz: register and key-value histories of shapes
// the classes leave out, checked by both checkers through both APIs, and
// then checked again from several goroutines at once between checks that
// stop midway (timeout, memory cap, a model panicking in Step). Finished
// searches hand their tables to later ones (porcupine/pools.go), so a table
// left stale by a stopped search would show as a wrong verdict, or as a
// step count other than the one the same history took alone on fresh
// tables. -fuzzn runs more histories, -fuzzseed others.
var (
	fuzzN    = flag.Int("fuzzn", 140, "histories for the differential fuzz tests (TestFuzz*)")
	fuzzSeed = flag.Uint64("fuzzseed", 1, "seed of the fuzz tests' histories")
)

// fuzzRefSteps bounds the reference on one history (a few seconds): a
// corrupted history of many concurrent clients can take it minutes, and
// such a history is skipped (counted in the log) rather than waited for.
// A bound in steps, not time, skips the same histories on a loaded machine.
const fuzzRefSteps = 4 << 20

// refDecide runs the reference on c's operations or events within
// fuzzRefSteps; skipped says the bound stopped it, and the verdict means
// nothing then.
func refDecide(c *fuzzCase, events bool) (v ref.CheckResult, steps int64, skipped bool) {
	var n atomic.Int64
	m := c.refFuzzModel()
	step := m.Step
	m.Step = func(state, input, output any) (bool, any) {
		if n.Add(1) > fuzzRefSteps {
			return false, state // every configuration fails: the search unwinds
		}
		return step(state, input, output)
	}
	if events {
		v = ref.CheckEventsTimeout(m, c.refEvents(), refTimeout)
	} else {
		v = ref.CheckOperationsTimeout(m, c.refOps, refTimeout)
	}
	return v, n.Load(), v == ref.Unknown || n.Load() > fuzzRefSteps
}

// regIn is a register operation: a put of v, or a get.
type regIn struct {
	put bool
	v   int
}

func regStep(state, input, output any) (bool, any) {
	st, in := state.(int), input.(regIn)
	if in.put {
		return true, in.v
	}
	if _, ok := output.(anyOutput); ok {
		return true, st
	}
	out, ok := output.(int)
	return ok && out == st, st
}

// coarseReg is a register state that also counts puts, which its Equal
// ignores: content hashing (a model without Hash) then tells Equal states
// apart, and the checker must notice and stop hashing states midway.
type coarseReg struct{ v, puts int }

func coarseStep(state, input, output any) (bool, any) {
	st := state.(coarseReg)
	ok, next := regStep(st.v, input, output)
	if input.(regIn).put {
		st.puts = (st.puts + 1) % 4
	}
	return ok, coarseReg{next.(int), st.puts}
}

func coarseEqual(a, b any) bool { return a.(coarseReg).v == b.(coarseReg).v }

// regOp is one operation of a register history, as simulateRegister makes
// it: the get's output is the value it read.
type regOp struct {
	client     int
	in         regIn
	out        int
	call, ret  int64
	unknown    bool
	linearized int64
}

// simulateRegister is simulate for one int register holding one of values
// values: few values make states repeat, the case the checker memoizes
// (interned states, transition memo, dense table).
func simulateRegister(r *rand.Rand, clients, n, values int, unknown float64) []regOp {
	const gap, latency = 10, 15
	clock := make([]int64, clients)
	ops := make([]regOp, 0, n)
	for range n {
		c := r.IntN(clients)
		o := regOp{client: c, call: clock[c] + 1 + r.Int64N(gap)}
		o.linearized = o.call + r.Int64N(latency)
		o.ret = o.linearized + r.Int64N(latency)
		if r.IntN(2) == 0 {
			o.in = regIn{put: true, v: r.IntN(values)}
		}
		clock[c] = o.ret
		if r.Float64() < unknown {
			o.unknown = true
			clock[c] = o.call
			if r.IntN(2) == 0 {
				o.linearized = -1
			}
		}
		ops = append(ops, o)
	}
	order := make([]int, 0, len(ops))
	for i := range ops {
		if ops[i].linearized >= 0 {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(ops[a].linearized, ops[b].linearized) })
	v := 0
	for _, i := range order {
		if ops[i].in.put {
			v = ops[i].in.v
		} else {
			ops[i].out = v
		}
	}
	return ops
}

// corruptRegister makes one known get read another value (one outside the
// register's values half the time); false when there is no such get.
func corruptRegister(r *rand.Rand, ops []regOp, values int) bool {
	var gets []int
	for i, o := range ops {
		if !o.in.put && !o.unknown {
			gets = append(gets, i)
		}
	}
	if len(gets) == 0 {
		return false
	}
	i := gets[r.IntN(len(gets))]
	ops[i].out = (ops[i].out + 1 + r.IntN(values)) % (values + 1)
	return true
}

// fuzzCase is one generated history with the options it is checked with,
// in both checkers' forms.
type fuzzCase struct {
	index    int
	name     string
	register bool
	coarse   bool // register states are coarseReg, and ours gets no Hash
	noHash   bool // ours gets no Hash: the hash derived from the states' content
	opts     ours.Options
	oursOps  []ours.Operation
	refOps   []ref.Operation
	text     func() string // the history, for a failure message
	parts    int

	// filled by the reference, then by ours on fresh tables
	want        ref.CheckResult
	refSteps    int64 // the reference's Step calls on the operations
	refSkipped  bool
	freshOps    int64
	freshEvents int64
}

func genCase(r *rand.Rand, index int) *fuzzCase {
	c := &fuzzCase{index: index, noHash: r.IntN(4) == 0}
	c.opts.Verbose = r.IntN(3) == 0
	c.opts.Parallelism = r.IntN(3) // 0: GOMAXPROCS
	clients := between(r, 2, 15)
	corrupted := r.IntN(2) == 0
	unknown := 0.0
	if r.IntN(3) == 0 {
		unknown = []float64{0.02, 0.05, 0.15}[r.IntN(3)]
	}
	// A corrupted history of one partition is searched until every
	// configuration is exhausted, which for many clients takes the
	// reference minutes: keep those shorter.
	n := between(r, 5, 300)
	if corrupted {
		n = between(r, 5, 120)
	}
	if r.IntN(2) == 0 {
		c.register = true
		c.coarse = r.IntN(3) == 0
		values := between(r, 2, 8)
		var h []regOp
		for {
			h = simulateRegister(r, clients, n, values, unknown)
			if !corrupted || corruptRegister(r, h, values) {
				break
			}
		}
		c.name = fmt.Sprintf("register clients=%d ops=%d values=%d unknown=%.2f corrupt=%v coarse=%v", clients, n, values, unknown, corrupted, c.coarse)
		c.parts = 1
		for _, o := range h {
			oo := ours.Operation{ClientId: o.client, Input: o.in, Call: o.call, Output: o.out, Return: o.ret, Unknown: o.unknown}
			ro := ref.Operation{ClientId: o.client, Input: o.in, Call: o.call, Output: o.out, Return: o.ret}
			if o.unknown {
				oo.Output, oo.Return = nil, 0
				ro.Output, ro.Return = anyOutput{}, math.MaxInt64
			}
			c.oursOps = append(c.oursOps, oo)
			c.refOps = append(c.refOps, ro)
		}
		c.text = func() string { return regText(h) }
	} else {
		s := shape{clients: clients, keys: between(r, 1, 6), ops: n, unknown: unknown, tail: r.IntN(4) == 0}
		var h []op
		for {
			h = simulate(r, s)
			if !corrupted || corrupt(r, h) {
				break
			}
		}
		c.name = fmt.Sprintf("kv clients=%d keys=%d ops=%d unknown=%.2f tail=%v corrupt=%v", clients, s.keys, n, unknown, s.tail, corrupted)
		c.parts = len(partition(h, func(o op) string { return o.in.key }))
		c.oursOps, c.refOps = oursOperations(h), refOperations(h)
		c.text = func() string {
			var b strings.Builder
			for _, o := range h {
				fmt.Fprintln(&b, o)
			}
			return b.String()
		}
	}
	c.name = fmt.Sprintf("#%d %s verbose=%v parallelism=%d nohash=%v", index, c.name, c.opts.Verbose, c.opts.Parallelism, c.noHash)
	return c
}

func regText(h []regOp) string {
	var b strings.Builder
	for _, o := range h {
		fmt.Fprintf(&b, "c%d [%d,%d] ", o.client, o.call, o.ret)
		if o.in.put {
			fmt.Fprintf(&b, "put(%d)", o.in.v)
		} else {
			fmt.Fprintf(&b, "get()->%d", o.out)
		}
		if o.unknown {
			b.WriteString(" unknown")
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// oursFuzzModel is c's model for ours; step, if not nil, replaces Step.
func (c *fuzzCase) oursFuzzModel(step func(state, input, output any) (bool, any)) ours.Model {
	var m ours.Model
	switch {
	case c.coarse:
		m = ours.Model{Init: func() any { return coarseReg{} }, Step: coarseStep, Equal: coarseEqual}
	case c.register:
		m = ours.Model{
			Init:  func() any { return 0 },
			Step:  regStep,
			Equal: func(a, b any) bool { return a.(int) == b.(int) },
			Hash:  func(s any) uint64 { return uint64(s.(int)) * 0x9e3779b97f4a7c15 },
		}
	default:
		m = oursModel()
	}
	if c.noHash {
		m.Hash = nil
	}
	if step != nil {
		m.Step = step
	}
	return m
}

func (c *fuzzCase) refFuzzModel() ref.Model {
	if c.coarse {
		return ref.Model{Init: func() any { return coarseReg{} }, Step: coarseStep, Equal: coarseEqual}
	}
	if c.register {
		return ref.Model{
			Init:  func() any { return 0 },
			Step:  regStep,
			Equal: func(a, b any) bool { return a.(int) == b.(int) },
		}
	}
	m := refModel(nil)
	m.PartitionEvent = func(h []ref.Event) [][]ref.Event {
		keyOf := map[int]string{}
		return partition(h, func(e ref.Event) string {
			if e.Kind == ref.CallEvent {
				keyOf[e.Id] = key(e.Value)
			}
			return keyOf[e.Id]
		})
	}
	return m
}

// eventAt is a call or return of operation i at time t.
type eventAt struct {
	t   int64
	ret bool
	i   int
}

// eventOrder is the order of the operations' calls and returns as events:
// by time, calls before returns at the same instant (closed intervals),
// then by operation; an unknown operation's return (the reference's, at
// MaxInt64) comes last.
func eventOrder(ops []ref.Operation) []eventAt {
	var ats []eventAt
	for i, o := range ops {
		ats = append(ats, eventAt{o.Call, false, i}, eventAt{o.Return, true, i})
	}
	slices.SortStableFunc(ats, func(a, b eventAt) int {
		if a.t != b.t {
			return cmp.Compare(a.t, b.t)
		}
		if a.ret != b.ret {
			if a.ret {
				return 1
			}
			return -1
		}
		return cmp.Compare(a.i, b.i)
	})
	return ats
}

func (c *fuzzCase) refEvents() []ref.Event {
	var out []ref.Event
	for _, a := range eventOrder(c.refOps) {
		o := c.refOps[a.i]
		if a.ret {
			out = append(out, ref.Event{ClientId: o.ClientId, Kind: ref.ReturnEvent, Value: o.Output, Id: a.i})
		} else {
			out = append(out, ref.Event{ClientId: o.ClientId, Kind: ref.CallEvent, Value: o.Input, Id: a.i})
		}
	}
	return out
}

func (c *fuzzCase) oursEvents() []ours.Event {
	var out []ours.Event
	for _, a := range eventOrder(c.refOps) {
		o := c.oursOps[a.i]
		switch {
		case a.ret && o.Unknown:
		case a.ret:
			out = append(out, ours.Event{ClientId: o.ClientId, Kind: ours.ReturnEvent, Value: o.Output, Id: a.i})
		default:
			out = append(out, ours.Event{ClientId: o.ClientId, Kind: ours.CallEvent, Value: o.Input, Id: a.i, Unknown: o.Unknown})
		}
	}
	return out
}

// stepsComparable says whether a check's Explored depends on c alone: not
// when an Illegal partition stops the others at whatever point they had
// reached.
func (c *fuzzCase) stepsComparable() bool { return c.parts == 1 || c.want == ref.Ok }

func (c *fuzzCase) check(events bool, opts ours.Options, step func(state, input, output any) (bool, any)) (ours.Result, error) {
	m := c.oursFuzzModel(step)
	if events {
		return ours.CheckEventHistory(m, c.oursEvents(), opts)
	}
	return ours.Check(m, c.oursOps, opts)
}

// drainPools empties the checker's table pools: a sync.Pool drops its
// contents over two collections.
func drainPools() {
	runtime.GC()
	runtime.GC()
}

var (
	corpusOnce sync.Once
	corpus     []*fuzzCase
	corpusLog  string
)

// fuzzCorpus generates the histories, decides each with the reference
// (operations and events, which must agree), and records ours' steps on
// fresh tables for both APIs.
func fuzzCorpus(t *testing.T) []*fuzzCase {
	corpusOnce.Do(func() {
		r := rand.New(rand.NewPCG(*fuzzSeed, 0x5eed))
		cases := make([]*fuzzCase, *fuzzN)
		for i := range cases {
			cases[i] = genCase(r, i)
		}
		// The reference is the slow part: decide the histories on every
		// core.
		var next atomic.Int64
		var wg sync.WaitGroup
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for {
					i := int(next.Add(1) - 1)
					if i >= len(cases) {
						return
					}
					c := cases[i]
					c.want, c.refSteps, c.refSkipped = refDecide(c, false)
					if c.refSkipped {
						continue
					}
					if ev, _, skipped := refDecide(c, true); !skipped && ev != c.want {
						panic(fmt.Sprintf("the reference's verdicts on %s differ: operations %s, events %s", c.name, c.want, ev))
					}
				}
			})
		}
		wg.Wait()
		counts := map[string]int{}
		for _, c := range cases {
			if c.refSkipped {
				counts["skipped (reference over its step bound)"]++
				continue
			}
			counts[string(c.want)]++
			corpus = append(corpus, c)
		}
		corpusLog = fmt.Sprintf("seed %d: %d histories, reference verdicts %v", *fuzzSeed, len(cases), counts)
	})
	t.Log(corpusLog)
	require.NotEmpty(t, corpus, "every history was skipped")
	return corpus
}

// TestFuzzVerdictsAndStepsOnFreshTables checks each history alone on
// fresh tables through both APIs, and records the steps the concurrent
// test compares against.
func TestFuzzVerdictsAndStepsOnFreshTables(t *testing.T) {
	// The work against the reference's is measured by TestStepsAgainstTheReference;
	// here the worst history only shows in the log.
	var worst *fuzzCase
	defer func() {
		if worst != nil {
			t.Logf("most steps over the reference's: %s: %d, reference %d", worst.name, worst.freshOps, worst.refSteps)
		}
	}()
	ratio := func(c *fuzzCase) float64 { return float64(c.freshOps) / float64(max(c.refSteps, 1000)) }
	for _, c := range fuzzCorpus(t) {
		for _, events := range []bool{false, true} {
			drainPools()
			res, err := c.check(events, c.opts, nil)
			require.NoError(t, err, "%s events=%v", c.name, events)
			require.Equal(t, string(c.want), string(res.Verdict), "verdict of %s events=%v differs from the reference's:\n%s", c.name, events, c.text())
			if events {
				c.freshEvents = res.Explored
			} else {
				c.freshOps = res.Explored
			}
		}
		if c.stepsComparable() && (worst == nil || ratio(c) > ratio(worst)) {
			worst = c
		}
	}
}

// stepPanic is the panic of the model that panics in Step midway.
type stepPanic struct{ after int64 }

// TestFuzzConcurrentChecksBetweenStoppedOnes checks the histories again
// from several goroutines at once, each running between its checks one
// that stops midway: a timeout, a memory cap of a few kilobytes, or a model
// whose Step panics after some calls. The stopped checks must say Unknown
// (or an error for the panic) or the reference's verdict, and every other
// check the reference's verdict in exactly the steps it took alone on
// fresh tables.
func TestFuzzConcurrentChecksBetweenStoppedOnes(t *testing.T) {
	cases := fuzzCorpus(t)
	var fresh sync.Once
	for _, c := range cases {
		if c.freshOps == 0 && c.stepsComparable() {
			fresh.Do(func() { t.Log("recording steps on fresh tables first") })
			for _, events := range []bool{false, true} {
				drainPools()
				res, err := c.check(events, c.opts, nil)
				require.NoError(t, err)
				require.Equal(t, string(c.want), string(res.Verdict), "verdict of %s events=%v:\n%s", c.name, events, c.text())
				if events {
					c.freshEvents = res.Explored
				} else {
					c.freshOps = res.Explored
				}
			}
		}
	}
	const goroutines = 4
	var (
		checked, compared, stopped, unknowns, panics atomic.Int64
		mu                                           sync.Mutex
		failures                                     []string
	)
	failf := func(format string, args ...any) {
		mu.Lock()
		defer mu.Unlock()
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf(format, args...))
		}
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(*fuzzSeed, uint64(g)))
			// each goroutine takes every case, in its own order
			order := r.Perm(len(cases))
			for _, i := range order {
				c := cases[i]
				if r.IntN(2) == 0 {
					s := cases[r.IntN(len(cases))]
					stopped.Add(1)
					kind, res, err := stopMidway(r, s)
					switch {
					case err != nil:
						var mp *ours.ModelPanic
						if !errors.As(err, &mp) || mp.Func != "Step" {
							failf("%s check of %s: error %v, want a *ModelPanic in Step", kind, s.name, err)
						} else if _, ok := mp.Value.(stepPanic); !ok {
							failf("%s check of %s: panic %v is not the model's", kind, s.name, mp.Value)
						}
						panics.Add(1)
					case res.Verdict == ours.Unknown:
						if kind == "panic" || res.Unknown == nil || res.Unknown.Cause != kind {
							failf("%s check of %s: Unknown for %v", kind, s.name, res.Unknown)
						}
						unknowns.Add(1)
					case string(res.Verdict) != string(s.want):
						failf("%s check of %s finished with %s, the reference says %s:\n%s", kind, s.name, res.Verdict, s.want, s.text())
					}
				}
				events := r.IntN(2) == 0
				res, err := c.check(events, c.opts, nil)
				checked.Add(1)
				if err != nil {
					failf("%s events=%v: %v", c.name, events, err)
					continue
				}
				if string(res.Verdict) != string(c.want) {
					failf("%s events=%v: verdict %s, the reference says %s:\n%s", c.name, events, res.Verdict, c.want, c.text())
					continue
				}
				if c.stepsComparable() {
					compared.Add(1)
					want := c.freshOps
					if events {
						want = c.freshEvents
					}
					if res.Explored != want {
						failf("%s events=%v: %d steps between other checks, %d alone on fresh tables:\n%s", c.name, events, res.Explored, want, c.text())
					}
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d checks (%d with steps compared) on %d goroutines, between %d stopped ones (%d Unknown, %d model panics)",
		checked.Load(), compared.Load(), goroutines, stopped.Load(), unknowns.Load(), panics.Load())
	assert.Empty(t, failures, "checks between stopped ones differ from the reference or from fresh tables")
	assert.Positive(t, unknowns.Load()+panics.Load(), "some check was stopped midway")
}

// stopMidway checks s in a way that stops early: it returns the cause the
// Unknown verdict must name ("timeout", "memory"), or "panic" for the model
// that panics in Step.
func stopMidway(r *rand.Rand, s *fuzzCase) (string, ours.Result, error) {
	opts := s.opts
	opts.Verbose = r.IntN(2) == 0
	events := r.IntN(2) == 0
	switch r.IntN(3) {
	case 0:
		opts.Timeout = []time.Duration{time.Nanosecond, 20 * time.Microsecond, 200 * time.Microsecond, time.Millisecond, 5 * time.Millisecond}[r.IntN(5)]
		res, err := s.check(events, opts, nil)
		return "timeout", res, err
	case 1:
		// mostly a few kilobytes, reached at once; sometimes up to a
		// few megabytes, reached in a longer search
		opts.MemoryLimit = int64(between(r, 1, 16<<10))
		if r.IntN(3) == 0 {
			opts.MemoryLimit = int64(between(r, 16<<10, 4<<20))
		}
		res, err := s.check(events, opts, nil)
		return "memory", res, err
	}
	m := s.oursFuzzModel(nil)
	after := int64(between(r, 1, 600))
	if r.IntN(4) == 0 {
		after = int64(between(r, 600, 20000))
	}
	var calls atomic.Int64
	step := func(state, input, output any) (bool, any) {
		if calls.Add(1) == after {
			panic(stepPanic{after})
		}
		return m.Step(state, input, output)
	}
	res, err := s.check(events, opts, step)
	return "panic", res, err
}
