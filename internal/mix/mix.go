// Package mix holds the two functions every seeded stream of raftlab is
// derived with. Their values are part of replay: a seed printed by one
// version must make the same decisions in the next, so they never change.
package mix

import "hash/fnv"

// Gamma is splitmix64's increment, the golden ratio in 64 bits: adding
// multiples of it spreads neighbouring inputs over the whole range.
const Gamma = 0x9e3779b97f4a7c15

// SplitMix64 is one step of splitmix64: it adds Gamma to x and returns
// the finalizer of the sum, so that inputs differing in one bit give
// unrelated outputs.
func SplitMix64(x uint64) uint64 {
	x += Gamma
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// String hashes s with 64-bit FNV-1a, which, unlike hash/maphash, is the
// same in every process.
func String(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}
