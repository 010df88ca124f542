package porcupine

// cache is the memo of search configurations already explored: pairs of
// (linearized set, model state). A Go map keyed by slices would need a copy
// and a hash of the whole bitset per probe; this open-addressing table keys
// on the bitset's incremental hash and keeps the sets packed in fixed-size
// chunks, so a probe is one slot load plus, on a tag match, one short word
// compare, and growing never copies the sets.
type cache struct {
	words  int        // bitset words per entry
	stride int        // words + 2: the state handle and the full key follow the set
	chunks [][]uint64 // entries, chunkEntries per chunk
	n      int        // entries
	slots  []uint64   // high 32 bits: hash tag; low 32: entry index + 1; 0 empty
	mask   uint64
	states *stateTable
}

const chunkShift = 12
const chunkEntries = 1 << chunkShift

func newCache(words int, states *stateTable) *cache {
	return &cache{
		words:  words,
		stride: words + 2,
		slots:  make([]uint64, 1024),
		mask:   1023,
		states: states,
	}
}

// bytes estimates the memory the cache holds.
func (c *cache) bytes() int64 {
	return int64(len(c.chunks))*chunkEntries*int64(c.stride)*8 + int64(len(c.slots))*8
}

func (c *cache) entry(e int) []uint64 {
	ch := c.chunks[e>>chunkShift]
	off := (e & (chunkEntries - 1)) * c.stride
	return ch[off : off+c.stride : off+c.stride]
}

func cacheKey(b *bitset, stateHash uint64) uint64 {
	return b.hash ^ stateHash
}

// insert adds (b, state) and reports whether it was absent. fresh says the
// state was just interned, so no entry can hold it yet and the probe can stop
// at the first empty slot without comparing anything.
func (c *cache) insert(b *bitset, state int32, fresh bool) bool {
	st := c.states
	h := cacheKey(b, st.hashes[state])
	tag := h &^ 0xffffffff
	i := h & c.mask
	for {
		s := c.slots[i]
		if s == 0 {
			break
		}
		if !fresh && s&^0xffffffff == tag {
			e := c.entry(int(s&0xffffffff) - 1)
			if equalWords(e[:c.words], b.words) {
				other := int32(e[c.words])
				if other == state || (!st.interns && st.m.equal(st.states[other], st.states[state])) {
					return false
				}
			}
		}
		i = (i + 1) & c.mask
	}
	e := c.n
	if e>>chunkShift == len(c.chunks) {
		c.chunks = append(c.chunks, make([]uint64, chunkEntries*c.stride))
	}
	dst := c.entry(e)
	copy(dst, b.words)
	dst[c.words] = uint64(state)
	dst[c.words+1] = h
	c.n++
	c.slots[i] = tag | uint64(e+1)
	// At most half full: linear probing's expected chain grows quickly
	// beyond that, and slots are only 8 bytes.
	if uint64(c.n)*2 > c.mask+1 {
		c.grow()
	}
	return true
}

func equalWords(a, b []uint64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// grow doubles the slot table, rehashing from the full key kept in each
// entry rather than from the set itself.
func (c *cache) grow() {
	size := (c.mask + 1) * 2
	slots := make([]uint64, size)
	mask := size - 1
	for e := 0; e < c.n; e++ {
		h := c.entry(e)[c.words+1]
		i := h & mask
		for slots[i] != 0 {
			i = (i + 1) & mask
		}
		slots[i] = h&^0xffffffff | uint64(e+1)
	}
	c.slots = slots
	c.mask = mask
}
