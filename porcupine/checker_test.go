package porcupine

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// bruteForce decides linearizability by trying every order of every
// admissible subset of operations: all known ones, any unknown-outcome ones.
// It is exponential and only for tiny partitions.
func bruteForce(m Model, h []Operation) bool {
	parts := [][]Operation{h}
	if m.Partition != nil {
		parts = m.Partition(h)
	}
	for _, p := range parts {
		if !bruteForcePart(m, p) {
			return false
		}
	}
	return true
}

func bruteForcePart(m Model, h []Operation) bool {
	used := make([]bool, len(h))
	equal := m.Equal
	if equal == nil {
		equal = func(a, b any) bool { return a == b }
	}
	_ = equal
	var rec func(state any) bool
	rec = func(state any) bool {
		done := true
		for i, o := range h {
			if !used[i] && !o.Unknown {
				done = false
			}
		}
		if done {
			return true
		}
		for i, o := range h {
			if used[i] {
				continue
			}
			// o may come next only if no remaining known op returned
			// before o was called.
			minimal := true
			for j, p := range h {
				if !used[j] && j != i && !p.Unknown && p.Return < o.Call {
					minimal = false
					break
				}
			}
			if !minimal {
				continue
			}
			ok, next := m.Step(state, o.Input, o.Output)
			if !ok && !o.Unknown {
				continue
			}
			used[i] = true
			if rec(next) {
				used[i] = false
				return true
			}
			used[i] = false
		}
		return false
	}
	return rec(m.Init())
}

func randomRegisterHistory(r *rand.Rand, n int) []Operation {
	h := make([]Operation, n)
	for i := range h {
		call := int64(r.IntN(20))
		o := Operation{ClientId: i, Call: call, Return: call + int64(r.IntN(12))}
		switch r.IntN(3) {
		case 0:
			o.Input, o.Output = regIn{op: 'r'}, regOut{val: r.IntN(3)}
		case 1:
			o.Input, o.Output = regIn{op: 'w', val: r.IntN(3)}, regOut{}
		default:
			o.Input, o.Output = regIn{op: 'c', exp: r.IntN(3), val: r.IntN(3)}, regOut{ok: r.IntN(2) == 0}
		}
		if r.IntN(5) == 0 {
			o.Unknown = true
			o.Output, o.Return = nil, 0
		}
		h[i] = o
	}
	return h
}

func randomKVHistory(r *rand.Rand, n int) []Operation {
	vals := []string{"", "a", "b", "ab", "ba"}
	h := make([]Operation, n)
	for i := range h {
		call := int64(r.IntN(20))
		k := []string{"x", "y"}[r.IntN(2)]
		o := Operation{ClientId: i, Call: call, Return: call + int64(r.IntN(12))}
		switch r.IntN(3) {
		case 0:
			o.Input, o.Output = kvIn{op: 'g', key: k}, kvOut{value: vals[r.IntN(len(vals))]}
		case 1:
			o.Input, o.Output = kvIn{op: 'p', key: k, value: []string{"a", "b"}[r.IntN(2)]}, kvOut{}
		default:
			o.Input, o.Output = kvIn{op: 'a', key: k, value: []string{"a", "b"}[r.IntN(2)]}, kvOut{}
		}
		if r.IntN(6) == 0 {
			o.Unknown = true
			o.Output, o.Return = nil, 0
		}
		h[i] = o
	}
	return h
}

func TestAgainstBruteForce(t *testing.T) {
	cases := []struct {
		name  string
		model Model
		gen   func(*rand.Rand, int) []Operation
		max   int
	}{
		{"register", regModel(), randomRegisterHistory, 7},
		{"kv", kvModel(), randomKVHistory, 8},
		{"register, half unknown", regModel(), func(r *rand.Rand, n int) []Operation {
			h := randomRegisterHistory(r, n)
			for i := range h {
				if r.IntN(2) == 0 {
					h[i].Unknown, h[i].Output, h[i].Return = true, nil, 0
				}
			}
			return h
		}, 8},
		// Timed-out requests recorded as returning at the end: equal ones
		// are interchangeable (see fillCands).
		{"register, returns at the end", regModel(), func(r *rand.Rand, n int) []Operation {
			return returnAtEnd(r, randomRegisterHistory(r, n))
		}, 8},
		{"kv, returns at the end", kvModel(), func(r *rand.Rand, n int) []Operation {
			return returnAtEnd(r, randomKVHistory(r, n))
		}, 8},
	}
	// Classes of interchangeable operations from the first step, so that
	// these short searches try them too.
	defer func(n int64) { classAfter = n }(classAfter)
	classAfter = 0
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(1, uint64(len(c.name))))
			verdicts := map[CheckResult]int{}
			for i := 0; i < 5000; i++ {
				h := c.gen(r, 1+r.IntN(c.max))
				want := bruteForce(c.model, h)
				res, err := Check(c.model, h, Options{})
				require.NoError(t, err)
				require.Equal(t, want, res.Verdict == Ok, "history %d: %+v", i, h)
				require.NotEqual(t, Unknown, res.Verdict)
				verdicts[res.Verdict]++
				// The event API and the verbose search must agree.
				ev, err := CheckEventHistory(c.model, toEvents(h), Options{Verbose: true})
				require.NoError(t, err)
				require.Equal(t, res.Verdict, ev.Verdict, "events, history %d: %+v", i, h)
				checkInfo(t, c.model, ev)
			}
			t.Logf("verdicts: %v", verdicts)
			assert.Greater(t, verdicts[Ok], 1000)
			assert.Greater(t, verdicts[Illegal], 1000)
		})
	}
}

// returnAtEnd makes about half of h's known operations return after every
// call.
func returnAtEnd(r *rand.Rand, h []Operation) []Operation {
	for i := range h {
		if !h[i].Unknown && r.IntN(2) == 0 {
			h[i].Return = 100
		}
	}
	return h
}

// checkInfo verifies what a verbose result tells the visualization: every
// partial linearization is a legal sequence respecting real time, an Ok
// partition's first one is complete, and an Illegal one names where it got
// stuck.
func checkInfo(t *testing.T, m Model, res Result) {
	t.Helper()
	illegal := false
	for pi, p := range res.Info.partitions {
		for _, pl := range p.partials {
			seen := map[int]bool{}
			state := m.Init()
			for _, i := range pl {
				require.False(t, seen[i], "partition %d: op %d twice", pi, i)
				seen[i] = true
				o := p.ops[i]
				ok, next := m.Step(state, o.Input, o.Output)
				require.True(t, ok || o.Unknown, "partition %d: illegal step in partial %v", pi, pl)
				state = next
			}
			for i, o := range p.ops {
				if seen[i] {
					continue
				}
				// Nothing left out may have had to precede something in.
				for _, j := range pl {
					require.False(t, !o.Unknown && o.Return < p.ops[j].Call, "partition %d: op %d must precede op %d", pi, i, j)
				}
			}
		}
		if p.illegal {
			illegal = true
			require.NotEmpty(t, p.next, "partition %d: illegal without candidates", pi)
		}
		if res.Verdict == Ok {
			require.NotEmpty(t, p.partials, "partition %d", pi)
			for i, o := range p.ops {
				if !o.Unknown {
					require.Contains(t, p.partials[0], i, "partition %d: complete linearization lacks op %d", pi, i)
				}
			}
		}
	}
	require.Equal(t, res.Verdict == Illegal, illegal)
}

func TestSimulatedHistories(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for i := 0; i < 200; i++ {
		unknown := []float64{0, 0.1}[i%2]
		var m Model
		var h []Operation
		if i%4 < 2 {
			m, h = regModel(), genRegister(r, 1+r.IntN(6), 1+r.IntN(60), unknown)
		} else {
			m, h = kvModel(), genKV(r, 1+r.IntN(6), 1+r.IntN(3), 1+r.IntN(80), unknown)
		}
		res, err := Check(m, h, Options{Timeout: 10 * time.Second})
		require.NoError(t, err)
		require.Equal(t, Ok, res.Verdict, "simulated history %d must be linearizable", i)
		if plant(r, h) {
			res, err = Check(m, h, Options{Timeout: 10 * time.Second})
			require.NoError(t, err)
			require.Equal(t, Illegal, res.Verdict, "history %d with a planted violation", i)
		}
	}
}

func TestKnownAnswers(t *testing.T) {
	w := func(c int, call, ret int64, v int) Operation {
		return Operation{ClientId: c, Input: regIn{op: 'w', val: v}, Output: regOut{}, Call: call, Return: ret}
	}
	rd := func(c int, call, ret int64, v int) Operation {
		return Operation{ClientId: c, Input: regIn{op: 'r'}, Output: regOut{val: v}, Call: call, Return: ret}
	}
	unk := func(o Operation) Operation { o.Unknown, o.Output, o.Return = true, nil, 0; return o }
	cases := []struct {
		name string
		h    []Operation
		want CheckResult
	}{
		{"empty", nil, Ok},
		{"sequential", []Operation{w(0, 0, 1, 1), rd(1, 2, 3, 1)}, Ok},
		{"stale read", []Operation{w(0, 0, 1, 1), rd(1, 2, 3, 0)}, Illegal},
		{"concurrent read may see either", []Operation{w(0, 0, 10, 1), rd(1, 2, 3, 0), rd(2, 4, 5, 1)}, Ok},
		{"no going back", []Operation{w(0, 0, 10, 1), rd(1, 2, 3, 1), rd(2, 4, 5, 0)}, Illegal},
		{"touching intervals overlap", []Operation{w(0, 0, 5, 1), rd(1, 5, 6, 0)}, Ok},
		{"unknown write may take effect", []Operation{unk(w(0, 0, 0, 1)), rd(1, 2, 3, 1)}, Ok},
		{"unknown write may not take effect", []Operation{unk(w(0, 0, 0, 1)), rd(1, 2, 3, 0)}, Ok},
		{"unknown write takes effect at most once", []Operation{unk(w(0, 0, 0, 1)), rd(1, 2, 3, 1), w(2, 4, 5, 2), rd(1, 6, 7, 1)}, Illegal},
		{"unknown write not before its call", []Operation{rd(1, 0, 1, 1), unk(w(0, 2, 0, 1))}, Illegal},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Check(regModel(), c.h, Options{})
			require.NoError(t, err)
			assert.Equal(t, c.want, res.Verdict)
			assert.Equal(t, c.want == Ok, bruteForce(regModel(), c.h))
			assert.Equal(t, c.want == Ok, CheckOperations(regModel(), c.h))
			assert.Equal(t, c.want, CheckOperationsTimeout(regModel(), c.h, 0))
			assert.Equal(t, c.want, CheckEventsTimeout(regModel(), toEvents(c.h), time.Second))
		})
	}
}

func TestValidation(t *testing.T) {
	call := func(id int, v any) Event { return Event{Kind: CallEvent, Id: id, Value: v} }
	ret := func(id int, v any) Event { return Event{Kind: ReturnEvent, Id: id, Value: v} }
	r := regIn{op: 'r'}
	o := regOut{}
	events := []struct {
		name string
		h    []Event
		msg  string
	}{
		{"return before call", []Event{ret(1, o), call(1, r)}, "before its call"},
		{"return with no call", []Event{call(1, r), ret(1, o), ret(2, o)}, "has no call"},
		{"duplicate id", []Event{call(1, r), ret(1, o), call(1, r), ret(1, o)}, "duplicate call id 1"},
		{"second return", []Event{call(1, r), ret(1, o), ret(1, o)}, "second return"},
		{"call with no return", []Event{call(1, r), call(2, r), ret(2, o)}, "has no return"},
		{"unknown with a return", []Event{{Kind: CallEvent, Id: 1, Value: r, Unknown: true}, ret(1, o)}, "marked Unknown"},
		{"large ids", []Event{call(1<<40, r), ret(-5, o)}, "has no call"},
	}
	for _, c := range events {
		t.Run(c.name, func(t *testing.T) {
			_, err := CheckEventHistory(regModel(), c.h, Options{})
			require.ErrorIs(t, err, ErrInvalidHistory)
			assert.Contains(t, err.Error(), c.msg)
			res, info := CheckEventsVerbose(regModel(), c.h, 0)
			assert.Equal(t, Unknown, res)
			require.NotNil(t, info.Unknown())
			assert.Equal(t, "invalid", info.Unknown().Cause)
			assert.Equal(t, Unknown, CheckEventsTimeout(regModel(), c.h, 0))
			assert.PanicsWithError(t, err.Error(), func() { CheckEvents(regModel(), c.h) })
		})
	}
	t.Run("operation returns before its call", func(t *testing.T) {
		h := []Operation{{Input: r, Output: regOut{}, Call: 5, Return: 4}}
		_, err := Check(regModel(), h, Options{})
		require.ErrorIs(t, err, ErrInvalidHistory)
		assert.Contains(t, err.Error(), "before its call")
		assert.Panics(t, func() { CheckOperations(regModel(), h) })
		assert.Equal(t, Unknown, CheckOperationsTimeout(regModel(), h, 0))
		// An unknown-outcome operation has no return to check.
		h[0].Unknown = true
		_, err = Check(regModel(), h, Options{})
		require.NoError(t, err)
	})
	t.Run("nil Init and Step", func(t *testing.T) {
		m := regModel()
		m.Init = nil
		_, err := Check(m, nil, Options{})
		require.ErrorIs(t, err, ErrInvalidModel)
		assert.Contains(t, err.Error(), "Init")
		m = regModel()
		m.Step = nil
		_, err = CheckEventHistory(m, nil, Options{})
		require.ErrorIs(t, err, ErrInvalidModel)
		assert.Contains(t, err.Error(), "Step")
	})
	t.Run("partition splits an operation", func(t *testing.T) {
		m := regModel()
		m.PartitionEvent = func(h []Event) [][]Event { return [][]Event{h[:1], h[1:]} }
		_, err := CheckEventHistory(m, []Event{call(1, r), ret(1, regOut{})}, Options{})
		require.ErrorIs(t, err, ErrInvalidHistory)
		assert.Contains(t, err.Error(), "PartitionEvent")
	})
	require.True(t, errors.Is(historyErr("x"), ErrInvalidHistory))
}

// hardHistory is a single-key history of many concurrent appends whose
// last read is impossible: proving it illegal means exhausting a search
// space that grows factorially with the concurrency.
func hardHistory() []Operation {
	var h []Operation
	for i := 0; i < 400; i++ {
		call := int64(i)
		h = append(h, Operation{ClientId: i % 16, Input: kvIn{op: 'a', key: "k", value: string(rune('a' + i%26))}, Output: kvOut{}, Call: call, Return: call + 16})
	}
	h = append(h, Operation{ClientId: 17, Input: kvIn{op: 'g', key: "k"}, Output: kvOut{value: "impossible"}, Call: 500, Return: 501})
	return h
}

func TestTimeout(t *testing.T) {
	start := time.Now()
	res, err := Check(kvModel(), hardHistory(), Options{Timeout: 100 * time.Millisecond})
	require.NoError(t, err)
	require.Equal(t, Unknown, res.Verdict)
	require.NotNil(t, res.Unknown)
	assert.Equal(t, "timeout", res.Unknown.Cause)
	assert.Contains(t, res.Unknown.Detail, "100ms")
	assert.Positive(t, res.Unknown.Explored)
	assert.Positive(t, res.Unknown.LongestPrefix)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Same(t, res.Unknown, res.Info.Unknown())
	assert.Equal(t, Unknown, CheckOperationsTimeout(kvModel(), hardHistory(), 50*time.Millisecond))
	v, info := CheckOperationsVerbose(kvModel(), hardHistory(), 50*time.Millisecond)
	assert.Equal(t, Unknown, v)
	assert.Equal(t, "timeout", info.Unknown().Cause)
	assert.True(t, info.partitions[0].undecided)
}

func TestMemoryCap(t *testing.T) {
	res, err := Check(kvModel(), hardHistory(), Options{MemoryLimit: 1 << 10})
	require.NoError(t, err)
	require.Equal(t, Unknown, res.Verdict)
	assert.Equal(t, "memory", res.Unknown.Cause)
	assert.Contains(t, res.Unknown.Detail, "1.0 KiB")
	// A cap large enough for a few megabytes of search still stops it
	// well before the history is decided.
	res, err = Check(kvModel(), hardHistory(), Options{MemoryLimit: 8 << 20, Timeout: 20 * time.Second})
	require.NoError(t, err)
	require.Equal(t, Unknown, res.Verdict)
	assert.Equal(t, "memory", res.Unknown.Cause)
}

func TestVerboseGrace(t *testing.T) {
	// Two keys: one hard, one plainly illegal. Without Verbose the easy
	// violation ends the check; with Verbose the hard partition gets its
	// grace and is left undecided, and the verdict is still Illegal.
	h := hardHistory()
	h = append(h, Operation{ClientId: 20, Input: kvIn{op: 'g', key: "other"}, Output: kvOut{value: "x"}, Call: 0, Return: 1})
	res, err := Check(kvModel(), h, Options{Timeout: 20 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, Illegal, res.Verdict)
	res, err = Check(kvModel(), h, Options{Verbose: true, VerboseGrace: 10000, Timeout: 20 * time.Second})
	require.NoError(t, err)
	assert.Equal(t, Illegal, res.Verdict)
	require.Len(t, res.Info.partitions, 2)
	assert.True(t, res.Info.partitions[0].undecided)
	assert.False(t, res.Info.partitions[0].illegal)
	assert.True(t, res.Info.partitions[1].illegal)
	assert.Equal(t, []int{0}, res.Info.partitions[1].next)
	assert.NotEmpty(t, res.Info.partitions[0].partials)
}

func TestPartialLinearizations(t *testing.T) {
	h := []Operation{
		{ClientId: 0, Input: kvIn{op: 'p', key: "a", value: "1"}, Output: kvOut{}, Call: 0, Return: 1},
		{ClientId: 1, Input: kvIn{op: 'g', key: "a"}, Output: kvOut{value: "1"}, Call: 2, Return: 3},
		{ClientId: 0, Input: kvIn{op: 'g', key: "b"}, Output: kvOut{value: "2"}, Call: 4, Return: 5},
	}
	res, info := CheckOperationsVerbose(kvModel(), h, 0)
	require.Equal(t, Illegal, res)
	pl := info.PartialLinearizations()
	require.Len(t, pl, 2)
	assert.Equal(t, [][]int{{0, 1}}, pl[0])
	assert.Empty(t, pl[1])
	ops := info.PartialLinearizationsOperations()
	assert.Equal(t, h[1], ops[0][0][1])
	info.AddAnnotations([]Annotation{{Tag: "x", Description: "d"}})
	assert.Len(t, info.annotations, 1)
	assert.Nil(t, info.Unknown())
	assert.True(t, info.partitions[1].illegal)
	assert.Equal(t, []int{0}, info.partitions[1].next)
}

func TestNondeterministicModel(t *testing.T) {
	// A register whose unknown-outcome writes fork the state.
	nm := NondeterministicModel{
		Init: func() []any { return []any{0} },
		Step: func(state, input, output any) []any {
			st, in := state.(int), input.(regIn)
			switch {
			case in.op == 'w' && output == nil:
				return []any{st, in.val}
			case in.op == 'w':
				return []any{in.val}
			case output.(regOut).val == st:
				return []any{st}
			}
			return nil
		},
	}
	m := nm.ToModel()
	h := []Operation{
		{Input: regIn{op: 'w', val: 1}, Output: nil, Call: 0, Return: 1},
		{Input: regIn{op: 'r'}, Output: regOut{val: 0}, Call: 2, Return: 3},
	}
	assert.True(t, CheckOperations(m, h))
	h[1].Output = regOut{val: 1}
	assert.True(t, CheckOperations(m, h))
	h[1].Output = regOut{val: 2}
	assert.False(t, CheckOperations(m, h))
	assert.True(t, (&nm).ToModel().Equal([]any{1, 2}, []any{2, 1}))
}

func TestDefaultHash(t *testing.T) {
	type pair struct{ a, b int }
	m := Model{
		Init: func() any { return pair{} },
		Step: func(state, input, output any) (bool, any) {
			p := state.(pair)
			return true, pair{p.b, input.(int)}
		},
	}
	var h []Operation
	for i := range 40 {
		h = append(h, Operation{Input: i % 3, Call: int64(i), Return: int64(i + 5)})
	}
	res, err := Check(m, h, Options{})
	require.NoError(t, err)
	assert.Equal(t, Ok, res.Verdict)
	// With Equal but no Hash the checker cannot intern states.
	m.Equal = func(a, b any) bool { return a.(pair) == b.(pair) }
	res2, err := Check(m, h, Options{})
	require.NoError(t, err)
	assert.Equal(t, Ok, res2.Verdict)
}

func TestUnknownReasonString(t *testing.T) {
	var r *UnknownReason
	assert.Equal(t, "<nil>", r.String())
	r = &UnknownReason{Cause: "timeout", Detail: "timed out after 1s", Explored: 3, LongestPrefix: 2}
	assert.True(t, strings.HasPrefix(r.String(), "timeout: timed out after 1s"))
}

func TestParallelismAgrees(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for i := range 12 {
		h := genKV(r, 10, 10, 2000, 0.01)
		want := Ok
		if i%2 == 1 && plant(r, h) {
			want = Illegal
		}
		for _, opts := range []Options{{Parallelism: 1}, {Parallelism: 2}, {Parallelism: 4}, {Verbose: true}} {
			opts.Timeout = 30 * time.Second
			res, err := Check(kvModel(), h, opts)
			require.NoError(t, err)
			require.Equal(t, want, res.Verdict, "history %d, %+v", i, opts)
			if opts.Verbose {
				checkInfo(t, kvModel(), res)
			}
		}
	}
}

// TestClassesMidSearch checks verdicts when the classes of equal operations
// come in while the heads are deep in a search (see classify).
func TestClassesMidSearch(t *testing.T) {
	defer func(n int64) { classAfter = n }(classAfter)
	r := rand.New(rand.NewPCG(7, 8))
	for i := range 40 {
		var h []Operation
		m := regModel()
		if i%3 == 2 {
			m = kvModel()
			h = genKV(r, 3+i%6, 1, 60+r.IntN(200), 0.02)
		} else {
			h = genRegister(r, 3+i%6, 60+r.IntN(200), 0.02)
			// some return after every call, as timed-out requests
			// are often recorded
			end := int64(0)
			for _, o := range h {
				end = max(end, o.Call, o.Return)
			}
			for j := len(h) - 8; j < len(h); j++ {
				if !h[j].Unknown && r.IntN(2) == 0 {
					h[j].Return = end + 1
				}
			}
		}
		want := Ok
		if i%2 == 1 && plant(r, h) {
			want = Illegal
		}
		for _, after := range []int64{0, 1, 700, 1 << 10, 1 << 40} {
			classAfter = after
			res, err := Check(m, h, Options{Timeout: 30 * time.Second})
			require.NoError(t, err)
			require.Equal(t, want, res.Verdict, "history %d, classes after %d steps", i, after)
		}
	}
}

func TestBoolFunctionsSearchWithoutTheMemoryCap(t *testing.T) {
	defer func(n int64) { defaultLimit = n }(defaultLimit)
	defaultLimit = 4 << 10
	r := rand.New(rand.NewPCG(9, 9))
	h := genKV(r, 4, 1, 400, 0)
	// The cap stops Check and the functions that can say Unknown...
	res, err := Check(kvModel(), h, Options{})
	require.NoError(t, err)
	require.Equal(t, Unknown, res.Verdict)
	assert.Equal(t, "memory", res.Unknown.Cause)
	assert.Equal(t, Unknown, CheckOperationsTimeout(kvModel(), h, 0))
	// ...but the bool ones decide, as they could not say Unknown.
	assert.True(t, CheckOperations(kvModel(), h))
	assert.True(t, CheckEvents(kvModel(), toEvents(h)))
	require.True(t, plant(r, h))
	assert.False(t, CheckOperations(kvModel(), h))
}
