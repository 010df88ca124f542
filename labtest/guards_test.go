package labtest

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labgob"
)

// The guards are tested on deliberately broken bodies. Each broken body is
// a helper test that runs only in a subprocess (the test binary itself,
// with LABTEST_GUARD_HELPER=1), so that the failure the guard raises is
// observed in the subprocess's output instead of failing this package.

const helperEnv = "LABTEST_GUARD_HELPER"

func helperOnly(t *testing.T) {
	if os.Getenv(helperEnv) != "1" {
		t.Skip("a deliberately broken test, run by the guard tests in a subprocess")
	}
}

// runHelper runs the helper tests matching pattern in a subprocess and
// returns their combined output and the real time they took.
func runHelper(t *testing.T, pattern string, args ...string) (string, time.Duration) {
	t.Helper()
	return runHelperEnv(t, nil, pattern, args...)
}

// runHelperEnv is runHelper with extra environment variables (KEY=value).
func runHelperEnv(t *testing.T, env []string, pattern string, args ...string) (string, time.Duration) {
	t.Helper()
	// The replay check is off unless a test asks for it: it would run each
	// failing helper twice.
	argv := append([]string{"-test.run", pattern, "-test.v", "-stall", "2s", "-logdir", t.TempDir(), "-replay-check=false"}, args...)
	// A guard that fails to fire must fail this test, not hang the package.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], argv...)
	cmd.Env = append(append(hermeticEnv(), env...), helperEnv+"=1")
	start := time.Now()
	out, _ := cmd.CombinedOutput()
	took := time.Since(start)
	t.Logf("subprocess %v took %v; output:\n%s", argv, took, out)
	return string(out), took
}

// hermeticEnv is the environment without the harness's own RAFTLAB_*
// variables, so that a helper subprocess sees exactly the flags its test
// passes (CI, for one, sets RAFTLAB_STRICT=1 for the whole run).
func hermeticEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "RAFTLAB_") {
			env = append(env, kv)
		}
	}
	return env
}

// pkgChan is made at package init, outside every bubble.
var pkgChan = make(chan int)

func TestGuardHelperBusyLoop(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var stop atomic.Bool
		h.StartServer("1", func() {
			go func() {
				for !stop.Load() { // spins: never lets the bubble idle
				}
			}()
		})
		h.ServersStarted()
		time.Sleep(time.Second)
	})
}

func TestGuardHelperLockAcrossSleep(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var mu sync.Mutex
		h.StartServer("2", func() {
			go func() {
				mu.Lock()
				time.Sleep(100 * time.Millisecond) // holds the lock across a sleep
				mu.Unlock()
			}()
			go func() {
				time.Sleep(time.Nanosecond)
				mu.Lock()
				mu.Unlock()
			}()
		})
		h.ServersStarted()
		time.Sleep(time.Second)
	})
}

func TestGuardHelperInitChannel(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.StartServer("3", func() {
			go func() { <-pkgChan }()
		})
		h.ServersStarted()
		<-pkgChan
	})
}

func TestGuardHelperVirtualLimit(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.SetVirtualTimeLimit(5 * time.Second)
		h.StartServer("4", func() {
			go func() {
				for {
					time.Sleep(10 * time.Millisecond)
				}
			}()
		})
		for {
			time.Sleep(50 * time.Millisecond) // waits for something that never happens
		}
	})
}

func TestGuardHelperDeadlock(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		ch := make(chan int)
		h.StartServer("5", func() {
			go func() { ch <- <-ch }()
		})
		<-ch
	})
}

// leakyServer ignores Kill: its loop never exits.
func startLeakyServer(h *H, id string) {
	h.StartServer(id, func() {
		go func() {
			for {
				time.Sleep(10 * time.Millisecond)
			}
		}()
	})
}

func TestGuardHelperLeak(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		startLeakyServer(h, "6")
		time.Sleep(time.Second)
	})
}

func TestGuardHelperLeakBusy(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var stop atomic.Bool
		h.OnTeardown(func() {
			h.StartServer("7", func() {
				go func() {
					for !stop.Load() {
					}
				}()
			})
		})
	})
}

func TestGuardHelperPanics(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.Go("checker", func() { panic("checker exploded") })
		time.Sleep(time.Second)
		var m map[string]int
		m["x"] = 1 // the body panics
	})
}

func TestGuardHelperSubtestInBubble(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.T().Run("sub", func(t *testing.T) {})
	})
}

const guardDeadline = 30 * time.Second

func TestStallWatchdogBusyLoop(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(BusyLoop|ZAfter)$")
	assert.Contains(t, out, "stall watchdog: virtual time has not advanced")
	assert.Contains(t, out, "Diagnosis: busy loop")
	assert.Contains(t, out, "server 1:")
	assert.Contains(t, out, "TestGuardHelperBusyLoop.func1.1.1")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Contains(t, out, "--- PASS: TestGuardHelperZAfter")
	assert.Less(t, took, guardDeadline)
}

func TestStallWatchdogLockAcrossSleep(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(LockAcrossSleep|ZAfter)$")
	assert.Contains(t, out, "Diagnosis: lock wait")
	assert.Contains(t, out, "across a time.Sleep, an RPC call")
	assert.Contains(t, out, "server 2:")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, guardDeadline)
}

func TestStallWatchdogInitChannel(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(InitChannel|ZAfter)$")
	assert.Contains(t, out, "Diagnosis: non-durable wait")
	assert.Contains(t, out, "created outside the test's bubble")
	assert.Contains(t, out, "server 3:")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, guardDeadline)
}

func TestVirtualTimeLimit(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(VirtualLimit|ZAfter)$")
	assert.Contains(t, out, "exceeded its virtual-time limit (5s)")
	assert.Contains(t, out, "server 4:")
	assert.NotContains(t, out, "looks like a deadlock")
	assert.Regexp(t, `\n +5\.000000s test +test +FAIL: labtest: the test exceeded its virtual-time limit`, timelineOf(t, out),
		"a guard's failure is in the timeline at its instant")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, 10*time.Second)
}

func TestDeadlockReported(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(Deadlock|ZAfter)$")
	assert.Contains(t, out, "looks like a deadlock")
	assert.Contains(t, out, "server 5:")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, 10*time.Second)
}

func TestLeakReport(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(Leak|ZAfter)$")
	assert.Contains(t, out, "warning (-strict makes the binary's first leak a failure)")
	assert.Contains(t, out, "still alive 2s (virtual) after teardown")
	assert.Contains(t, out, "server 6:")
	assert.Contains(t, out, "startLeakyServer")
	assert.Contains(t, out, "[sleep (durable)] sleeping")
	assert.Contains(t, out, "main bubble goroutine has exited but blocked goroutines remain", "synctest's deadlock panic is recovered")
	assert.Contains(t, out, "--- PASS: TestGuardHelperLeak")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, guardDeadline)

	out, _ = runHelper(t, "^TestGuardHelper(Leak|ZAfter)$", "-strict")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperLeak")
	assert.NotContains(t, out, "warning (-strict")
	assert.Contains(t, out, "LATER TEST RAN")
}

func TestGuardHelperLeakAgain(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		startLeakyServer(h, "6")
		time.Sleep(time.Second)
	})
}

// The leaks of a binary are one finding: said once on standard error, with
// the usual cause and the fix, and with -strict one failure, of the first
// test that leaks.
func TestLeaksAreOneFindingPerBinary(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperLeak(Again)?$")
	assert.Equal(t, 1, strings.Count(out, "labtest: warning: goroutines of TestGuardHelperLeak are still alive after Kill:"))
	assert.Regexp(t, `\n  server 6: raftlab/labtest\.\S*startLeakyServer\S* \[sleep\]  \S+guards_test.go:\d+\n`, out)
	assert.Contains(t, out, "Usual cause: a loop that sleeps and never checks whether the server was killed. Fix: check rf.killed()")
	assert.Contains(t, out, "--- PASS: TestGuardHelperLeak ")
	assert.Contains(t, out, "--- PASS: TestGuardHelperLeakAgain")

	out, _ = runHelper(t, "^TestGuardHelperLeak(Again)?$", "-strict")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperLeak ")
	assert.Contains(t, out, "This is the first test of this binary whose goroutines outlive Kill; with -strict it fails")
	assert.Contains(t, out, "--- PASS: TestGuardHelperLeakAgain", "later leaks do not fail again")
	assert.Contains(t, out, "warning (-strict failed the binary's first leaking test, TestGuardHelperLeak, already)")
}

// An applier waiting on a sync.Cond nobody signals after Kill: the classic
// leak, named with its fix.
func TestGuardHelperCondLeak(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var mu sync.Mutex
		cond := sync.NewCond(&mu)
		h.StartServer("0", func() {
			go func() { // an applier that waits for entries to apply
				mu.Lock()
				defer mu.Unlock()
				for {
					cond.Wait()
				}
			}()
		})
		time.Sleep(time.Second)
	})
}

func TestCondLeakNamesItsFix(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperCondLeak$")
	assert.Contains(t, out, "[sync.Cond.Wait]")
	assert.Contains(t, out, "Fix: in Kill, after setting the killed flag, call Broadcast on the Cond")
}

func TestLeakThatNeverBlocks(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(LeakBusy|ZAfter)$")
	// The spinning goroutine keeps teardown's grace period from ending.
	assert.Contains(t, out, "stall watchdog")
	assert.Contains(t, out, "during teardown")
	assert.Contains(t, out, "server 7:")
	assert.Contains(t, out, "Diagnosis: busy loop")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, guardDeadline)
}

func TestPanicsBecomeFailures(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelper(Panics|SubtestInBubble|ZAfter)$")
	assert.Contains(t, out, `helper "checker" panicked: checker exploded`)
	assert.Contains(t, out, "the test body panicked: assignment to entry in nil map")
	assert.Contains(t, out, "Call t.Run and t.Parallel outside labtest.Run")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperPanics")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperSubtestInBubble")
	assert.Contains(t, out, "LATER TEST RAN")
	require.True(t, strings.Contains(out, "replay with:"))
}

func TestGuardHelperMisuse(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		startEcho(h, "s")
		end := dialEcho(h, "")
		var reply EchoReply
		end.Call("echo.Nope", &EchoArgs{}, &reply)
	})
}

type badState struct{ term int }

func TestGuardHelperLabgobFinding(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var buf bytes.Buffer
		labgob.NewEncoder(&buf).Encode(badState{term: 3})
	})
}

func TestMisuseAndFindingsFail(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelper(Misuse|LabgobFinding)$")
	assert.Contains(t, out, `labrpc: unknown method "Nope"`)
	assert.Contains(t, out, "--- FAIL: TestGuardHelperMisuse")
	assert.Contains(t, out, "labgob: ")
	assert.Contains(t, out, "badState")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperLabgobFinding")
}

func TestLockSuspectNamed(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperLockAcrossSleep$")
	assert.Contains(t, out, "possible holder: server 2 goroutine")
	assert.Contains(t, out, "TestGuardHelperLockAcrossSleep.func1.1.1")
}

func TestGuardHelperDeadlockNoLimit(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.SetVirtualTimeLimit(0)
		<-make(chan int)
	})
}

func TestDeadlockWithoutLimitStillEnds(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelperDeadlockNoLimit$")
	assert.Contains(t, out, "exceeded its virtual-time limit (1h0m0s)")
	assert.Contains(t, out, "looks like a deadlock")
	assert.Less(t, took, guardDeadline)
}

func TestGuardHelperServerPanic(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.StartServer("9", func() {
			go func() {
				time.Sleep(time.Second)
				var s []int
				_ = s[3] // a student's bug in a server goroutine
			}()
		})
		time.Sleep(2 * time.Second)
	}, WithSeed(99))
}

func TestGuardHelperCleanupDeadlock(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		h.T().Cleanup(func() { <-make(chan int) })
	})
}

// The body's t.Cleanup functions run under the teardown limit.
func TestBlockingCleanupHitsTeardownLimit(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(CleanupDeadlock|ZAfter)$")
	assert.Contains(t, out, "teardown did not finish within 30s of virtual time")
	assert.Contains(t, out, "TestGuardHelperCleanupDeadlock.func1.1")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperCleanupDeadlock")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, 10*time.Second)
}

func withoutHeartbeat() Option { return func(o *options) { o.noBeat = true } }

func TestGuardHelperSynctestDeadlock(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		ch := make(chan int)
		h.StartServer("8", func() { go func() { <-ch }() })
		<-ch
	}, withoutHeartbeat())
}

// With no timer pending (here the heartbeat is off), synctest itself
// detects the deadlock and panics "all goroutines in bubble are blocked";
// the harness recovers the panic into a failure with the goroutines, and
// the binary goes on.
func TestSynctestDeadlockPanicRecovered(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelper(SynctestDeadlock|ZAfter)$")
	assert.Contains(t, out, "labtest: synctest deadlock: all goroutines in bubble are blocked: no goroutine of the test can run")
	assert.Contains(t, out, "server 8:")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperSynctestDeadlock")
	assert.Contains(t, out, "LATER TEST RAN")
	assert.Less(t, took, 10*time.Second)
}

func TestGuardHelperKillInCleanup(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var killed atomic.Bool
		h.StartServer("1", func() {
			go func() {
				for !killed.Load() {
					time.Sleep(10 * time.Millisecond)
				}
			}()
		})
		h.T().Cleanup(func() { killed.Store(true) }) // kills the server
		time.Sleep(time.Second)
	})
}

// Servers killed by a t.Cleanup of the body are not leaks: the leak check
// runs after the body's cleanups.
func TestKillInCleanupIsNotALeak(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperKillInCleanup$", "-strict")
	assert.NotContains(t, out, "still alive")
	assert.Contains(t, out, "--- PASS: TestGuardHelperKillInCleanup")
}

// spinFor returns a function that burns real time without letting virtual
// time pass. Inside a bubble time.Now is virtual, so the real clock is read
// by a goroutine started outside it.
func spinFor(d time.Duration) func() {
	var done atomic.Bool
	go func() {
		time.Sleep(d)
		done.Store(true)
	}()
	return func() {
		for !done.Load() {
		}
	}
}

func TestGuardHelperLongCompute(t *testing.T) {
	helperOnly(t)
	spin := spinFor(1500 * time.Millisecond)
	Run(t, func(h *H) {
		h.LongCompute(spin)
	}, StallAfter(time.Second))
}

func TestGuardHelperComputeUnannounced(t *testing.T) {
	helperOnly(t)
	spin := spinFor(4 * time.Second) // well past the stall limit, even on a loaded machine
	Run(t, func(h *H) {
		spin()
	}, StallAfter(time.Second))
}

func TestLongComputePausesTheWatchdog(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelper(LongCompute|ComputeUnannounced)$")
	assert.Contains(t, out, "--- PASS: TestGuardHelperLongCompute")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperComputeUnannounced")
	// The real time it reports depends on the machine's load; the limit
	// does not.
	assert.Contains(t, out, "labtest: stall watchdog: virtual time has not advanced for ")
}

// applierServer sends on applyCh until killed, like a Raft applier; after
// Kill it still finishes the send it is in.
func applierServer(h *H, drain bool) {
	applyCh := make(chan int)
	var killed atomic.Bool
	h.StartServer("0", func() {
		go func() {
			for i := 0; !killed.Load(); i++ {
				applyCh <- i
				time.Sleep(10 * time.Millisecond)
			}
		}()
	})
	if drain {
		Drain(h, applyCh)
	}
	stop := make(chan struct{})
	go func() { // the lab's consumer
		for {
			select {
			case <-applyCh:
			case <-stop:
				return
			}
		}
	}()
	h.OnTeardown(func() {
		close(stop)
		time.Sleep(50 * time.Millisecond) // the server blocks in a send meanwhile
		killed.Store(true)
	})
	time.Sleep(time.Second)
}

func TestGuardHelperApplyNoDrain(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) { applierServer(h, false) })
}

func TestGuardHelperApplyDrain(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) { applierServer(h, true) })
}

func TestDrainLetsKilledServersExit(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperApply(NoDrain|Drain)$", "-strict")
	assert.Contains(t, out, "--- FAIL: TestGuardHelperApplyNoDrain")
	assert.Contains(t, out, "[chan send (durable)] blocked")
	assert.Contains(t, out, "--- PASS: TestGuardHelperApplyDrain")
}
