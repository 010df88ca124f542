package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"

	"raftlab/labtest"
)

// chaosActions runs steps chaos steps on a fresh five-server group with the
// given seed and returns what each step did; it also checks, after every
// step, that no more than odds.MaxDown servers are down.
func chaosActions(t *testing.T, seed uint64, steps int, odds ChaosOdds) []string {
	var did []string
	Run(t, Budget{}, func(w *World) {
		g := nodeGroup(w, "server-", 5)
		g.StartAll()
		r := w.H.NewRand("chaos")
		for step := 0; step < steps; step++ {
			did = append(did, fmt.Sprint(g.ChaosStep(r, odds)))
			if down := g.Down(); len(down) > odds.MaxDown {
				t.Fatalf("MaxDown: step %d left %v down, more than %d", step, down, odds.MaxDown)
			}
			ChaosPause(r)
		}
		g.Restore()
		assert.Empty(t, g.Down(), "Restore: every server is back")
		for i := 0; i < 5; i++ {
			for j := 0; j < 5; j++ {
				assert.True(t, g.Linked(i, j), "Restore: %d and %d are linked again", i, j)
			}
		}
	}, labtest.WithSeed(seed))
	return did
}

func TestChaosStepReplaysFromTheSeedAndKeepsAMinorityDown(t *testing.T) {
	odds := DrawChaosOdds(rand.New(rand.NewPCG(1, 2)))
	odds.Crash, odds.CrashLeader, odds.Restart = 600, 300, 200
	odds.MaxDown = 2
	odds.LateReplies = true

	first := chaosActions(t, 7, 60, odds)
	again := chaosActions(t, 7, 60, odds)
	other := chaosActions(t, 8, 60, odds)
	assert.Equal(t, first, again, "same seed, same chaos actions")
	assert.NotEqual(t, first, other, "another seed draws other actions")

	var busy int
	for _, d := range first {
		if d != "[nothing]" {
			busy++
		}
	}
	assert.Greater(t, busy, 10, "with these odds most steps do something: %v", first)
}
