package kvraft

// Calls the tests need to complete: each runs on a helper goroutine, and
// one that does not return in time fails the test with what it was,
// instead of leaving the test to hang until its time limit.

import (
	"fmt"
	"time"

	"raftlab/labtest/kvtest"
)

// put and check make a call that must complete, a majority being
// connected; check fails the test unless Get returns want.
func (cfg *config) put(ck kvtest.Clerk, key, value string) {
	cfg.w.T().Helper()
	cfg.within(fmt.Sprintf("Put(%q, %q)", key, value), func() { ck.Put(key, value) })
}

func (cfg *config) check(ck kvtest.Clerk, key, want string) {
	cfg.w.T().Helper()
	var got string
	cfg.within(fmt.Sprintf("Get(%q)", key), func() { got = ck.Get(key) })
	if got != want {
		cfg.w.Fatalf("Get(%q) returned %q, want %q", key, got, want)
	}
}

// within fails the test unless call returns within kvtest.StragglerWait.
func (cfg *config) within(what string, call func()) {
	cfg.w.T().Helper()
	done := make(chan struct{})
	cfg.w.H.Go(what, func() { call(); close(done) })
	select {
	case <-done:
	case <-time.After(kvtest.StragglerWait):
		cfg.w.Fatalf("%s did not complete within %v (virtual) with a majority of the servers connected", what, kvtest.StragglerWait)
	}
}

// getWithin is a Get that must complete.
func getWithin(cfg *config, ck kvtest.Clerk, key string) string {
	cfg.w.T().Helper()
	var v string
	cfg.within(fmt.Sprintf("Get(%q)", key), func() { v = ck.Get(key) })
	return v
}
