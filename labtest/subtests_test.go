package labtest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// Each subtest, parallel or not, calls Run itself and gets its own bubble
// and clock.
func TestSubtestsGetTheirOwnBubble(t *testing.T) {
	var mu sync.Mutex
	bubbles := map[int]bool{}
	real0 := time.Now()
	t.Run("group", func(t *testing.T) {
		for i := 0; i < 3; i++ {
			t.Run(fmt.Sprint("sub", i), func(t *testing.T) {
				t.Parallel()
				Run(t, func(h *H) {
					if h.Realtime() {
						return
					}
					start := time.Now()
					time.Sleep(time.Duration(10+i) * time.Second)
					assert.Equal(h.T(), time.Duration(10+i)*time.Second, time.Since(start))
					mu.Lock()
					bubbles[h.r.bubble] = true
					mu.Unlock()
				})
			})
		}
	})
	if currentSettings().realtime {
		return
	}
	assert.Len(t, bubbles, 3)
	assert.Less(t, time.Since(real0), 10*time.Second)
}

// Seeds runs a multi-seed test: the first seed is the base seed, and the
// subtest name carries each seed so that the rerun line replays just one.
func TestGuardHelperMultiSeed(t *testing.T) {
	helperOnly(t)
	for _, s := range Seeds(t) {
		t.Run(fmt.Sprint("seed=", s), func(t *testing.T) {
			Run(t, func(h *H) {
				if h.Seed()%2 == 0 {
					h.T().Errorf("even seed %d", h.Seed())
				}
			}, WithSeed(s))
		})
	}
}

func TestSeedsFlag(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperMultiSeed$", "-seed", "11", "-seeds", "6")
	for _, s := range DeriveSeeds(11, 6) {
		assert.Contains(t, out, fmt.Sprintf("TestGuardHelperMultiSeed/seed=%d ", s))
		if s%2 == 0 {
			assert.Contains(t, out, fmt.Sprintf("go test ./labtest -run '^TestGuardHelperMultiSeed$/^seed=%d$' -seed %d", s, s))
		}
	}
	assert.Contains(t, out, "--- PASS: TestGuardHelperMultiSeed/seed=11 ")
}

func TestGuardHelperSkip(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) { h.T().Skip("not today") })
}

func TestSkipInBodySkipsTheTest(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperSkip$")
	assert.Contains(t, out, "--- SKIP: TestGuardHelperSkip")
	assert.Contains(t, out, "not today")
}
