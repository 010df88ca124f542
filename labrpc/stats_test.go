package labrpc

import (
	"bytes"
	"runtime/pprof"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/dlog"
	"raftlab/labgob"
)

func TestCountsAndBytesExact(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(51)
		defer n.Cleanup()
		args := &EchoArgs{X: 3, Text: "hello"}
		reqBytes, _, err := labgob.Copy(&EchoArgs{}, args)
		require.NoError(t, err)
		repBytes, _, err := labgob.Copy(&EchoReply{}, &EchoReply{X: 6, Text: "hello"})
		require.NoError(t, err)

		for range 10 {
			require.True(t, e.Call("Echo.Double", args, &EchoReply{}))
		}
		n.Enable("c->s", false)
		for range 5 {
			require.False(t, e.Call("Echo.Double", args, &EchoReply{}))
		}
		assert.Equal(t, 15, n.GetTotalCount())
		assert.Equal(t, 10, n.GetCount("s"))
		assert.Equal(t, int64(15*reqBytes+10*repBytes), n.GetTotalBytes(), "request bytes of every call, reply bytes of delivered replies")

		st := n.Stats()
		assert.Equal(t, int64(15), st.Calls)
		assert.Equal(t, n.GetTotalBytes(), st.Bytes)
		s := st.Servers["s"]
		assert.Equal(t, CallStats{Calls: 15, Delivered: 10, Replies: 10, NoRoute: 5,
			RequestBytes: int64(15 * reqBytes), ReplyBytes: int64(10 * repBytes)}, s)
		assert.Equal(t, s, st.Methods["Echo.Double"])
	})
}

func TestLoggerAndNetworkLog(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		n, e, _ := setup(52)
		defer n.Cleanup()
		assert.Nil(t, e.Logger(), "no sink, no logger")
		buf := dlog.NewBuffer(100)
		n.SetLogSink(buf, dlog.All)
		e.Logger().Printf(dlog.Election, "hello")
		require.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		entries, _ := buf.Entries()
		require.Len(t, entries, 2)
		assert.Equal(t, "c", entries[0].Server, "named after the owner")
		assert.Equal(t, "net", entries[1].Server)
		assert.Equal(t, dlog.Network, entries[1].Topic)
		assert.Contains(t, entries[1].Msg, "delivered")

		n.SetLogSink(buf, dlog.Election) // network topic off: no network lines
		require.True(t, e.Call("Echo.Double", &EchoArgs{}, &EchoReply{}))
		entries, _ = buf.Entries()
		assert.Len(t, entries, 2)
	})
}

func TestHandlerGoroutinesHavePprofLabels(t *testing.T) {
	n, e, echo := setup(53)
	defer n.Cleanup()
	echo.block = make(chan struct{})
	done := make(chan bool)
	go func() { done <- e.Call("Echo.Slow", &EchoArgs{}, &EchoReply{}) }()
	var dump bytes.Buffer
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		dump.Reset()
		require.NoError(t, pprof.Lookup("goroutine").WriteTo(&dump, 1))
		if strings.Contains(dump.String(), `"method":"Echo.Slow"`) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	assert.Contains(t, dump.String(), `"method":"Echo.Slow"`)
	assert.Contains(t, dump.String(), `"server":"s"`)
	close(echo.block)
	assert.True(t, <-done)
}
