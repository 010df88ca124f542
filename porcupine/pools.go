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

// slicePool keeps slices of power-of-two lengths, a sync.Pool per length.
type slicePool[T any] struct{ bySize [64]sync.Pool }

// get returns a slice of length n, a power of two, with unspecified
// contents.
func (p *slicePool[T]) get(n int) []T {
	if s, ok := p.bySize[bits.Len(uint(n))].Get().(*[]T); ok && len(*s) == n {
		return *s
	}
	return make([]T, n)
}

// put hands s over; the caller must not use it after. A slice whose length
// is not a power of two is left to the collector.
func (p *slicePool[T]) put(s []T) {
	n := len(s)
	if n == 0 || n&(n-1) != 0 {
		return
	}
	p.bySize[bits.Len(uint(n))].Put(&s)
}

var (
	uint64s     slicePool[uint64]
	int32s      slicePool[int32]
	stateBlocks slicePool[stateEntry]
)
