package cluster

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// A test that fails on purpose runs only in a subprocess (this test binary
// with budgetHelperEnv=1), so that its failure shows in the subprocess's
// output instead of failing this package.
const budgetHelperEnv = "CLUSTER_BUDGET_HELPER"

func TestHelperResendsWithoutEnd(t *testing.T) {
	if os.Getenv(budgetHelperEnv) != "1" {
		t.Skip("a deliberately failing test, run in a subprocess by TestResendLoopStopsAtTwiceTheBudget")
	}
	Run(t, Budget{Virtual: time.Minute, RPCs: 200}, func(w *World) {
		g := nodeGroup(w, "server-", 2)
		g.StartAll()
		w.Begin("a server that resends at once, forever")
		s0, _ := g.Server(0)
		for {
			echo(s0.inc.Peers[1])
		}
	})
}

// A test past twice its RPC budget stops at once: it would fail at End
// anyway, and a server that resends without end would otherwise run for
// its whole virtual budget.
func TestResendLoopStopsAtTwiceTheBudget(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^TestHelperResendsWithoutEnd$", "-test.v",
		"-logdir", t.TempDir(), "-replay-check=false")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAFTLAB_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, budgetHelperEnv+"=1")
	out, _ := cmd.CombinedOutput()
	t.Logf("subprocess output:\n%s", out)
	assert.Contains(t, string(out), "more than its limit of 400 (twice its RPC budget of 200)")
	assert.Contains(t, string(out), "--- FAIL: TestHelperResendsWithoutEnd")
}
