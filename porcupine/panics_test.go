package porcupine

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var errBoom = errors.New("boom")

// boomOn is the key-value model whose Step panics on an append of "boom".
func boomOn() Model {
	m := kvModel()
	step := m.Step
	m.Step = func(state, input, output any) (bool, any) {
		if in := input.(kvIn); in.op == 'a' && in.value == "boom" {
			panic(errBoom)
		}
		return step(state, input, output)
	}
	return m
}

// hardPartitions returns four keys whose searches each take seconds, and a
// fifth, small one, with an append of "boom" at index 1 of its partition.
func hardPartitions() []Operation {
	var h []Operation
	for _, k := range []string{"a", "b", "c", "d"} {
		for _, o := range hardHistory() {
			in := o.Input.(kvIn)
			in.key = k
			o.Input = in
			h = append(h, o)
		}
	}
	return append(h,
		Operation{ClientId: 1, Input: kvIn{op: 'p', key: "e", value: "x"}, Output: kvOut{}, Call: 0, Return: 1},
		Operation{ClientId: 2, Input: kvIn{op: 'a', key: "e", value: "boom"}, Output: kvOut{}, Call: 2, Return: 3},
	)
}

// goroutineID parses the running goroutine's number from its stack.
func goroutineID() string {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)]
	return strings.Fields(string(buf))[1]
}

func TestStepPanicOnAHelperGoroutineIsReturned(t *testing.T) {
	// The caller's goroutine waits in its first Step until a helper has
	// run into the panic: a helper takes the partitions the caller could
	// not (it takes four at a time), and every Step it runs panics.
	caller := goroutineID()
	released := make(chan struct{})
	var once sync.Once
	m := kvModel()
	step := m.Step
	m.Step = func(state, input, output any) (bool, any) {
		if goroutineID() == caller {
			select {
			case <-released:
			case <-time.After(20 * time.Second):
			}
			return step(state, input, output)
		}
		once.Do(func() { close(released) })
		panic(errBoom)
	}
	var h []Operation
	for i, k := range []string{"a", "b", "c", "d", "e", "f"} {
		h = append(h, Operation{ClientId: i, Input: kvIn{op: 'a', key: k, value: "x"}, Output: kvOut{}, Call: 0, Return: 1})
	}
	_, err := Check(m, h, Options{Parallelism: 2})
	require.ErrorIs(t, err, ErrModelPanic)
	require.ErrorIs(t, err, errBoom)
	var mp *ModelPanic
	require.ErrorAs(t, err, &mp)
	assert.Equal(t, "Step", mp.Func)
	assert.Equal(t, 0, mp.Op)
	require.NotNil(t, mp.Operation)
	assert.Equal(t, h[mp.Partition], *mp.Operation, "partitions are by key, one operation each")
	assert.Contains(t, err.Error(), fmt.Sprintf("the model's Step panicked on operation 0 of partition %d (client %d", mp.Partition, mp.Partition))
	assert.Contains(t, string(mp.Stack), "created by sync.(*WaitGroup).Go", "a helper ran it")
}

func TestStepPanicOnTheCallersGoroutineIsReturned(t *testing.T) {
	h := hardPartitions()[len(hardPartitions())-2:]
	_, err := Check(boomOn(), h, Options{Parallelism: 1})
	var mp *ModelPanic
	require.ErrorAs(t, err, &mp)
	assert.Equal(t, "Step", mp.Func)
	assert.Equal(t, 0, mp.Partition)
	_, err = CheckEventHistory(boomOn(), toEvents(h), Options{})
	require.ErrorAs(t, err, &mp)
	assert.Equal(t, "Step", mp.Func)
}

func TestEveryModelFunctionsPanicIsReported(t *testing.T) {
	h := []Operation{
		{Input: regIn{op: 'w', val: 1}, Output: regOut{}, Call: 0, Return: 10},
		{Input: regIn{op: 'w', val: 1}, Output: regOut{}, Call: 1, Return: 11},
		{Input: regIn{op: 'r'}, Output: regOut{val: 1}, Call: 12, Return: 13},
	}
	boom := func() { panic("boom") }
	cases := []struct {
		fn     string
		model  func(Model) Model
		op     int
		events bool
	}{
		{"Init", func(m Model) Model { m.Init = func() any { boom(); return nil }; return m }, -1, false},
		{"Partition", func(m Model) Model {
			m.Partition = func([]Operation) [][]Operation { boom(); return nil }
			return m
		}, -1, false},
		{"PartitionEvent", func(m Model) Model {
			m.PartitionEvent = func([]Event) [][]Event { boom(); return nil }
			return m
		}, -1, true},
		// The second write reaches state 1 again: Hash, then Equal on the
		// interned state.
		{"Hash", func(m Model) Model {
			m.Equal = func(a, b any) bool { return a == b }
			m.Hash = func(s any) uint64 {
				if s == 1 {
					boom()
				}
				return 0
			}
			return m
		}, 0, false},
		{"Equal", func(m Model) Model {
			m.Equal = func(a, b any) bool { boom(); return false }
			m.Hash = func(s any) uint64 { return 0 }
			return m
		}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.fn, func(t *testing.T) {
			m := c.model(regModel())
			var err error
			if c.events {
				_, err = CheckEventHistory(m, toEvents(h), Options{})
			} else {
				_, err = Check(m, h, Options{})
			}
			var mp *ModelPanic
			require.ErrorAs(t, err, &mp)
			assert.Equal(t, c.fn, mp.Func)
			assert.Equal(t, "boom", mp.Value)
			assert.Equal(t, c.op, mp.Op)
			assert.Equal(t, c.op >= 0, mp.Operation != nil)
			if c.fn == "Partition" || c.fn == "PartitionEvent" {
				assert.Equal(t, -1, mp.Partition)
			}
		})
	}
}

// recovered runs f and returns what it panicked with on this goroutine.
func recovered(f func()) (v any) {
	defer func() { v = recover() }()
	f()
	return nil
}

func TestClassicFunctionsPanicOnTheCallersGoroutine(t *testing.T) {
	// With the hard partitions the panic is on a helper goroutine; a
	// verbose check searches one partition after the other, and would not
	// reach the fifth before its memory cap.
	h := hardPartitions()
	ev := toEvents(h)
	small := h[len(h)-2:]
	for name, f := range map[string]func(){
		"CheckOperations":        func() { CheckOperations(boomOn(), h) },
		"CheckEvents":            func() { CheckEvents(boomOn(), ev) },
		"CheckOperationsTimeout": func() { CheckOperationsTimeout(boomOn(), h, time.Minute) },
		"CheckEventsTimeout":     func() { CheckEventsTimeout(boomOn(), ev, time.Minute) },
		"CheckOperationsVerbose": func() { CheckOperationsVerbose(boomOn(), small, time.Minute) },
		"CheckEventsVerbose":     func() { CheckEventsVerbose(boomOn(), toEvents(small), time.Minute) },
	} {
		v := recovered(f)
		require.IsType(t, &ModelPanic{}, v, name)
		mp := v.(*ModelPanic)
		assert.Equal(t, "Step", mp.Func, name)
		assert.ErrorIs(t, mp, errBoom, name)
	}
}

func TestACheckersOwnPanicIsNotBlamedOnTheModel(t *testing.T) {
	s := newSearch(mustCompile(t, regModel()), &control{}, 0, nil, false, true)
	_, p := s.guard(func() bool { panic("bug") })
	require.NotNil(t, p)
	assert.Nil(t, p.model)
	assert.PanicsWithValue(t, "bug", func() { panic(p.value) })
	v := recovered(func() { _ = p.raise() })
	assert.Contains(t, v, "porcupine: internal error: bug")
}
