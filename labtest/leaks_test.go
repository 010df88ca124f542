package labtest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// A leaked goroutine the test started for a client operation is explained
// as an operation that never completed, not as a server loop that ignores
// Kill; a server's own goroutine keeps the Kill advice.
func TestLeakCauseTellsHelpersFromServers(t *testing.T) {
	helper := goroutine{Status: "sleep", Labels: map[string]string{labelHelper: `Get("0")`}}
	server := goroutine{Status: "sleep", Labels: map[string]string{labelServer: "server-100-0"}}

	got := leakCause([]goroutine{helper})
	assert.Contains(t, got, "a call the test started", "a helper's leak names the operation that never returned")
	assert.NotContains(t, got, "rf.killed()", "a clerk has no Kill to check")

	got = leakCause([]goroutine{server})
	assert.Contains(t, got, "check rf.killed()", "a server's sleeping loop keeps the Kill advice")
}
