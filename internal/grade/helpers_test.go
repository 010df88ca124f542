package grade

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

func strconvU(n uint64) string { return strconv.FormatUint(n, 10) }

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return n
}

// gone reports whether process pid has ended: it no longer exists, or is a
// zombie nobody has reaped yet (its parent, the test binary, died first).
func gone(pid int) bool {
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndex(s, ")")
	return i >= 0 && len(s) > i+2 && s[i+2] == 'Z'
}
