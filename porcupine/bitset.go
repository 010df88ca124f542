package porcupine

// bitset is the set of operations already linearized. It carries a Zobrist
// hash (the XOR of a random key per member) so that setting or clearing a bit
// updates the hash in O(1) instead of rehashing every word per cache probe.
type bitset struct {
	words []uint64
	hash  uint64
	keys  []uint64 // keys[i] is op i's random contribution to hash
}

func newBitset(n int, keys []uint64) bitset {
	return bitset{words: make([]uint64, (n+63)/64), keys: keys}
}

func (b *bitset) set(i int) {
	b.words[i>>6] |= 1 << (uint(i) & 63)
	b.hash ^= b.keys[i]
}

func (b *bitset) clear(i int) {
	b.words[i>>6] &^= 1 << (uint(i) & 63)
	b.hash ^= b.keys[i]
}

// zobristKeys returns n pseudo-random keys from a fixed seed: the search must
// be deterministic, and the keys only need to be well mixed, not secret.
func zobristKeys(n int) []uint64 {
	keys := make([]uint64, n)
	x := uint64(0x9e3779b97f4a7c15)
	for i := range keys {
		x += 0x9e3779b97f4a7c15
		keys[i] = mix64(x)
	}
	return keys
}

// mix64 is the splitmix64 finaliser: cheap, and it spreads every input bit
// over the whole word, which the open-addressing tables rely on.
func mix64(z uint64) uint64 {
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}
