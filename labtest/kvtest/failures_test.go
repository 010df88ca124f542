package kvtest

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"raftlab/labtest"
	"raftlab/labtest/cluster"
)

// The failing paths (Check and the workloads fail the test) are tested on
// broken services in helper tests that run only in a subprocess, the test
// binary itself with failureHelperEnv=1, so that their failures are
// observed in its output instead of failing this package.

const failureHelperEnv = "KVTEST_FAILURE_HELPER"

func failureHelper(t *testing.T) {
	if os.Getenv(failureHelperEnv) != "1" {
		t.Skip("a deliberately failing test, run in a subprocess by TestFailuresNameTheirCause")
	}
}

func TestHelperCheckFailsAnIllegalHistory(t *testing.T) {
	failureHelper(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		h := NewHistory(w)
		ck := h.Record(0, newLaggingClerk())
		ck.Put("k", "a")
		ck.Get("k")
		h.Check(CheckOptions{})
	})
}

func TestHelperCheckNamesAnAppendAppliedTwice(t *testing.T) {
	failureHelper(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		h := NewHistory(w)
		ck := h.Record(0, &doublingClerk{data: map[string]string{}})
		ck.Append("k", appendValue(0, 0))
		ck.Get("k")
		h.Check(CheckOptions{})
	})
}

func TestHelperCheckFailsAnUndecidedHistory(t *testing.T) {
	failureHelper(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		hardHistory(w, 14).Check(CheckOptions{Timeout: time.Millisecond})
	})
}

func TestHelperGenericCatchesStaleReads(t *testing.T) {
	failureHelper(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, staleReads)
		Generic(w, g, mapClerks(g), Options{Clients: 2, Phase: 100 * time.Millisecond})
	}, labtest.WithSeed(1))
}

// Only the final values show the flaw: no client reads its own key.
func TestHelperGenericFinalValuesCatchStaleReads(t *testing.T) {
	failureHelper(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, staleReads)
		Generic(w, g, mapClerks(g), Options{Clients: 2, Phase: 100 * time.Millisecond, Keys: RandomKeys})
	}, labtest.WithSeed(1))
}

func TestHelperSpeedCatchesSlowWrites(t *testing.T) {
	failureHelper(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, slowWrites)
		Speed(w, mapClerks(g), SpeedOptions{Ops: 10})
	})
}

func TestHelperClerkSharedByTwoGoroutines(t *testing.T) {
	failureHelper(t)
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		gate := make(chan struct{})
		ck := NewHistory(w).Record(0, gatedClerk{gate: gate})
		w.H.Go("first", func() { ck.Append("k", "a") })
		w.H.Go("second", func() { ck.Append("k", "b") })
		settle()
		close(gate)
		settle()
	})
}

func TestFailuresNameTheirCause(t *testing.T) {
	out := runFailureHelpers(t, "^TestHelper")
	for name, wants := range map[string][]string{
		"TestHelperCheckFailsAnIllegalHistory": {
			"linearizability: the history of 2 operations (0 of unknown outcome) is not linearizable",
			"linearizability.html in a browser",
		},
		"TestHelperCheckNamesAnAppendAppliedTwice": {
			"is not linearizable",
			`holds "x 0 0 y" twice, a value only client 0's Append wrote: an Append took effect twice`,
			"linearizability.html in a browser",
		},
		"TestHelperCheckFailsAnUndecidedHistory": {
			"linearizability: the history of 15 operations could not be decided within the timeout of 1ms (real time)",
		},
		"TestHelperGenericCatchesStaleReads": {
			"returned a value that the client's own Appends, the only ones to its key, do not explain",
			"is missing",
			"is not linearizable",
		},
		"TestHelperGenericFinalValuesCatchStaleReads": {
			"after the clients stopped",
			"is not linearizable",
			"linearizability.html in a browser",
		},
		"TestHelperSpeedCatchesSlowWrites": {
			"kvtest: speed: 10 operations took",
			"each on average, more than the bound of 33ms",
		},
		"TestHelperClerkSharedByTwoGoroutines": {
			"the recorded clerk of client 0 was called by two goroutines at once",
		},
	} {
		section := testSection(out, name)
		assert.Contains(t, section, "--- FAIL: "+name)
		for _, want := range wants {
			assert.Contains(t, section, want, "%s should say why it failed", name)
		}
	}
}

// runFailureHelpers runs the helper tests matching pattern in a subprocess
// and returns their combined output.
func runFailureHelpers(t *testing.T, pattern string) string {
	t.Helper()
	// A helper that hangs must fail this test, not the package.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// No replay check: it would run every failing helper twice.
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", pattern, "-test.v", "-logdir", t.TempDir(), "-replay-check=false")
	for _, kv := range os.Environ() {
		// The run's own RAFTLAB_* settings (-strict in CI, say) are not
		// the helpers'.
		if !strings.HasPrefix(kv, "RAFTLAB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, failureHelperEnv+"=1")
	out, _ := cmd.CombinedOutput()
	t.Logf("subprocess output:\n%s", out)
	return string(out)
}

// testSection is the part of a -test.v output from name's "=== RUN" line
// to the next test's.
func testSection(out, name string) string {
	start := strings.Index(out, "=== RUN   "+name+"\n")
	if start < 0 {
		return ""
	}
	rest := out[start+1:]
	if end := strings.Index(rest, "=== RUN   "); end >= 0 {
		rest = rest[:end]
	}
	return rest
}
