package labtest

import (
	"testing"
	"time"
)

// TestGuardHelperZAfter runs after the broken helper tests (go test runs
// tests in the order of the files' names, then of the source): seeing it
// pass shows that the binary survived them.
func TestGuardHelperZAfter(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) { time.Sleep(time.Second) })
	t.Log("LATER TEST RAN")
}
