package labtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleDump = `goroutine 11 [running, synctest bubble 1 labels:{"labtest": "TestX #1 seed=99", "server": "9"}]:
raftlab/raft.(*Raft).ticker(0xc000010000)
	/work/main/raft/raft.go:120 +0x1d
created by raftlab/raft.Make in goroutine 7
	/work/main/raft/raft.go:200 +0x2a

goroutine 12 [chan receive (durable), 3 minutes, synctest bubble 1 labels:{"method": "Raft.AppendEntries", "server": "2"}]:
runtime.gopark(0x0?, 0x0?, 0x0?, 0x0?, 0x0?)
	/usr/local/go/src/runtime/proc.go:460 +0xce
raftlab/raft.(*Raft).AppendEntries(0xc000010000, 0xc0000a0000, 0xc0000a0010)
	/work/main/raft/raft.go:300 +0x45

goroutine 13 [sync.Mutex.Lock, synctest bubble 2]:
sync.(*Mutex).Lock(...)
	/usr/local/go/src/sync/mutex.go:46
main.f()
	/x/f.go:3 +0x1

goroutine 14 [select]:
main.g()
	/x/g.go:9 +0x1
`

func TestParseStacks(t *testing.T) {
	gs := parseStacks([]byte(sampleDump))
	require.Len(t, gs, 4)

	assert.Equal(t, 11, gs[0].ID)
	assert.Equal(t, "running", gs[0].Status)
	assert.Equal(t, 1, gs[0].Bubble)
	assert.Equal(t, "9", gs[0].Labels["server"])
	assert.Equal(t, "TestX #1 seed=99", gs[0].Labels[labelRun])
	assert.Equal(t, "raftlab/raft.(*Raft).ticker", gs[0].where().Func)
	assert.Equal(t, "/work/main/raft/raft.go:120", gs[0].where().Pos)
	assert.Equal(t, "raftlab/raft.Make", gs[0].CreatedBy)
	assert.Equal(t, kindBusy, classify(gs[0], true))
	assert.Equal(t, "server 9", gs[0].owner())

	assert.Equal(t, "chan receive", gs[1].Status)
	assert.True(t, gs[1].Durable)
	assert.Equal(t, "raftlab/raft.(*Raft).AppendEntries", gs[1].where().Func)
	assert.Equal(t, "server 2 (RPC handler)", gs[1].owner())
	assert.Equal(t, kindDurable, classify(gs[1], true))

	assert.Equal(t, kindMutex, classify(gs[2], true))
	assert.Equal(t, 2, gs[2].Bubble)
	assert.Equal(t, "main.f", gs[2].where().Func)

	assert.Equal(t, 0, gs[3].Bubble)
	assert.Equal(t, kindNonDurable, classify(gs[3], true), "a non-durable select in a bubble")
	assert.Equal(t, kindDurable, classify(gs[3], false), "outside virtual time nothing is non-durable")

	mine := testGoroutines(gs, 1, "")
	assert.Len(t, mine, 2)
	k, ok := diagnosis(mine, true)
	assert.True(t, ok)
	assert.Equal(t, kindBusy, k)
}

func TestCurrentBubble(t *testing.T) {
	assert.Equal(t, 0, currentBubble())
	Run(t, func(h *H) {
		if h.Realtime() {
			assert.Equal(h.T(), 0, currentBubble())
			return
		}
		assert.NotZero(h.T(), currentBubble())
		assert.Equal(h.T(), h.r.bubble, currentBubble())
	})
}

func TestRunInsideBubbleIsAClearError(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperNestedRun$")
	assert.Contains(t, out, "labtest.Run called inside a synctest bubble")
}

func TestGuardHelperNestedRun(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		Run(h.T(), func(*H) {})
	})
}
