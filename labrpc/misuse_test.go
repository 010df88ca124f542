package labrpc

import (
	"bytes"
	"errors"
	"runtime"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labgob"
)

type OtherReply struct{ Y int }

type Hidden struct{ secret int }

type NestedArgs struct {
	Entries []struct {
		Cmd  int
		term int
	}
}

type BadChan struct{ C chan int }

func (e *Echo) Nested(args *NestedArgs, reply *EchoReply) {}

func (e *Echo) NotAHandler(x int) int { return x }

// misuse runs one bad call and returns the recorded error message.
func misuse(t *testing.T, call func(e *ClientEnd) bool) string {
	t.Helper()
	var msg string
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(31)
		defer n.Cleanup()
		var mu sync.Mutex
		var seen []error
		n.OnError(func(err error) { mu.Lock(); seen = append(seen, err); mu.Unlock() })
		assert.False(t, call(e))
		errs := n.Errors()
		require.NotEmpty(t, errs)
		assert.Equal(t, errs, seen, "OnError sees every recorded error")
		msg = errs[0].Error()
	})
	return msg
}

func TestUnknownServiceListsValidOnes(t *testing.T) {
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Raft.Double", &EchoArgs{}, &EchoReply{}) })
	assert.Contains(t, msg, `unknown service "Raft"`)
	assert.Contains(t, msg, "Echo.Double")
}

func TestUnknownMethodListsValidOnes(t *testing.T) {
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Echo.Triple", &EchoArgs{}, &EchoReply{}) })
	assert.Contains(t, msg, `unknown method "Triple"`)
	assert.Contains(t, msg, "Echo.Double Echo.Nested Echo.Panic Echo.Slow")
}

func TestNonHandlerMethodExplained(t *testing.T) {
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Echo.NotAHandler", &EchoArgs{}, &EchoReply{}) })
	assert.Contains(t, msg, "is not a handler")
}

func TestMalformedMethodName(t *testing.T) {
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Double", &EchoArgs{}, &EchoReply{}) })
	assert.Contains(t, msg, `"Service.Method"`)
}

func TestReplyTypeMismatch(t *testing.T) {
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Echo.Double", &EchoArgs{}, &OtherReply{}) })
	assert.Contains(t, msg, "reply is *labrpc.OtherReply but the handler fills *labrpc.EchoReply")
}

func TestReplyNotPointer(t *testing.T) {
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Echo.Double", &EchoArgs{}, EchoReply{}) })
	assert.Contains(t, msg, "pass a pointer")
}

func TestArgsGobCannotEncode(t *testing.T) {
	defer labgob.SetOutput(labgob.SetOutput(&bytes.Buffer{}))
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Echo.Double", &Hidden{secret: 1}, &EchoReply{}) })
	assert.Contains(t, msg, "secret is unexported")
	msg = misuse(t, func(e *ClientEnd) bool { return e.Call("Echo.Double", nil, &EchoReply{}) })
	assert.Contains(t, msg, "args is nil")
}

func TestHandlerPanicIsAnError(t *testing.T) {
	msg := misuse(t, func(e *ClientEnd) bool { return e.Call("Echo.Panic", &EchoArgs{}, &EchoReply{}) })
	assert.Contains(t, msg, "handler panicked: boom")
}

func TestLabgobFindingsBecomeNetworkErrors(t *testing.T) {
	defer labgob.SetOutput(labgob.SetOutput(&bytes.Buffer{}))
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(32)
		defer n.Cleanup()
		stop := labgob.Watch()
		for range 3 {
			assert.True(t, e.Call("Echo.Nested", &NestedArgs{Entries: []struct {
				Cmd  int
				term int
			}{{1, 2}}}, &EchoReply{}))
		}
		errs := n.Errors()
		require.Len(t, errs, 1, "recorded once per network")
		var f labgob.Finding
		require.True(t, errors.As(errs[0], &f))
		assert.Equal(t, labgob.UnexportedField, f.Kind)
		assert.Equal(t, "labrpc.NestedArgs.Entries[].term", f.Path)
		assert.NotEmpty(t, stop(), "the harness's labgob watch sees it too")
	})
}

func TestReusedReplyIsAnError(t *testing.T) {
	defer labgob.SetOutput(labgob.SetOutput(&bytes.Buffer{}))
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(33)
		defer n.Cleanup()
		var reply EchoReply
		require.True(t, e.Call("Echo.Double", &EchoArgs{X: 1, Text: "a"}, &reply))
		assert.Empty(t, n.Errors())
		e.Call("Echo.Double", &EchoArgs{X: 0}, &reply) // reused: X stays 2
		errs := n.Errors()
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0].Error(), "labrpc.EchoReply.X is not zero")
	})
}

func TestBadNamesDoNotCrash(t *testing.T) {
	n := MakeNetworkSeed(34)
	defer n.Cleanup()
	n.MakeEnd("a")
	n.MakeEnd("a")
	n.Connect("nope", "s")
	n.Enable([]int{1}, true)
	n.AddServer("s", nil)
	errs := n.Errors()
	require.Len(t, errs, 4)
	assert.Contains(t, errs[0].Error(), "already exists")
	assert.Contains(t, errs[1].Error(), "no end named nope")
	assert.Contains(t, errs[2].Error(), "not comparable")
	assert.Contains(t, errs[3].Error(), "MakeServer")
}

type Exiter struct{}

func (Exiter) Exit(args *EchoArgs, reply *EchoReply) { runtime.Goexit() }

func TestHandlerGoexitDoesNotHangTheCaller(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(35)
		defer n.Cleanup()
		srv := MakeServer()
		srv.AddService(MakeService(Exiter{}))
		n.AddServer("s", srv)
		assert.False(t, e.Call("Exiter.Exit", &EchoArgs{}, &EchoReply{}))
		require.Len(t, n.Errors(), 1)
		assert.Contains(t, n.Errors()[0].Error(), "runtime.Goexit")
	})
}

func TestRepeatedMisuseRecordedOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(36)
		defer n.Cleanup()
		calls := 0
		n.OnError(func(error) { calls++ })
		for range 50 {
			assert.False(t, e.Call("Echo.Nope", &EchoArgs{}, &EchoReply{}))
		}
		assert.Len(t, n.Errors(), 1)
		assert.Equal(t, 1, calls)
		assert.Equal(t, int64(50), n.Stats().Methods["Echo.Nope"].Misuse)
	})
}
