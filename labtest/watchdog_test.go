package labtest

import (
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// frozenFor reads how long the stall report of test name says the clock
// stood still: the watchdog's own measure, which the time the test then
// takes to write its report does not stretch.
func frozenFor(t *testing.T, out, name string) time.Duration {
	t.Helper()
	start := strings.Index(out, "=== RUN   "+name+"\n")
	require.GreaterOrEqual(t, start, 0, "no output of %s", name)
	m := regexp.MustCompile(`virtual time has not advanced for ([0-9.]+)s of real time`).FindStringSubmatch(out[start:])
	require.NotNil(t, m, "no stall report for %s", name)
	secs, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	return time.Duration(secs * float64(time.Second))
}

func TestGuardHelperBusyLoopAgain(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		var stop atomic.Bool
		h.StartServer("1", func() {
			go func() {
				for !stop.Load() {
				}
			}()
		})
		time.Sleep(time.Second)
	})
}

// The first stall of a process takes -stall; once the code under test is
// known to stall, the next is declared after a second, so a suite whose
// every test stalls does not run into go test's timeout.
func TestLaterStallsAreDeclaredFast(t *testing.T) {
	out, _ := runHelper(t, "^TestGuardHelperBusyLoop(Again)?$", "-stall", "5s")
	assert.Contains(t, out, "Diagnosis: busy loop")
	first, again := frozenFor(t, out, "TestGuardHelperBusyLoop"), frozenFor(t, out, "TestGuardHelperBusyLoopAgain")
	assert.GreaterOrEqual(t, first, 5*time.Second, "the first stall waits for -stall")
	assert.Less(t, again, 3*time.Second, "a later stall is declared within a couple of seconds, not -stall")
	assert.Contains(t, out, "Declared after 1s instead of -stall 5s: a test of this binary has stalled already")
}

// A lock held across a sleep, with a waiter for it, freezes the clock for
// good: that shape is declared at once, even for the first stall.
func TestCertainStallIsDeclaredEarly(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelperLockAcrossSleep$", "-stall", "60s")
	assert.Contains(t, out, "Declared early: no goroutine of the test can run, and one waits for a lock")
	assert.Contains(t, out, "Diagnosis: lock wait")
	assert.Less(t, took, 10*time.Second)
}

func withCreepWindow(d time.Duration) Option { return func(o *options) { o.creepWindow = d } }

func TestGuardHelperCreepingClock(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		startEcho(h, "s")
		end := dialEcho(h, "")
		h.StartServer("c", func() {
			go func() {
				for { // polls with a sleep of nanoseconds: the clock creeps
					time.Sleep(50 * time.Nanosecond)
				}
			}()
			go func() {
				for {
					end.Call("echo.Echo", &EchoArgs{}, &EchoReply{})
				}
			}()
		})
		time.Sleep(time.Minute)
	}, withCreepWindow(2*time.Second))
}

// A clock that moves, but by next to nothing while the servers keep
// working, is a livelock: the test fails within its window, naming the
// busiest places, instead of running for minutes.
func TestCreepingClockIsALivelock(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelperCreepingClock$", "-stall", "60s")
	assert.Regexp(t, `labtest: livelock watchdog: in the last 2(\.\d)?s of real time virtual time advanced by less than [1-3]00ms`, out)
	assert.Contains(t, out, "The busiest places (5 looks at the goroutines, 100ms apart):")
	assert.Regexp(t, `server c: raftlab/labtest.TestGuardHelperCreepingClock.func1.1.1 .*watchdog_test.go:\d+  running in \d of 5 looks`, out)
	assert.Regexp(t, `while the test made [1-9]\d* RPCs`, out)
	assert.Less(t, took, 15*time.Second)
}

func TestGuardHelperResendsForever(t *testing.T) {
	helperOnly(t)
	Run(t, func(h *H) {
		startEcho(h, "s")
		end := dialEcho(h, "")
		h.LimitRPCs(1000, "made up for the test")
		h.StartServer("c", func() {
			go func() {
				for { // resends at once, forever
					end.Call("echo.Echo", &EchoArgs{}, &EchoReply{})
				}
			}()
		})
		time.Sleep(time.Minute)
	}, WithSeed(3))
}

// An RPC limit stops a test as soon as it is passed, at the same virtual
// instant for the same seed.
func TestRPCLimitStopsAResendLoop(t *testing.T) {
	out, took := runHelper(t, "^TestGuardHelperResendsForever$")
	assert.Regexp(t, `labtest: the test made \d+ RPCs in 0\.\d+s of virtual time \(since 0\.000s\), more than its limit of 1000 \(made up for the test\): \d+ per virtual second`, out)
	assert.Regexp(t, `RPCs by method since the start: echo.Echo \d+\n`, out)
	assert.Regexp(t, `server c:\n\s+goroutine \d+ \[select \(durable\)\] blocked +raftlab/labtest.TestGuardHelperResendsForever.func1.1.1`, out, "the caller of Call, not labrpc's insides")
	assert.Less(t, took, 10*time.Second)
	again, _ := runHelper(t, "^TestGuardHelperResendsForever$")
	re := regexp.MustCompile(`the test made \d+ RPCs in [0-9.]+s`)
	assert.Equal(t, re.FindString(out), re.FindString(again), "a seed passes the limit at the same instant every run")
}
