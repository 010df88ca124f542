// Package labtest is the test harness every lab's tests (raft, kvraft,
// shardkv) are built on. It runs a test body in a testing/synctest bubble,
// so that time is virtual: a test that sleeps 30 s of election timeouts
// takes milliseconds, and with a fixed seed it makes the same random
// choices each run. Around the body it keeps the guards that turn the usual
// ways a lab test hangs into a specific failure message within seconds,
// and it records everything the test did, so that a failure explains
// itself in one file.
//
// # Using it
//
// Most lab tests do not call Run directly: the cluster layer built on it,
// labtest/cluster, runs servers of any type in replica groups, and
// labtest/kvtest checks key/value services for linearizability. Run is the
// layer underneath, for tests that wire their own servers:
//
//	func TestEcho(t *testing.T) {
//		labtest.Run(t, func(h *labtest.H) {
//			h.StartServer("s", func() { // labels the server's goroutines
//				srv := labrpc.MakeServer()
//				srv.AddService(labrpc.MakeService(&echo{}))
//				h.Net().AddServer("s", srv)
//			})
//			h.ServersStarted() // shift the body off the servers' timer instants
//			// Deterministic end names: the network derives an end's
//			// random decisions from its name, so seeds replay.
//			end := h.Net().Dial("client->s", "client", "s")
//			h.OnTeardown(func() { /* kill servers: runs even after FailNow */ })
//			h.Go("checker", func() { h.Report(check()) }) // panics and reports fail the test
//			h.Action("partition s away")                  // a line of the timeline
//			h.Settle()                                    // let what the action woke run
//			...
//		})
//	}
//
// A server restarted later goes through StartServer too: it moves the
// clock back onto the servers' instants for the start and returns the body
// to its own. labtest.Drain(h, applyCh) has a channel emptied during
// teardown, so that a killed server blocked sending on it can exit.
//
// h.T() is the test's *testing.T inside the bubble, h.Rand() the body's
// seeded source (test goroutine only; helpers take h.NewRand(name)),
// h.Net() the seeded labrpc network (cleaned up at teardown; its misuse
// errors and labgob's findings fail the test), h.Logger(name) a dlog logger
// into the test's timeline, h.Action(...) a line of the timeline for what
// the test does (partition, crash, restart), h.OnFinalState(name, f) a
// server's state for the end of the timeline file (the cluster layer
// registers each Raft's term and role), h.SetVirtualTimeLimit(d) the
// per-test limit, h.LongCompute(f) a CPU-heavy step (a linearizability
// check) during which the stall watchdog looks away.
//
// End names must be the same from run to run ("end-0-1", not a random
// string): the network derives each end's random decisions, and the
// servers their own randomness (ClientEnd.Rand), from the seed and the
// name.
//
// Before each body the harness also seeds the global math/rand source
// from the seed, because student servers usually draw their election
// timeouts from it (rand.Intn) rather than from peers[me].Rand(). Since Go
// 1.24 rand.Seed does nothing unless the test binary runs with the GODEBUG
// setting randseednop=0, so every package whose tests use labtest needs a
// test file (debug_test.go in raftlab's packages) that starts with
//
//	//go:debug randseednop=0
//
// followed by a blank line and its package clause. Without it the harness
// says once per binary, on standard error, that the global source cannot
// be seeded and how to fix it. Parallel tests share the global source, so
// their draws do not replay; nor do the top-level functions of
// math/rand/v2, which cannot be seeded at all.
//
// t.Parallel and t.Run must be called outside Run (testing/synctest forbids
// them in a bubble): a parallel test calls t.Parallel first, and each
// subtest calls Run itself, getting a bubble of its own. A call inside the
// bubble fails the test with a message saying so. Multi-seed tests take
// their seeds from Seeds(t) and pass each with WithSeed, in subtests named
// after the seed:
//
//	for _, s := range labtest.Seeds(t, labtest.AtLeast(8)) { // -seeds N (else 8), the first is -seed
//		t.Run(fmt.Sprint("seed=", s), func(t *testing.T) {
//			labtest.Run(t, chaos, labtest.WithSeed(s))
//		})
//	}
//
// # Flags and environment
//
//	-seed N         replay seed N (RAFTLAB_SEED); default: a fresh seed per test
//	-seeds N        how many seeds Seeds(t) returns (for multi-seed tests; default 1 or AtLeast's)
//	-realtime       run the same bodies on the wall clock (RAFTLAB_REALTIME=1)
//	-logs           write the timeline file of every test, not only failed ones (RAFTLAB_LOGS=1)
//	-logdir D       where timeline files go (RAFTLAB_LOGDIR); default <module>/testlogs
//	-log-topics T   dlog topics to record, e.g. election,log (RAFTLAB_LOG_TOPICS); default all
//	-strict         the binary's first test whose goroutines outlive teardown fails (RAFTLAB_STRICT=1)
//	-stall D        real time the virtual clock may stand still (RAFTLAB_STALL); default 15s, 1s after a first stall
//	-vtime-limit D  default virtual-time limit of a body (RAFTLAB_VTIME_LIMIT); default 120s
//	-replay-check   after a failure, run its seed again and say whether it reproduced (RAFTLAB_REPLAY_CHECK); default on
//
// A failed test prints its seed and one command that replays it, e.g.
//
//	go test ./raft -run '^TestBackup3B$' -seed 6178229403186291913
//
// and writes its timeline file: the seed and the rerun line at the top,
// the failure messages in the order noted, then the log lines of the
// servers (dlog), the harness's actions, the failures and the network's
// trace (with each call's args and reply while the network topic is
// logged), merged in virtual-time order, the goroutine stacks any guard
// took and, last, each server's final state (H.OnFinalState). Other files
// of the run (a linearizability picture) go beside it, at
// h.ArtifactPath(name). The file is <Test>-seed<S>.log under the log
// directory; a later failure with the same test and seed never overwrites
// it, but writes <Test>-seed<S>.2.log (then .3, ...), and its artifacts
// carry the same counter (<Test>-seed<S>.2-<name>).
//
// The harness sees the failures reported through it: h.Errorf, h.Fatalf,
// h.Report, the cluster layer's Fatalf, and its own guards. A failure
// reported straight on h.T() (t.Errorf, testify's assert and require) is
// printed by testing as usual, but the harness cannot read its message:
// the timeline then only says at which heartbeat it noticed the test had
// failed, and where the body called FailNow. Prefer h.Errorf and h.Fatalf
// for failures that a reader of the timeline should see.
//
// # Replay check
//
// A failure in virtual time is followed by a replay check: the harness
// runs the printed rerun line once more, in a fresh process of the same
// test binary (which runs exactly what the rerun line will, and keeps the
// replay's own messages out of the test's output), and says in the
// output and at the top of the timeline file whether it reproduced. Two
// runs fail the same way when their first failure messages have the same
// first line, once addresses, goroutine numbers, clock readings and the
// runs' file names are blanked out, and were noted at the same virtual
// instant. When the failure did not reproduce, the harness names the
// usual causes (randomness the seed does not control, map order, races)
// and the fix (peers[me].Rand()), shows the first line where the two
// timelines differ and keeps the replay's timeline beside the first as
// <stem>.replay.log, with the replay's own artifacts as
// <stem>.replay-<name> (its timeline names them there). Failures from the stall watchdog, which watches real
// time, are not replayed. A replay costs about as much as the failed test
// itself; -replay-check=false (RAFTLAB_REPLAY_CHECK=0) turns the check
// off, e.g. for graders who only want verdicts.
//
// # Guards
//
// The stall watchdog runs outside the bubble, on real time: if the
// virtual clock does not move for -stall (15 s), something in the bubble
// keeps it from ever being idle. It dumps the test's goroutines grouped by
// server (pprof labels, shown because the package sets
// GODEBUG=tracebacklabels=1) and names the cause: a busy loop (a goroutine
// that is running), a lock held across a sleep, RPC or channel operation
// (goroutines blocked in sync.Mutex.Lock, which is not a durable wait), or
// a non-durable wait (a channel created outside the bubble, e.g. at package
// init). Two looks at the goroutines, half a second apart, that show the
// clock can never move again (nothing can run, and something waits for a
// lock or on a channel nothing in the test can release) end the test after
// about a second and a half instead. Once a test of the process has
// stalled, the code under test is known to stall, and later stalls are
// declared after one second: a submission that holds a lock across a sleep
// fails each test in a second or two, not in -stall each, and its suite
// ends well within go test's timeout.
//
// The same watchdog catches a livelock: a clock that moves, but by less
// than 0.3 s over 5 s of real time, while the servers keep making RPCs (a
// loop that sleeps a few nanoseconds). It looks at the goroutines five
// times, names the busiest places and fails the test. A correct test runs
// dozens of times faster than real time, even under -race on a loaded
// machine. H.LimitRPCs sets an RPC limit checked at every heartbeat (in
// virtual time, so a seed hits it at the same instant every run); the
// cluster layer sets it to twice a test's RPC budget, which stops a server
// that resends at once without end within moments.
//
// The virtual-time limit (120 s by default) fails a body that does not
// finish, with the same dump. A deadlocked body, where every goroutine
// waits on a channel and none sleeps, reaches the limit in a few real
// milliseconds (the harness's heartbeat is then the only timer) and is
// reported as a likely deadlock. synctest's own deadlock panics ("all
// goroutines in bubble are blocked", "main bubble goroutine has exited but
// blocked goroutines remain"), raised whenever no timer is pending, are
// recovered into a test failure (or, after leaks were reported, a note).
//
// After the body and its t.Cleanup functions (both under a teardown limit
// of 30 virtual seconds), teardown runs the OnTeardown functions, cleans up
// the network, waits a virtual grace period (2 s) while draining the
// channels given to Drain, and lists the goroutines still alive by server
// and function. The leaks of a binary count as one finding, since the same
// flaw (an applier left in Cond.Wait after Kill) leaks in every test: the
// first is told once on standard error, shown by go test even without -v
// (in a package's directory, with -json, or when the package fails), with
// the usual cause and its fix, and every leaking test logs its own list.
// With -strict the first test that leaks fails, naming the leak, and later
// ones only log: one clear failure, not one per test.
//
// A test a guard gives up on is failed and left behind: its bubble is
// frozen (the harness's heartbeat, and any goroutine of the test that logs,
// records an action or reports a failure afterwards, parks on a channel
// made outside the bubble, which stops the bubble's clock for good), so its
// goroutines never run again, except ones that spin, which nothing can
// stop. The binary goes on with the next test.
//
// In realtime mode there is no bubble: the virtual-time limit is a
// wall-clock limit, there is no stall watchdog, and a body a guard gave up
// on keeps running in the background.
//
// Panics in the body, in OnTeardown functions and in goroutines started
// with H.Go become test failures.
//
// # Crashes
//
// A panic in a goroutine a server started itself still ends the test
// binary, as any unrecovered panic does, before testing can print a FAIL
// line. Its trace carries the labels labtest="<test> #<n> seed=<seed>" and
// server=<id>, and the crash watch makes the death leave the trail of a
// failure. At its first Run a process makes a crash record in the log
// directory (crashwatch-<pid>.log) the runtime's crash output
// (runtime/debug.SetCrashOutput), so the runtime itself writes the fatal
// panic there as it dies, and the harness adds a line for each run it
// starts (test, seed, bubble, rerun line) and ends. A monitor process (the
// test binary started again in a mode that only waits) holds the other end
// of a pipe from the test process; when that process ends, the monitor
// reads the record. Without a crash it removes it; with one it writes the
// crashed test's timeline file (<Test>-seed<S>.log, header CRASH) with the
// seed, the rerun line and the crash report, and prints the test, the seed,
// the rerun line and the file's path on the binary's standard error, right
// under the panic. The crashed test is the one named by the labels (or the
// bubble) of the goroutine that panicked, else every test still running.
// The design puts the panic on disk without relying on anything in the
// dying process, and does the rest in a process that is still alive. Where
// no monitor can be started, the record stays behind, describing itself,
// and the next process to watch the same directory turns it into the
// timeline file and says so.
package labtest
