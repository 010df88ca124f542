// Package labrpc is a simulated RPC network for testing distributed
// systems: servers and clients in one process talk through ClientEnds,
// and the test decides which messages are delayed, lost, duplicated,
// reordered or cut off.
//
// The classic contract is unchanged, so classic lab code runs as is:
//
//	net := labrpc.MakeNetwork()
//	defer net.Cleanup()
//	srv := labrpc.MakeServer()
//	srv.AddService(labrpc.MakeService(rf)) // handlers: func (rf *Raft) X(args *XArgs, reply *XReply)
//	net.AddServer(0, srv)
//	end := net.MakeEnd("1->0")
//	net.Connect("1->0", 0)
//	net.Enable("1->0", true)
//	ok := end.Call("Raft.RequestVote", &args, &reply)
//
// Dial does the wiring in one call, and names the node the calls come
// from, which partitions, cuts and link faults need:
//
//	end := net.Dial("1->0", 1, 0) // MakeEnd, SetOwner(1), Connect(0), Enable
//
// Call returns true if and only if the handler ran and its reply was
// delivered. Arguments and replies are deep-copied through labgob, whose
// findings (unexported fields, reused replies) are recorded as errors.
//
// Fault model. Reliable(false) delays each request uniformly by 0-27 ms
// and drops 10% of requests and 10% of replies; LongReordering(true)
// holds back two thirds of the replies by 200-2200 ms (mostly short);
// calls that cannot be delivered fail after 0-100 ms (0-7 s with
// LongDelays). Deleting a server or disabling an end fails the calls
// waiting on it at once, and a deleted or replaced server's replies are
// never delivered. SetFaults and SetLinkFaults add duplicates and other
// rates, network-wide or per directed link; Cut, Partition and Heal shape
// connectivity between nodes, where a node is an end's owner (SetOwner) or
// a server name. PartitionScope and HealScope keep partitions in named
// scopes that all apply at once, so that independent parts of a test (one
// per replica group, say) partition their own nodes without undoing each
// other. IsolateOne, Halves, MajoritiesRing and Bridge compute common
// partitions.
//
// Replay. Every random decision derives from the seed (MakeNetworkSeed,
// Seed): the k-th call on an end draws all its decisions when it starts,
// from a stream keyed by the seed, the end's name and k. Inside a
// testing/synctest bubble, where time is virtual and goroutine timing does
// not depend on the machine, the same seed and workload give the same
// trace, so a failure can be replayed. End names must not be random for
// that. Servers take their own randomness from ClientEnd.Rand. Goroutines
// woken at one instant run in no fixed order, so with jitter on (SetJitter,
// which the test harness turns on) a call also takes its route at the end
// of the instant it is made: a connection change made at that same instant
// (a tester disconnecting a leader right after Start) applies to it
// whichever goroutine ran first. The byte counts replay too: a value
// counts the same however it is sent (see labgob.Copy), so GetTotalBytes
// and the byte counters of Stats follow from the trace.
//
// Diagnostics. Trace returns the recent events (each call's outcome,
// duplicates, topology changes; while SetLogSink logs the network topic,
// each call's event also carries a bounded rendering of its args and
// reply), Stats counts per server and method,
// Errors and OnError report misuse (unknown service or method, wrong reply
// type, arguments gob cannot send, panicking handlers) as test failures
// rather than crashes, and handler goroutines carry pprof labels
// server=<name> and method=<Service.Method>.
//
// The network works inside a synctest bubble (it only sleeps, uses timers
// and channels, and Cleanup stops every goroutine it started) and on the
// wall clock. In a bubble, create the network inside the bubble too: its
// channels must belong to the bubble for time to advance. Once its calls have
// returned, a network leaves no goroutine behind (duplicate deliveries
// aside), so a bubble can end even if the test forgot Cleanup.
package labrpc
