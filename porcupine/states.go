package porcupine

import (
	"hash/maphash"
	"math"
	"math/bits"
	"unsafe"
)

// stateTable gives every model state the search reaches a small integer
// handle. While states repeat, equal states share one handle (interning),
// so the memo cache compares handles instead of calling Equal, Step results
// can be memoized per handle, and a state is kept in memory once however
// many cache entries refer to it. When states hardly ever repeat (an
// append-only log), interning only costs a probe of a large table per
// step, so the table stops: every new state gets a fresh handle with its
// hash, and the cache compares states with Equal when handles differ.
type stateTable struct {
	m      *compiledModel
	blocks [][]stateEntry // block b holds 16<<b entries: growing never copies
	n      int
	slots  []int32 // open addressing over handles; -1 is empty
	mask   uint64
	bytes  int64 // estimated memory held, for the memory cap
	// interns is false once interning has stopped, and from the start
	// without a hash
	interns bool
	hashes  bool
	// derived: the hash is structuralHash, standing in for a Hash the
	// model lacks, and is watched for consistency with its Equal
	derived bool
	keyGen  int // bumped when states stop being hashed: cache keys change
	lookups int // interning probes, and those that found the state
	hits    int
	// call is what the search is calling in the model, for the report of
	// a panic; kept here as the table and the cache call the model too.
	call modelCall
}

type stateEntry struct {
	s any
	h uint64
}

const (
	firstStateBlock = 16 // small: most partitions have a handful of states
	stateOverhead   = 40 // interface, hash and slot per state, roughly
	// internJudgeAfter is how many new states interning gets to show that
	// states repeat: a hit in sixteen lookups pays for the probes, as a
	// hit saves a Step's allocation and the memo's later probes.
	internJudgeAfter = 1 << 12
)

func (t *stateTable) at(id int32) *stateEntry {
	x := uint64(id) + firstStateBlock
	b := bits.Len64(x) - bits.Len64(firstStateBlock)
	return &t.blocks[b][x-firstStateBlock<<b]
}

// get returns the state with handle id.
func (t *stateTable) get(id int32) any { return t.at(id).s }

// hashOf returns the (mixed) hash of the state with handle id; 0 when
// states are not hashed.
func (t *stateTable) hashOf(id int32) uint64 {
	if !t.hashes {
		return 0
	}
	return t.at(id).h
}

func (t *stateTable) count() int { return t.n }

func newStateTable(m *compiledModel, intern bool) *stateTable {
	t := &stateTable{m: m, hashes: m.hash != nil, derived: m.derived, call: modelCall{op: -1}}
	t.interns = intern && t.hashes
	if t.interns {
		t.slots = newStateSlots(64)
		t.mask = 63
	}
	return t
}

// newStateSlots returns an empty slot table of size slots, a power of two.
func newStateSlots(size int) []int32 {
	s, _ := int32s.get(size)
	for i := range s {
		s[i] = -1
	}
	return s
}

// free hands the table's memory over to later searches; the table must not
// be used after. The blocks are cleared first so that they keep no state
// alive.
func (t *stateTable) free() {
	int32s.put(t.slots)
	t.slots = nil
	for _, b := range t.blocks {
		if len(b) <= maxPooled {
			clear(b)
			stateBlocks.put(b)
		}
	}
	t.blocks = nil
}

// intern returns the handle of s and whether it is new; a new handle
// without interning may still hold a state equal to an older one.
func (t *stateTable) intern(s any) (int32, bool) {
	var h uint64
	if t.hashes {
		t.call.fn = inHash
		h = mix64(t.m.hash(s)) // mixed once here, not on every cache probe
		t.call.fn = inChecker
	}
	if !t.interns {
		id := t.add(s, h)
		t.checkDerived(id)
		return id, true
	}
	t.lookups++
	i := h & t.mask
	for {
		id := t.slots[i]
		if id < 0 {
			break
		}
		if e := t.at(id); e.h == h && t.equal(e.s, s) {
			t.hits++
			return id, false
		}
		i = (i + 1) & t.mask
	}
	id := t.add(s, h)
	t.slots[i] = id
	if t.checkDerived(id) {
		return id, true
	}
	if t.n == internJudgeAfter && t.hits*16 < t.lookups {
		t.stopInterning()
		return id, true
	}
	if uint64(t.n)*4 > (t.mask+1)*3 {
		t.grow()
	}
	return id, true
}

// checkDerived looks, when the hash is derived, for a state equal to the
// new one id under the model's Equal but with another hash: that Equal is
// coarser than the states' content, and the hash would keep the memo from
// ever matching such states. Then states stop being hashed (and interned),
// and the cache compares each state reached with a set against the new
// one, as the reference does. Only handles at powers of two are checked
// against all older ones: two Equal calls per state in all, and a model
// whose Equal often disagrees with the hash shows it early. It reports
// whether hashing stopped.
func (t *stateTable) checkDerived(id int32) bool {
	if !t.derived || !t.hashes || id&(id-1) != 0 {
		return false
	}
	e := t.at(id)
	for old := range id {
		if o := t.at(old); o.h != e.h && t.equal(o.s, e.s) {
			t.hashes, t.derived = false, false
			t.stopInterning()
			t.keyGen++
			return true
		}
	}
	return false
}

// stopInterning hands out fresh handles from now on.
func (t *stateTable) stopInterning() {
	if t.interns {
		t.interns = false
		t.bytes -= int64(len(t.slots)) * 4
		int32s.put(t.slots)
		t.slots = nil
	}
}

// equal is the model's Equal, noted as being called.
func (t *stateTable) equal(a, b any) bool {
	t.call.fn = inEqual
	eq := t.m.equal(a, b)
	t.call.fn = inChecker
	return eq
}

func (t *stateTable) add(s any, h uint64) int32 {
	if t.n >= math.MaxInt32-firstStateBlock {
		panic("porcupine: more than 2^31 distinct states")
	}
	if x := uint64(t.n) + firstStateBlock; bits.Len64(x)-bits.Len64(firstStateBlock) == len(t.blocks) {
		b, _ := stateBlocks.get(int(x)) // free cleared it
		t.blocks = append(t.blocks, b)
	}
	*t.at(int32(t.n)) = stateEntry{s, h}
	t.n++
	t.bytes += stateOverhead + stateSize(s)
	return int32(t.n - 1)
}

// dropLast forgets the most recent handle when it turned out not to be
// needed (a fresh handle whose configuration hit the cache).
func (t *stateTable) dropLast() {
	t.n--
	e := t.at(int32(t.n))
	t.bytes -= stateOverhead + stateSize(e.s)
	*e = stateEntry{}
}

func (t *stateTable) grow() {
	size := (t.mask + 1) * 2
	t.bytes += int64(size) * 4 / 2
	int32s.put(t.slots)
	t.slots = newStateSlots(int(size))
	t.mask = size - 1
	for id := 0; id < t.n; id++ {
		i := t.at(int32(id)).h & t.mask
		for t.slots[i] >= 0 {
			i = (i + 1) & t.mask
		}
		t.slots[i] = int32(id)
	}
}

// stateSize estimates the heap a state holds beyond its interface header;
// only the common cases matter, the rest count as small.
func stateSize(s any) int64 {
	switch v := s.(type) {
	case string:
		return int64(len(v))
	case []byte:
		return int64(cap(v))
	case []int:
		return int64(cap(v)) * 8
	case []string:
		n := int64(cap(v)) * 16
		for _, x := range v {
			n += int64(len(x))
		}
		return n
	case map[string]string:
		n := int64(48 * len(v))
		for k, x := range v {
			n += int64(len(k) + len(x))
		}
		return n
	}
	return 16
}

var defaultSeed = maphash.MakeSeed()

// defaultHash hashes states compared with ==. Common scalar types take a fast
// path; anything else comparable goes through maphash, which panics on an
// incomparable state just as == would.
func defaultHash(s any) uint64 {
	switch v := s.(type) {
	case int:
		return mix64(uint64(v))
	case int64:
		return mix64(uint64(v))
	case int32:
		return mix64(uint64(v))
	case uint64:
		return mix64(v)
	case bool:
		if v {
			return 1
		}
		return 2
	case string:
		return maphash.String(defaultSeed, v)
	case nil:
		return 0
	}
	return maphash.Comparable(defaultSeed, s)
}

// sameObject reports whether a and b are the very same value in memory: the
// same dynamic type and the same data word, or strings sharing their bytes
// (a string state handed back by Step is boxed anew, but its bytes are not
// copied). Such states are equal under any reflexive Equal.
func sameObject(a, b any) bool {
	type eface struct{ typ, data unsafe.Pointer }
	ea, eb := (*eface)(unsafe.Pointer(&a)), (*eface)(unsafe.Pointer(&b))
	if ea.typ != eb.typ {
		return false
	}
	if ea.data == eb.data {
		return true
	}
	if x, ok := a.(string); ok {
		y := b.(string)
		return len(x) == len(y) && (len(x) == 0 || unsafe.StringData(x) == unsafe.StringData(y))
	}
	return false
}
