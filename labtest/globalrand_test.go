package labtest

import (
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Server code that draws from the global math/rand source replays from the
// seed, like code that uses peers[me].Rand().
func TestGlobalRandReplaysFromTheSeed(t *testing.T) {
	draws := func(seed uint64) (out []int64) {
		Run(t, func(h *H) {
			for range 3 {
				out = append(out, rand.Int63())
			}
		}, WithSeed(seed))
		return out
	}
	first, again, other := draws(42), draws(42), draws(43)
	assert.Equal(t, first, again, "the same seed must give the same global math/rand draws")
	assert.NotEqual(t, first, other)
}

func TestGuardHelperGlobalRand(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {})
	Run(t, func(h *H) {})
}

// Without randseednop=0 the binary cannot seed the global source: the
// harness says so once, with the fix, and the tests still run.
func TestUnseedableGlobalRandIsReportedOnce(t *testing.T) {
	env := []string{"GODEBUG=" + os.Getenv("GODEBUG") + ",randseednop=1"} // overrides this package's directive
	out, _ := runHelperEnv(t, env, "^TestGuardHelperGlobalRand$")
	assert.Equal(t, 1, strings.Count(out, "the global math/rand source cannot be seeded"), "once per binary")
	assert.Contains(t, out, "//go:debug randseednop=0")
	assert.Contains(t, out, "--- PASS: TestGuardHelperGlobalRand")

	out, _ = runHelper(t, "^TestGuardHelperGlobalRand$")
	assert.NotContains(t, out, "cannot be seeded", "this package's debug_test.go has the directive")
}
