package porcupine

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// nineteenOps is a linearizable one-key history of ten clients whose only
// linearizations start with the second call (append "2.", then the get
// that reads "2."): earliest call first finds one after one dead subtree,
// latest call first after seven. The reference checker, which only tries
// earliest call first, takes about 10,200 steps.
func nineteenOps() []Operation {
	type row struct {
		client    int
		call, ret int64
		op        byte
		v         string
	}
	rows := []row{
		{7, 1, 21, 'a', "1."}, {1, 2, 42, 'a', "2."}, {3, 2, 31, 'g', "7.1."}, {4, 3, 45, 'a', "3."},
		{9, 5, 67, 'g', "2."}, {2, 7, 29, 'a', "5."}, {5, 7, 35, 'a', "4."}, {0, 9, 25, 'a', "6."},
		{6, 12, 18, 'p', "7."}, {8, 13, 37, 'g', "7.1.3."}, {6, 24, 63, 'g', "7.1.3.4."}, {3, 36, 50, 'a', "8."},
		{5, 45, 78, 'a', "9."}, {7, 47, 70, 'p', "10."}, {1, 53, 80, 'g', "12."}, {0, 53, 75, 'g', "10."},
		{8, 56, 78, 'p', "11."}, {3, 58, 73, 'g', "7.1.3.4.8.9."}, {2, 59, 81, 'p', "12."},
	}
	h := make([]Operation, len(rows))
	for i, r := range rows {
		h[i] = Operation{ClientId: r.client, Call: r.call, Return: r.ret, Input: kvIn{op: r.op, key: "k", value: r.v}, Output: kvOut{}}
		if r.op == 'g' {
			h[i].Input, h[i].Output = kvIn{op: 'g', key: "k"}, kvOut{value: r.v}
		}
	}
	return h
}

func TestNineteenOpsTakesAboutTheReferencesSteps(t *testing.T) {
	res, err := Check(kvModel(), nineteenOps(), Options{})
	require.NoError(t, err)
	require.Equal(t, Ok, res.Verdict)
	// Giving latest call first eight shares to one took 52,800 steps.
	assert.Less(t, res.Explored, int64(13000))
}

func TestLifoness(t *testing.T) {
	op := func(call, ret int64) Operation {
		return Operation{Input: regIn{op: 'r'}, Output: regOut{}, Call: call, Return: ret}
	}
	lifo := func(h []Operation) float64 {
		s := newSearch(mustCompile(t, regModel()), &control{}, 0, h, false, true)
		return s.lifo
	}
	// Staggered requests of equal latency return in call order.
	assert.Equal(t, 0.0, lifo([]Operation{op(0, 10), op(1, 11), op(2, 12), op(3, 13)}))
	// A request outlives every later one.
	assert.Equal(t, 1.0, lifo([]Operation{op(0, 100), op(1, 11), op(12, 20), op(21, 30)}))
	// Nested intervals: the latest call always returns first.
	assert.Equal(t, 1.0, lifo([]Operation{op(0, 13), op(1, 12), op(2, 11), op(3, 10)}))
	// An unknown outcome never returns: it does not count, either as
	// pending or as returning.
	unknown := op(0, 0)
	unknown.Unknown = true
	assert.Equal(t, 0.0, lifo([]Operation{unknown, op(1, 11), op(2, 12), op(3, 13)}), "staggered returns with an unknown outcome")
	assert.Equal(t, 1.0, lifo([]Operation{unknown, op(1, 13), op(2, 12), op(3, 11)}), "nested intervals with an unknown outcome")
	assert.Equal(t, 0.0, lifo(nil))
}

func TestPrimaryHead(t *testing.T) {
	var fifo, lifo []Operation
	for i := range 40 {
		fifo = append(fifo, Operation{Input: regIn{op: 'r'}, Output: regOut{}, Call: int64(i), Return: int64(i + 5)})
		lifo = append(lifo, Operation{Input: regIn{op: 'r'}, Output: regOut{}, Call: int64(i), Return: int64(100 - i)})
	}
	s := newSearch(mustCompile(t, regModel()), &control{}, 0, fifo, false, true)
	p, _ := s.primary()
	assert.False(t, p.reverse, "returns in call order: earliest call first")
	s.explored = headStart * 40
	p, _ = s.primary()
	assert.False(t, p.reverse, "returns in call order, after the head start")

	s = newSearch(mustCompile(t, regModel()), &control{}, 0, lifo, false, true)
	p, _ = s.primary()
	assert.False(t, p.reverse, "earliest call first has a head start")
	s.explored = headStart*40 - 1
	p, _ = s.primary()
	assert.False(t, p.reverse, "earliest call first has a head start")
	s.explored++
	p, o := s.primary()
	assert.True(t, p.reverse, "the latest call returns first: latest call first")

	// The other head has linearized a quarter of the operations more
	// than the primary: it takes over.
	p.maxDepth, o.maxDepth = 10, 10+40/4
	p2, _ := s.primary()
	assert.True(t, p2 == o, "a lead of a quarter takes over")
	o.maxDepth--
	p2, _ = s.primary()
	assert.True(t, p2 == p, "a smaller lead does not")
}

func mustCompile(t *testing.T, m Model) *compiledModel {
	t.Helper()
	cm, err := compileModel(m)
	require.NoError(t, err)
	return cm
}
