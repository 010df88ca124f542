// Package ring is a bounded buffer that keeps the newest items, so that a
// long run's logs and traces cannot exhaust memory, and counts the ones it
// let go, so that a reader knows the record is partial.
package ring

// Ring keeps the newest Limit items added to it. The zero value keeps
// nothing; give it a limit with SetLimit. It is not safe for concurrent
// use: its owners already hold a lock of their own when they use it.
type Ring[T any] struct {
	limit   int
	buf     []T // grows to limit, then wraps
	head    int // the oldest item, once buf is full
	dropped int
}

// Add keeps v, dropping the oldest item if the ring is full.
func (r *Ring[T]) Add(v T) {
	if r.limit <= 0 {
		r.dropped++
		return
	}
	if len(r.buf) < r.limit {
		r.buf = append(r.buf, v)
		return
	}
	r.buf[r.head] = v
	r.head = (r.head + 1) % len(r.buf)
	r.dropped++
}

// Items returns a copy of the kept items, oldest first.
func (r *Ring[T]) Items() []T {
	out := make([]T, 0, len(r.buf))
	out = append(out, r.buf[r.head:]...)
	return append(out, r.buf[:r.head]...)
}

// Dropped returns how many items were added but are no longer kept.
func (r *Ring[T]) Dropped() int { return r.dropped }

// SetLimit bounds the ring to the newest limit items, dropping (and
// counting) the older ones it holds now; limit <= 0 keeps nothing.
func (r *Ring[T]) SetLimit(limit int) {
	items := r.Items()
	keep := min(max(limit, 0), len(items))
	r.dropped += len(items) - keep
	// A fresh slice lets go of the old, possibly much larger, one.
	r.buf = append([]T(nil), items[len(items)-keep:]...)
	r.head, r.limit = 0, limit
}
