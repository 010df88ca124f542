package labtest

import (
	"fmt"
	"math/rand"
	"os"
	"sync"
	"sync/atomic"
)

// Students draw election timeouts from the global math/rand source far
// more often than from peers[me].Rand(). Seeding that source from the
// test's seed before each body makes such code replay too, as long as the
// draws happen in the same order, which virtual time mostly ensures.
//
// Since Go 1.24 rand.Seed does nothing unless the binary runs with the
// GODEBUG setting randseednop=0. A test binary gets it from a
// `//go:debug randseednop=0` line in one of its package's _test.go files;
// the harness checks once per binary that the setting took effect and, if
// not, says how to fix it.

var (
	globalRandOnce     sync.Once
	globalRandSeedable atomic.Bool
)

// globalRandFix is the advice when the global source cannot be seeded.
const globalRandFix = "add a file such as debug_test.go to the package under test whose first line is " +
	"`//go:debug randseednop=0` (followed by a blank line and the package clause), or run with GODEBUG=randseednop=0"

// seedGlobalRand seeds the global math/rand source from the test's seed.
// Parallel tests share that source, so their draws interleave and do not
// replay; sequential tests are unaffected.
func seedGlobalRand(seed uint64) {
	globalRandOnce.Do(checkGlobalRand)
	rand.Seed(int64(seed)) //lint:ignore SA1019 seeding the global source is the point
}

// checkGlobalRand finds out whether rand.Seed works in this binary: two
// draws right after the same seed are equal only if it does. Said once per
// binary, on standard error, because it concerns every test alike.
func checkGlobalRand() {
	rand.Seed(0x5eed) //lint:ignore SA1019 probing whether Seed works
	a := rand.Int63()
	rand.Seed(0x5eed) //lint:ignore SA1019 probing whether Seed works
	b := rand.Int63()
	globalRandSeedable.Store(a == b)
	if a != b {
		fmt.Fprintf(os.Stderr, "labtest: warning: the global math/rand source cannot be seeded in this test binary "+
			"(rand.Seed is a no-op since Go 1.24), so server code that draws from it (rand.Intn, rand.Float64) "+
			"does not replay from -seed. To fix it, %s.\n", globalRandFix)
	}
}
