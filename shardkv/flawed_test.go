package shardkv

// The suite must fail a broken shardkv, naming what broke. Our server has
// a switch for two bugs (flaw in server.go):
//
//   - serveBeforeArrival: a group serves a shard as soon as the
//     configuration gives it the shard, before the data has arrived from
//     its previous owner: TestServeOnlyArrived5B fails with an Illegal
//     history and its picture;
//   - noGC: a group keeps a shard's data for ever after handing it over:
//     TestChallenge1Delete fails on its bound of persisted bytes.
//
// The tests below run the suite's own tests on them, in a subprocess (the
// test binary itself, with shardFlawEnv naming the flaw), so that what a
// failing run prints, and the picture it writes, are checked too.

import (
	"context"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// shardFlawEnv names the flaw every server of the test binary runs with
// (only in the subprocesses below).
const shardFlawEnv = "SHARDKV_FLAW"

func TestFlawedServersFailTheSuite(t *testing.T) {
	if os.Getenv(shardFlawEnv) != "" {
		t.Skip("runs the flawed servers itself")
	}
	if _, ours := any(&ShardKV{}).(flawed); !ours {
		t.Skip("the server has no setFlaw: the flawed variants are our server's")
	}
	for _, c := range []struct {
		flaw, test string
		want       []string
		page       bool
	}{
		{flaw: "serve-before-arrival", test: "TestServeOnlyArrived5B", want: []string{"is not linearizable"}, page: true},
		{flaw: "no-gc", test: "TestChallenge1Delete", want: []string{"garbage collection: the snapshots and persisted Raft state of all groups total"}},
	} {
		t.Run(c.flaw, func(t *testing.T) {
			out := runFlawed(t, c.flaw, c.test)
			assert.Contains(t, out, "--- FAIL: "+c.test, "the suite must fail a server with flaw %s", c.flaw)
			for _, w := range c.want {
				assert.Contains(t, out, w, "%s with flaw %s: the failure names the property", c.test, c.flaw)
			}
			if c.page {
				page := regexp.MustCompile(`open (\S+linearizability\.html) in a browser`).FindStringSubmatch(out)
				if assert.NotNil(t, page, "%s names the picture of the violation", c.test) {
					_, err := os.Stat(page[1])
					assert.NoError(t, err, "the picture is written")
				}
			}
			if t.Failed() {
				t.Logf("subprocess output:\n%s", out)
			}
		})
	}
}

// runFlawed runs test in a subprocess whose servers have flaw, with seed 1,
// and returns what it printed.
func runFlawed(t *testing.T, flaw, test string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run", "^"+test+"$", "-test.v", "-logdir", t.TempDir(), "-seed", "1", "-replay-check=false")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAFTLAB_") { // the run's own settings are not the subprocess's
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, shardFlawEnv+"="+flaw)
	out, _ := cmd.CombinedOutput()
	return string(out)
}
