package labtest

import (
	"sync"

	"raftlab/labgob"
)

type labgobFinding = labgob.Finding

// reportFindings fails the test for each labgob finding (unexported fields,
// reused replies) that the network did not already report as an error:
// those come from labgob use outside RPC, such as the Persister's encoding.
// The subscription is process-wide, so a finding made while other tests
// ran in parallel may be theirs; it is then only a warning.
func (r *run) reportFindings(fs []labgob.Finding, overlapped bool) {
	seen := map[string]bool{}
	for _, err := range r.net.Errors() {
		seen[err.Error()] = true
	}
	for _, f := range fs {
		if seen[f.Message] {
			continue
		}
		seen[f.Message] = true
		if overlapped {
			r.t.Log("labtest: warning: labgob finding seen while other tests ran in parallel, so it may be theirs: " + f.Message)
			continue
		}
		r.fail("%s", f.Message)
	}
}

// The runs in progress, to tell whether a run overlapped another one.
var (
	activeMu sync.Mutex
	active   = map[*run]bool{} // run -> overlapped another run
)

// enter registers r as running and returns the function that unregisters
// it and says whether another run was in progress at any time meanwhile.
func (r *run) enter() (leave func() bool) {
	activeMu.Lock()
	if len(active) > 0 {
		for o := range active {
			active[o] = true
		}
		active[r] = true
	} else {
		active[r] = false
	}
	activeMu.Unlock()
	return func() bool {
		activeMu.Lock()
		defer activeMu.Unlock()
		overlapped := active[r]
		delete(active, r)
		return overlapped
	}
}

// exit unregisters r if teardown did not (a guard ended the test).
func (r *run) exit() {
	activeMu.Lock()
	delete(active, r)
	activeMu.Unlock()
}
