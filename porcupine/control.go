package porcupine

import (
	"sync/atomic"
	"time"
)

// stopCause says why searches must stop early.
type stopCause int32

const (
	stopNone    stopCause = iota
	stopTimeout           // the deadline passed
	stopMemory            // the memory cap was reached
	stopIllegal           // another partition is illegal, so the verdict is known
	stopPanic             // a model function panicked in some partition
)

func (c stopCause) String() string {
	switch c {
	case stopTimeout:
		return "timeout"
	case stopMemory:
		return "memory"
	case stopIllegal:
		return "illegal"
	case stopPanic:
		return "panic"
	}
	return "none"
}

// control is shared by the searches of one check: the first cause to stop
// wins, and memory is accounted across partitions searched in parallel.
type control struct {
	stop     atomic.Int32
	mem      atomic.Int64
	memLimit int64 // <= 0: none
	timeout  time.Duration
	// illegal is set when some partition is Illegal: the verdict is known,
	// and in a verbose check the other searches only get their grace.
	illegal atomic.Bool
	grace   int64 // steps a partition may still take once illegal is set
}

func (c *control) stopped() stopCause { return stopCause(c.stop.Load()) }

func (c *control) halt(cause stopCause) { c.stop.CompareAndSwap(int32(stopNone), int32(cause)) }

// addMem adds d bytes to the account and reports whether the cap is exceeded
// (stopping every search if so).
func (c *control) addMem(d int64) bool {
	total := c.mem.Add(d)
	if c.memLimit > 0 && d > 0 && total > c.memLimit {
		c.halt(stopMemory)
		return true
	}
	return false
}
