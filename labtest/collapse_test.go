package labtest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

const handlerStack = `goroutine %d [sync.Mutex.Lock, %d minutes, synctest bubble 1 labels:{"server": "2"}]:
sync.(*Mutex).Lock(0x%x)
	/usr/local/go/src/sync/mutex.go:46 +0x%x
raftlab/raft.(*Raft).AppendEntries(0xc000010000, 0xc0000a%04x)
	/work/raft/raft.go:300 +0x45
created by raftlab/labrpc.(*Network).startHandler in goroutine %d
	/work/labrpc/server.go:80 +0x2a`

func TestIdenticalStacksArePrintedOnce(t *testing.T) {
	var blocks []string
	blocks = append(blocks, "panic: boom")
	for i := range 496 {
		blocks = append(blocks, fmt.Sprintf(handlerStack, 100+i, i%3, 0xc00+i, i, i, 7+i))
	}
	holder := "goroutine 7 [sleep, synctest bubble 1 labels:{\"server\": \"2\"}]:\ntime.Sleep(0x989680)\n\t/usr/local/go/src/runtime/time.go:300 +0x1\nraftlab/raft.(*Raft).ticker(0xc000010000)\n\t/work/raft/raft.go:120 +0x1d"
	blocks = append(blocks, holder)
	out := collapseStacks(strings.Join(blocks, "\n\n"))

	assert.True(t, strings.HasPrefix(out, "panic: boom\n\n"), "text that is not a goroutine stays")
	assert.Equal(t, 1, strings.Count(out, "raftlab/raft.(*Raft).AppendEntries"), "496 identical handlers print once")
	assert.Contains(t, out, "goroutine 100 [sync.Mutex.Lock, 0 minutes, synctest bubble 1 labels:{\"server\": \"2\"}] × 496 "+
		"(goroutines 100, 101, 102, 103, 104, 105, 106, 107, 108, 109, 110, 111, … and 484 more):\nsync.(*Mutex).Lock(")
	assert.Contains(t, out, holder, "the goroutine that differs is kept whole")
}

func TestGuardHelperManyIdenticalWaiters(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.SetVirtualTimeLimit(5 * time.Second)
		ch := make(chan int)
		h.StartServer("1", func() {
			for range 40 {
				go func() { <-ch }()
			}
		})
		<-ch
	})
}

// The guards' summaries and the timeline's stacks print a goroutine shape
// once with its count.
func TestGuardDumpsCollapseIdenticalGoroutines(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperManyIdenticalWaiters$")
	assert.Regexp(t, `goroutine \d+ \[chan receive \(durable\)\] blocked +raftlab/labtest.TestGuardHelperManyIdenticalWaiters.func1.1.1 .*  × 40 \(goroutines`, out)
	text := timelineOf(t, out)
	assert.Equal(t, 1, strings.Count(text[strings.Index(text, "# goroutine stacks"):], "TestGuardHelperManyIdenticalWaiters.func1.1.1("))
	assert.Regexp(t, `\] × 40 \(goroutines \d+, .*\):\n`, text)
}
