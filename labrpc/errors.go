package labrpc

import (
	"fmt"

	"raftlab/labgob"
)

// maxErrors bounds the kept errors: a test that misuses an RPC in a loop
// must not exhaust memory; the first ones say what is wrong.
const maxErrors = 1000

type errorLog struct {
	list     []error
	dropped  int
	seen     map[string]bool // messages already recorded: a misuse in a loop reports once
	onError  func(error)
	findings map[string]bool // labgob findings already recorded
}

// Errors returns the distinct misuse errors recorded so far, oldest first
// (an error with the same message as an earlier one is not recorded
// again). At most 1000 are kept; a last entry says how many more were
// dropped.
func (n *Network) Errors() []error {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := append([]error(nil), n.errs.list...)
	if n.errs.dropped > 0 {
		out = append(out, fmt.Errorf("labrpc: %d more errors were dropped", n.errs.dropped))
	}
	return out
}

// OnError installs a callback that receives every misuse error as it is
// recorded, each distinct message once (the test harness calls t.Errorf
// from it). It is called from
// the goroutine that detected the error, without network locks held, and
// not at all after Cleanup.
func (n *Network) OnError(f func(error)) {
	n.mu.Lock()
	n.errs.onError = f
	n.mu.Unlock()
}

func (n *Network) fail(err error) {
	n.mu.Lock()
	msg := err.Error()
	if n.errs.seen[msg] {
		n.mu.Unlock()
		return
	}
	if n.errs.seen == nil {
		n.errs.seen = map[string]bool{}
	}
	n.errs.seen[msg] = true
	if len(n.errs.list) < maxErrors {
		n.errs.list = append(n.errs.list, err)
	} else {
		n.errs.dropped++
	}
	cb := n.errs.onError
	if n.cleaned {
		cb = nil
	}
	n.mu.Unlock()
	if cb != nil {
		cb(err)
	}
}

// noteFindings records each labgob finding about RPC types once per
// network.
func (n *Network) noteFindings(fs []labgob.Finding) {
	for _, f := range fs {
		key := f.Kind.String() + "\x00" + f.Type + "\x00" + f.Path
		n.mu.Lock()
		seen := n.errs.findings[key]
		if !seen {
			if n.errs.findings == nil {
				n.errs.findings = map[string]bool{}
			}
			n.errs.findings[key] = true
		}
		n.mu.Unlock()
		if !seen {
			n.fail(f)
		}
	}
}
