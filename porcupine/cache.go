package porcupine

import (
	"math/bits"
	"sync"
)

// cache is the memo of search configurations already explored: pairs of
// (linearized set, model state). A Go map keyed by slices would need a copy
// and a hash of the whole bitset per probe; this open-addressing table keys
// on the bitset's incremental hash and keeps the sets packed in fixed-size
// chunks, so a probe is one slot load plus, on a tag match, one short word
// compare, and growing never copies the sets.
//
// Entries with the same set and tag share one slot and are chained through
// their last word: without a state hash every state reached with a set has
// the set's key, and linear probing would pile them up in one run of slots
// that every probe nearby walks through.
type cache struct {
	words  int        // bitset words per entry
	stride int        // words + 1: the state handle and chain link follow
	chunks [][]uint64 // entries, 1<<shift per chunk
	shift  uint
	n      int      // entries
	used   int      // slots in use
	slots  []uint64 // high 32 bits: hash tag; low 32: entry index + 1; 0 empty
	done   []uint64 // bitset over entries: exhausted
	mask   uint64
	top    uint // a key's slot is key >> top: the table has 1<<(64-top) slots
	states *stateTable
	keys   []uint64 // the bitsets' Zobrist keys, to rebuild the slots
	keyGen int      // states.keyGen the slots were built for
}

// Chunk sizes follow the partition's size, so that the many tiny
// partitions of a history cost little (4 entries per operation: most
// searches of a single register stop within a few hundred entries, and
// clearing a larger first chunk took a tenth of their time).
const (
	minChunkShift = 6
	maxChunkShift = 14
)

func newCache(ops, words int, states *stateTable, keys []uint64) *cache {
	return &cache{
		keys:   keys,
		shift:  uint(min(max(bits.Len(uint(ops)*4), minChunkShift), maxChunkShift)),
		words:  words,
		stride: words + 1,
		slots:  newSlots(64),
		mask:   63,
		top:    58,
		states: states,
	}
}

// bytes estimates the memory the cache holds.
func (c *cache) bytes() int64 {
	return int64(len(c.chunks))<<c.shift*int64(c.stride)*8 + int64(len(c.slots))*8 + int64(len(c.done))*8
}

func (c *cache) entry(e int) []uint64 {
	ch := c.chunks[e>>c.shift]
	off := (e & (1<<c.shift - 1)) * c.stride
	return ch[off : off+c.stride : off+c.stride]
}

func cacheKey(b *bitset, stateHash uint64) uint64 {
	return b.hash ^ stateHash
}

// insert adds (b, state) and reports whether it was absent. fresh says the
// state was just interned, so no entry can hold it yet and the probe can stop
// at the first empty slot without comparing anything.
// Outcomes of cache.insert.
const (
	added      = iota // new: the caller explores it
	inProgress        // present, and some head is exploring it
	exhausted         // present and fully explored: nothing to find there
)

// insert adds (b, state) unless present, and returns its entry and whether
// it was added, is being explored, or has been exhausted.
func (c *cache) insert(b *bitset, state int32, fresh bool) (int32, int) {
	if c.keyGen != c.states.keyGen {
		c.rekey()
	}
	h := cacheKey(b, c.states.hashOf(state))
	tag := h &^ 0xffffffff
	i := h >> c.top
	chain := uint64(0) // a slot holding the set's chain, +1
	for {
		s := c.slots[i]
		if s == 0 {
			break
		}
		if !fresh && s&^0xffffffff == tag {
			head := int32(s&0xffffffff) - 1
			if equalWords(c.entry(int(head))[:c.words], b.words) {
				if e := c.find(head, state); e >= 0 {
					if c.isDone(e) {
						return e, exhausted
					}
					return e, inProgress
				}
				if chain == 0 {
					chain = i + 1
				}
			}
		}
		i = (i + 1) & c.mask
	}
	e := c.n
	if e>>c.shift == len(c.chunks) {
		c.chunks = append(c.chunks, newChunk(1<<c.shift*c.stride))
	}
	dst := c.entry(e)
	for j, w := range b.words {
		dst[j] = w
	}
	dst[c.words] = uint64(uint32(state)) << 32
	c.n++
	if e>>6 == len(c.done) {
		c.done = append(c.done, 0)
	}
	if chain != 0 {
		c.link(int32(e), chain-1)
		return int32(e), added
	}
	c.slots[i] = tag | uint64(e+1)
	c.used++
	// At most half full: linear probing's expected chain grows quickly
	// beyond that, and slots are only 8 bytes.
	if uint64(c.used)*2 > c.mask+1 {
		c.grow()
	}
	return int32(e), added
}

// chunks holds the entry chunks of finished searches for the next ones:
// a new chunk is cleared by the runtime, and on kvraft-shaped histories
// (sixty partitions of 300 operations, each search in a 98 KB first chunk)
// clearing and collecting them took a tenth of the check. Nothing of an
// entry is read before insert has written all of it, so a reused chunk
// needs no clearing.
var chunks sync.Pool

func newChunk(size int) []uint64 {
	if p, ok := chunks.Get().(*[]uint64); ok {
		if cap(*p) >= size {
			return (*p)[:size]
		}
		chunks.Put(p)
	}
	return make([]uint64, size)
}

// free hands the cache's chunks over to later searches; the cache must
// not be used after.
func (c *cache) free() {
	for i, ch := range c.chunks {
		chunks.Put(&ch)
		c.chunks[i] = nil
	}
	c.chunks = nil
	uint64s.put(c.slots)
	c.slots = nil
}

// find returns the entry of state in the chain from head, or -1.
func (c *cache) find(head, state int32) int32 {
	st := c.states
	for e := head; e >= 0; {
		w := c.entry(int(e))[c.words]
		other := int32(w >> 32)
		// Handles of interned states are equal exactly when the states
		// are; otherwise two handles may hold equal states.
		if other == state || (!st.interns && st.equal(st.get(other), st.get(state))) {
			return e
		}
		e = int32(uint32(w)) - 1
	}
	return -1
}

// link puts entry e at the head of the chain in slot i.
func (c *cache) link(e int32, i uint64) {
	s := c.slots[i]
	w := &c.entry(int(e))[c.words]
	*w = *w&^0xffffffff | s&0xffffffff // the old head's index + 1
	c.slots[i] = s&^0xffffffff | uint64(e+1)
}

// markDone records that entry e has been fully explored.
func (c *cache) markDone(e int32) { c.done[e>>6] |= 1 << (uint(e) & 63) }

func (c *cache) isDone(e int32) bool { return c.done[e>>6]&(1<<(uint(e)&63)) != 0 }

// containsDone reports whether (b, state) is in the cache and exhausted.
func (c *cache) containsDone(b *bitset, state int32) bool {
	if c.keyGen != c.states.keyGen {
		c.rekey()
	}
	h := cacheKey(b, c.states.hashOf(state))
	tag := h &^ 0xffffffff
	for i := h >> c.top; c.slots[i] != 0; i = (i + 1) & c.mask {
		s := c.slots[i]
		if s&^0xffffffff != tag {
			continue
		}
		head := int32(s&0xffffffff) - 1
		if equalWords(c.entry(int(head))[:c.words], b.words) {
			if e := c.find(head, state); e >= 0 {
				return c.isDone(e)
			}
		}
	}
	return false
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// grow quadruples the slot table (fewer rehash passes). A slot's position
// comes from the top bits of the key, which its tag keeps, so rehashing
// never touches the entries.
func (c *cache) grow() {
	size := (c.mask + 1) * 4
	slots := newSlots(int(size))
	mask := size - 1
	top := c.top - 2
	for _, s := range c.slots {
		if s == 0 {
			continue
		}
		i := s >> top
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i] = s
	}
	uint64s.put(c.slots)
	c.slots, c.mask, c.top = slots, mask, top
}

// newSlots returns an empty slot table of size slots, a power of two.
func newSlots(size int) []uint64 {
	return uint64s.getZero(size)
}

// rekey rebuilds the slots when the state table has stopped hashing states
// (see stateTable.checkDerived): every key then changes to its set's hash
// alone, which the entries give back through the Zobrist keys.
func (c *cache) rekey() {
	c.keyGen = c.states.keyGen
	slots := newSlots(len(c.slots))
	uint64s.put(c.slots)
	c.slots, c.used = slots, 0
	for e := range c.n {
		w := c.entry(e)
		var h uint64
		for j, x := range w[:c.words] {
			for ; x != 0; x &= x - 1 {
				h ^= c.keys[j*64+bits.TrailingZeros64(x)]
			}
		}
		h ^= c.states.hashOf(int32(w[c.words] >> 32))
		w[c.words] &^= 0xffffffff
		tag := h &^ 0xffffffff
		i := h >> c.top
		for ; slots[i] != 0; i = (i + 1) & c.mask {
			if slots[i]&^0xffffffff == tag && equalWords(c.entry(int(slots[i]&0xffffffff) - 1)[:c.words], w[:c.words]) {
				break
			}
		}
		if slots[i] != 0 {
			c.link(int32(e), i)
			continue
		}
		slots[i] = tag | uint64(e+1)
		c.used++
	}
}
