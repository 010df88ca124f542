// Package kvtest tests key/value services built on the lab harness: it
// records what clerks see, checks that it is linearizable, and runs the
// classic lab's workloads against any service whose clerk has Get, Put and
// Append. It names no lab type, so kvraft and shardkv share it through a
// few lines of glue in their own tests.
//
// A lab starts its servers as a cluster.Group, says how to make a clerk on
// a client's ends, and runs a workload:
//
//	func TestPersistPartitionUnreliable4A(t *testing.T) {
//		cluster.Run(t, cluster.Budget{Virtual: 120 * time.Second}, func(w *cluster.World) {
//			g := cluster.NewGroup(w, cluster.GroupSpec[*KVServer]{...})
//			g.StartAll()
//			newClerk := func(c *cluster.Client) kvtest.Clerk { return MakeClerk(c.EndsTo(g)) }
//			w.Begin("persistence with partitions, unreliable net, many clients (4A)")
//			kvtest.Generic(w, g, newClerk, kvtest.Options{
//				Clients:      5,
//				Iterations:   3,
//				Net:          cluster.Unreliable,
//				Crashes:      kvtest.CrashAndRestart,
//				Partitions:   kvtest.RandomPartitions,
//				MaxRaftState: -1,
//			})
//			w.End("")
//		})
//	}
//
// Speed and ConcurrentAppends are the classic speed and append-order
// tests. A test of its own records its clerks in a History and checks it:
//
//	h := kvtest.NewHistory(w)
//	ck := h.Record(0, newClerk(w.NewClient()))
//	... // ck.Put, ck.Append, ck.Get, from any number of recorded clerks
//	h.Check(kvtest.CheckOptions{})
//
// Check fails the test when the history is not linearizable and writes a
// picture of it, named PageName, beside the test's timeline file: every
// operation on the virtual timeline, the world's annotations (the test's
// actions, crashes, partitions, leaders) in rows of their own, and where
// the search for a linearization got stuck. Verdict returns the same
// verdict without failing, for tests that expect a violation.
//
// An operation whose clerk never returned (a client abandoned in a
// partition, or one still running at the check) is checked as an operation
// of unknown outcome: it may have taken effect at any time after its call,
// or not at all. The search runs in real time with the test's virtual clock
// stopped, and gives up after CheckOptions.Timeout with an Unknown verdict,
// which Check also fails, saying that the history could not be decided.
package kvtest
