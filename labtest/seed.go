package labtest

import (
	crand "crypto/rand"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"raftlab/internal/mix"
)

// Stream identifiers for the PCG generators derived from a seed. Distinct
// constants give the test body and anything else the harness seeds
// independent streams from the one seed the user sees and replays.
const (
	streamTest  = 0x7465737420726e67 // "test rng"
	streamSeeds = 0x7365656473202020 // "seeds   "
)

// freshSeed draws a seed from the operating system, so that runs without
// -seed explore different schedules instead of all replaying seed 0.
func freshSeed() uint64 {
	var b [8]byte
	if _, err := crand.Read(b[:]); err != nil {
		// crypto/rand does not fail on supported platforms; a fixed seed
		// is still replayable, which is all the harness needs.
		return 1
	}
	return binary.LittleEndian.Uint64(b[:])
}

// newRand returns the generator of one stream of seed.
func newRand(seed, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, stream))
}

// deriveSeed mixes seed and a salt so that derived seeds of neighbouring
// inputs are unrelated.
func deriveSeed(seed, salt uint64) uint64 {
	return mix.SplitMix64(seed + mix.Gamma*salt)
}

// Seeds returns the seeds a multi-seed test should run, one subtest each:
// -seeds of them (default 1, or AtLeast's count). The first is the test's
// base seed (-seed, or a fresh one), the others derive from it, so
// `-seed S -seeds 1` replays just the run whose seed was S, and `-seed S`
// alone replays that one run too. Run each with the WithSeed option:
//
//	for _, s := range labtest.Seeds(t, labtest.AtLeast(8)) {
//		t.Run(fmt.Sprint("seed=", s), func(t *testing.T) {
//			labtest.Run(t, chaos, labtest.WithSeed(s))
//		})
//	}
func Seeds(t testing.TB, opts ...SeedsOption) []uint64 {
	t.Helper()
	var o seedsOptions
	for _, f := range opts {
		f(&o)
	}
	s := currentSettings()
	base := s.seed
	if !s.seedSet {
		base = freshSeed()
	}
	n := s.seeds
	if !s.seedsSet && !s.seedSet && o.atLeast > n {
		n = o.atLeast
	}
	return DeriveSeeds(base, n)
}

// SeedsOption adjusts Seeds.
type SeedsOption func(*seedsOptions)

type seedsOptions struct{ atLeast int }

// AtLeast makes Seeds return n seeds when the run names neither -seeds nor
// -seed: a randomized test that is weak on one seed runs several by
// default, while an explicit -seed replays just the one.
func AtLeast(n int) SeedsOption { return func(o *seedsOptions) { o.atLeast = n } }

// BaseSeed returns the seed given with -seed (or RAFTLAB_SEED) and true, or
// 0 and false when each test draws a fresh one.
func BaseSeed() (seed uint64, given bool) {
	s := currentSettings()
	return s.seed, s.seedSet
}

// DeriveSeeds returns n seeds: base itself, then n-1 derived from it.
func DeriveSeeds(base uint64, n int) []uint64 {
	if n < 1 {
		n = 1
	}
	out := []uint64{base}
	r := newRand(base, streamSeeds)
	for len(out) < n {
		out = append(out, deriveSeed(r.Uint64(), uint64(len(out))))
	}
	return out
}
