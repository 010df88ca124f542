package labtest

import (
	"runtime/pprof"

	"raftlab/labgob"
)

type labgobFinding = labgob.Finding

// reportFindings fails the test for each labgob finding (unexported fields,
// reused replies) that the network did not already report as an error:
// those come from labgob use outside RPC, such as the Persister's encoding.
// The subscription is process-wide, so parallel tests may see each
// other's findings.
func (r *run) reportFindings(fs []labgob.Finding) {
	seen := map[string]bool{}
	for _, err := range r.net.Errors() {
		seen[err.Error()] = true
	}
	for _, f := range fs {
		if seen[f.Message] {
			continue
		}
		seen[f.Message] = true
		r.fail("%s", f.Message)
	}
}

// setRole labels the calling goroutine as the harness's own, so that the
// guards leave it out of their reports.
func (r *run) setRole(role string) {
	pprof.SetGoroutineLabels(pprof.WithLabels(r.ctx, pprof.Labels(labelRole, role)))
}
