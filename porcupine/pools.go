package porcupine

import (
	"math/bits"
	"sync"
)

// A check of a short history spends as much on its tables as on its search:
// the memo's slots, the transition memo and the state table each start
// small and double, and a search of a few hundred steps allocated, cleared
// and later collected about as many bytes in tables as the model did in
// states. Finished searches hand their tables over to later ones, in the
// same check (the partitions of a many-key history) or the next.

// Only tables of up to maxPooled elements are kept. A large table is
// allocated once in a search long enough for that not to matter, and
// keeping it would hold memory the search no longer needs. Clearing it
// would cost more than the runtime's allocation: the runtime hands out
// memory fresh from the system without clearing it, and clears in pieces
// where the collector can stop the goroutine, while clear() on a large
// slice cannot be interrupted, and the collector's workers spun waiting for
// it (a one-key history of 6.9 million steps took 1.6x its CPU time).
const maxPooled = 1 << 16

// slicePool keeps slices of power-of-two lengths, a sync.Pool per length.
type slicePool[T any] struct{ bySize [64]sync.Pool }

// get returns a slice of length n, a power of two, and whether it is all
// zero: a new one is; a reused one holds what its last user left.
func (p *slicePool[T]) get(n int) (s []T, zero bool) {
	if n <= maxPooled {
		if s, ok := p.bySize[bits.Len(uint(n))].Get().(*[]T); ok && len(*s) == n {
			return *s, false
		}
	}
	return make([]T, n), true
}

// put hands s over; the caller must not use it after. It reports whether
// s was kept: a slice longer than maxPooled or whose length is not a power
// of two is left to the collector.
func (p *slicePool[T]) put(s []T) bool {
	n := len(s)
	if n == 0 || n > maxPooled || n&(n-1) != 0 {
		return false
	}
	p.bySize[bits.Len(uint(n))].Put(&s)
	return true
}

// getZero is get, cleared.
func (p *slicePool[T]) getZero(n int) []T {
	s, zero := p.get(n)
	if !zero {
		clear(s)
	}
	return s
}

var (
	uint64s     slicePool[uint64]
	int32s      slicePool[int32]
	stateBlocks slicePool[stateEntry]
)
