package porcupine

// transitions memoizes Step on interned states: (state handle, op) -> next
// handle, or -1 when the op is illegal there. Histories with few distinct
// states (a register) reach the same (state, op) pair from many linearized
// sets; a hit replaces the model call, its allocations, the state hash and
// the intern probe by one table probe. When states rarely repeat (an
// append-only log), hits are rare and the table would only cost memory, so
// it switches itself off.
type transitions struct {
	keys    []uint64 // state<<32 | op, with bit 63 set; 0 is empty
	vals    []int32
	mask    uint64
	n       int
	off     bool
	lookups int
	hits    int
}

const (
	transMaxEntries = 1 << 22
	transProbeAfter = 1 << 12 // entries between judgements of the hit rate
	// an early look: next to no hits by then (states that never repeat, as
	// in an append-only log) will not pay for growing the table to the
	// first judgement
	transEarlyLook = 1 << 8
)

func newTransitions(enabled bool) *transitions {
	return &transitions{off: !enabled}
}

func transKey(state, op int32) uint64 {
	return 1<<63 | uint64(uint32(state))<<32 | uint64(uint32(op))
}

// get returns the memoized result and true, or the slot to fill and false.
func (t *transitions) get(state, op int32) (int32, uint64, bool) {
	if t.keys == nil {
		// allocated on first use: most partitions have too few states
		// to need it
		t.keys, t.vals = newTransTable(64)
		t.mask = 63
	}
	k := transKey(state, op)
	i := mix64(k) & t.mask
	for {
		switch t.keys[i] {
		case k:
			t.hits++
			return t.vals[i], i, true
		case 0:
			t.lookups++
			return 0, i, false
		}
		i = (i + 1) & t.mask
	}
}

func (t *transitions) put(slot uint64, state, op, next int32) {
	t.keys[slot] = transKey(state, op)
	t.vals[slot] = next
	t.n++
	if t.n&(transProbeAfter-1) == 0 && t.hits < t.lookups/2 || t.n == transEarlyLook && t.hits < t.lookups/16 || t.n >= transMaxEntries {
		// Mostly misses, or large: not worth its memory any more.
		t.stop()
		return
	}
	if uint64(t.n)*4 > (t.mask+1)*3 {
		t.grow()
	}
}

// stop switches the memo off for good.
func (t *transitions) stop() {
	t.off = true
	t.free()
}

// free hands the table over to later searches.
func (t *transitions) free() {
	uint64s.put(t.keys)
	int32s.put(t.vals)
	t.keys, t.vals = nil, nil
}

// newTransTable returns an empty table of size slots, a power of two. Only
// the keys need clearing: a value is read only under its key.
func newTransTable(size int) ([]uint64, []int32) {
	vals, _ := int32s.get(size)
	return uint64s.getZero(size), vals
}

func (t *transitions) grow() {
	size := (t.mask + 1) * 2
	keys, vals := newTransTable(int(size))
	mask := size - 1
	for i, k := range t.keys {
		if k == 0 {
			continue
		}
		j := mix64(k) & mask
		for keys[j] != 0 {
			j = (j + 1) & mask
		}
		keys[j] = k
		vals[j] = t.vals[i]
	}
	t.free()
	t.keys, t.vals, t.mask = keys, vals, mask
}

func (t *transitions) bytes() int64 { return int64(len(t.keys)) * 12 }
