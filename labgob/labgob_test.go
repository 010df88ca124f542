package labgob

import (
	"bytes"
	"encoding/gob"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type LogEntry struct {
	Command any
	term    int
}

type AppendArgs struct {
	Term    int
	Entries []LogEntry
	ByPeer  map[string]*LogEntry
}

type VoteReply struct {
	Term        int
	VoteGranted bool
}

type Recursive struct {
	Next  *Recursive
	value int
}

type WithChan struct {
	C chan int
	X int
}

func quiet(t *testing.T) *bytes.Buffer {
	var buf bytes.Buffer
	old := SetOutput(&buf)
	t.Cleanup(func() { SetOutput(old) })
	return &buf
}

func TestUnexportedNestedFieldPath(t *testing.T) {
	quiet(t)
	stop := Watch()
	var w bytes.Buffer
	require.NoError(t, NewEncoder(&w).Encode(AppendArgs{Term: 1}))
	fs := stop()
	var paths []string
	for _, f := range fs {
		assert.Equal(t, UnexportedField, f.Kind)
		assert.Equal(t, "labgob.AppendArgs", f.Type)
		paths = append(paths, f.Path)
	}
	assert.ElementsMatch(t, []string{"labgob.AppendArgs.Entries[].term", "labgob.AppendArgs.ByPeer[].term"}, paths)
	assert.Contains(t, fs[0].Message, "rename it to Term")
}

func TestRecursiveTypeTerminates(t *testing.T) {
	quiet(t)
	fs := CheckType(reflectTypeOf(Recursive{}))
	require.Len(t, fs, 1)
	assert.Equal(t, "labgob.Recursive.value", fs[0].Path)
}

func TestChanFieldReported(t *testing.T) {
	quiet(t)
	fs := CheckType(reflectTypeOf(&WithChan{}))
	require.Len(t, fs, 1)
	assert.Equal(t, UnsentField, fs[0].Kind)
	assert.Equal(t, "labgob.WithChan.C", fs[0].Path)
}

func TestReusedReplyDetected(t *testing.T) {
	quiet(t)
	var w bytes.Buffer
	require.NoError(t, NewEncoder(&w).Encode(VoteReply{Term: 5}))
	stop := Watch()
	reply := VoteReply{VoteGranted: true} // stale from an earlier call
	require.NoError(t, NewDecoder(&w).Decode(&reply))
	fs := stop()
	require.Len(t, fs, 1)
	assert.Equal(t, NonZeroDestination, fs[0].Kind)
	assert.Equal(t, "labgob.VoteReply.VoteGranted", fs[0].Path)
	assert.True(t, reply.VoteGranted, "gob keeps the stale field: this is what the finding warns about")
}

func TestFreshDestinationIsFine(t *testing.T) {
	quiet(t)
	var w bytes.Buffer
	require.NoError(t, NewEncoder(&w).Encode(VoteReply{Term: 5}))
	stop := Watch()
	var reply VoteReply
	require.NoError(t, NewDecoder(&w).Decode(&reply))
	assert.Empty(t, stop())
	assert.Equal(t, 5, reply.Term)
}

func TestPrintedOnceDeliveredEveryTime(t *testing.T) {
	out := quiet(t)
	printed.Clear() // "once" is per process; -count=N reruns this test
	type Local struct{ hidden int }
	stop1 := Watch()
	stop2 := Watch()
	for range 3 {
		require.Error(t, NewEncoder(&bytes.Buffer{}).Encode(Local{})) // gob: no exported fields
	}
	assert.Len(t, stop1(), 3)
	assert.Len(t, stop2(), 3)
	assert.Nil(t, stop1(), "a second stop returns nil")
	assert.Equal(t, 1, strings.Count(out.String(), "hidden is unexported"))
}

func TestRegisterConflictIsAFinding(t *testing.T) {
	quiet(t)
	type A struct{ X int }
	type B struct{ Y int }
	stop := Watch()
	RegisterName("labgob.test.conflict", A{})
	assert.NotPanics(t, func() { RegisterName("labgob.test.conflict", B{}) })
	fs := stop()
	require.Len(t, fs, 1)
	assert.Equal(t, RegistrationConflict, fs[0].Kind)
}

func TestCopyDeepAndCountsBytes(t *testing.T) {
	quiet(t)
	Register(VoteReply{})
	src := &AppendArgs{Term: 3, Entries: []LogEntry{{Command: VoteReply{Term: 9}}}}
	var dst AppendArgs
	n1, fs, err := Copy(&dst, src)
	require.NoError(t, err)
	assert.NotEmpty(t, fs, "unexported term is reported")
	assert.Equal(t, 3, dst.Term)
	assert.Equal(t, VoteReply{Term: 9}, dst.Entries[0].Command)
	src.Entries[0].Command = 1
	assert.Equal(t, VoteReply{Term: 9}, dst.Entries[0].Command, "a deep copy")

	// Interface values carry their type description the first time a
	// stream sees the concrete type; the count leaves it out.
	var d2 AppendArgs
	n2, _, err := Copy(&d2, &AppendArgs{Term: 3, Entries: []LogEntry{{Command: VoteReply{Term: 9}}}})
	require.NoError(t, err)
	assert.Equal(t, n1, n2)
}

func TestCopyByteCountIsStable(t *testing.T) {
	// Without interface fields the count must not depend on whether the
	// pooled stream is fresh.
	var want int
	for i := range 5 {
		var dst VoteReply
		n, fs, err := Copy(&dst, &VoteReply{Term: 7, VoteGranted: true})
		require.NoError(t, err)
		assert.Empty(t, fs)
		assert.Equal(t, VoteReply{Term: 7, VoteGranted: true}, dst)
		if i == 0 {
			want = n
			assert.Less(t, n, 20, "type descriptions are not counted")
		}
		assert.Equal(t, want, n)
	}
}

func TestCopyErrorsOnUnsendable(t *testing.T) {
	quiet(t)
	type NoExported struct{ x int }
	var dst NoExported
	_, _, err := Copy(&dst, &NoExported{x: 1})
	assert.Error(t, err)
	_, _, err = Copy(&dst, nil)
	assert.Error(t, err)
}

func reflectTypeOf(v any) reflect.Type { return reflect.TypeOf(v) }

// Types for TestCopyCountIsStreamIndependent, used nowhere else so that
// their pipes start fresh.
type nestPoint struct{ X, Y int }
type nestWrap struct{ Inner any }
type nestMsg struct {
	Term int
	Cmds []any
}
type flatCmd struct{ Key, Value string }
type flatEntry struct {
	Term    int
	Command any
}
type flatMsg struct {
	Term    int
	Entries []flatEntry
}

// settledSize is the size of v's value message on a stream that has
// already sent every type v uses: gob's own encoding of v, minus any
// history.
func settledSize(t *testing.T, v any) int {
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	require.NoError(t, enc.Encode(v))
	buf.Reset()
	require.NoError(t, enc.Encode(v))
	return buf.Len()
}

// A concrete type inside an interface value inside an interface value has
// its type definitions written inline, in the outer value's bytes, the
// first time a stream carries it: the count must not include them, or the
// same value counts differently on a fresh pooled pipe than on a used one.
func TestCopyCountIsStreamIndependent(t *testing.T) {
	quiet(t)
	Register(nestPoint{})
	Register(nestWrap{})
	v := &nestMsg{Term: 3, Cmds: []any{nestWrap{Inner: nestPoint{1, 2}}, 7}}
	want := settledSize(t, v)
	for i := range 10 {
		var dst nestMsg
		n, _, err := Copy(&dst, v)
		require.NoError(t, err)
		require.Equal(t, *v, dst)
		assert.Equal(t, want, n, "copy %d", i)
	}
}

// A struct command in a log entry's interface field, as a key/value
// service's, has its type definition written inline the first time a
// stream carries it, even with no interface nested in it: a fresh pooled
// pipe must count it the same as a warm one.
func TestCopyCountsAStructCommandTheSameOnFreshAndWarmPipes(t *testing.T) {
	quiet(t)
	Register(flatCmd{})
	v := &flatMsg{Term: 2, Entries: []flatEntry{{Term: 2, Command: flatCmd{Key: "k", Value: "v"}}}}
	want := settledSize(t, v)
	for i := range 3 {
		var dst flatMsg
		n, _, err := Copy(&dst, v)
		require.NoError(t, err)
		require.Equal(t, *v, dst)
		assert.Equal(t, want, n, "copy %d", i)
	}
}
