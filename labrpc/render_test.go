package labrpc

import (
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"

	"raftlab/dlog"
)

type logEntry struct {
	Term    int
	Command any
}

type appendArgs struct {
	Term     int
	LeaderId int
	Entries  []logEntry
	Snapshot []byte
	Peers    map[int]bool
	Note     string
	Next     *appendArgs
	secret   int
}

func TestRenderShowsExportedFieldsBriefly(t *testing.T) {
	args := &appendArgs{Term: 3, LeaderId: 1, secret: 9, Snapshot: make([]byte, 4096), Peers: map[int]bool{1: true},
		Entries: []logEntry{{3, 42}, {3, "x"}, {3, nil}, {3, 7}, {4, 8}}}
	assert.Equal(t,
		`{Term:3 LeaderId:1 Entries:[5 items: {Term:3 Command:42} {Term:3 Command:"x"} {Term:3 Command:nil} …] Snapshot:[4096 bytes] Peers:map[1 entries] Note:"" Next:nil}`,
		renderValue(reflect.ValueOf(args)), "unexported fields stay out; long slices show their first items and their length")

	long := &appendArgs{Note: strings.Repeat("é", 100), Next: &appendArgs{Next: &appendArgs{Term: 1}}}
	got := renderValue(reflect.ValueOf(long))
	assert.Contains(t, got, `Note:"`+strings.Repeat("é", 20)+`…"`, "a long string is cut, on a character boundary")
	assert.Contains(t, got, "Next:{Term:0", "pointers are followed")

	huge := make([]appendArgs, 3)
	for i := range huge {
		huge[i].Note = strings.Repeat("n", 39)
	}
	got = renderValue(reflect.ValueOf(huge))
	assert.LessOrEqual(t, len(got), renderLimit+len("…"))
	assert.True(t, strings.HasSuffix(got, "…"), "a rendering past the limit ends in an ellipsis")
}

// With the network's log on, each call's trace event says what it carried;
// with it off, the trace stays as it was, and rendering costs nothing.
func TestTraceCarriesArgsAndRepliesWhileLogging(t *testing.T) {
	n, end, _ := setup(7)
	defer n.Cleanup()
	end.Call("Echo.Double", &EchoArgs{X: 21, Text: "hi"}, &EchoReply{})
	n.SetLogSink(dlog.NewBuffer(100), dlog.Network)
	end.Call("Echo.Double", &EchoArgs{X: 5}, &EchoReply{})
	n.Enable("c->s", false)
	end.Call("Echo.Double", &EchoArgs{X: 6}, &EchoReply{})

	tr := n.Trace()
	var calls []TraceEvent
	for _, ev := range tr {
		if ev.Method != "" {
			calls = append(calls, ev)
		}
	}
	if assert.Len(t, calls, 3) {
		assert.Nil(t, calls[0].Values, "not rendered while the log is off")
		assert.Equal(t, &CallValues{Args: `{X:5 Text:""}`, Reply: `{X:10 Text:""}`}, calls[1].Values)
		assert.Contains(t, calls[1].Message(), `delivered args={X:5 Text:""} reply={X:10 Text:""}`)
		assert.Equal(t, &CallValues{Args: `{X:6 Text:""}`}, calls[2].Values, "no handler ran, so no reply")
		assert.Contains(t, calls[2].Message(), `no-route: end disabled args={X:6 Text:""}`)
	}
}
