// Package raftcore is the Raft consensus protocol (Ongaro and Ousterhout,
// "In Search of an Understandable Consensus Algorithm", extended version) as
// a pure, deterministic state machine.
//
// A Core owns no goroutines, clock, locks or I/O. Its owner (the driver,
// raft/raft.go in this repository) feeds it four kinds of input:
//
//   - Tick: one unit of logical time has passed (elections, heartbeats);
//   - Step: a message arrived from a peer (a request, or the reply to one of
//     the Core's own requests); for a request Step returns the reply;
//   - Propose / Compact: the service wants a command replicated, or has
//     taken a snapshot and wants the log trimmed;
//   - ReadIndex: the service wants a point at which a read of its state
//     machine is linearizable, without a log entry.
//
// After any input the driver collects the Core's output with Ready: the
// state to persist (term, vote, log and snapshot, saved together), the
// messages to send, the committed entries or snapshot to deliver to the
// service, in index order, and the answers to ReadIndex requests. The
// driver must save the state BEFORE it sends any message or returns any
// reply, because those may promise things (a vote, an acknowledged entry)
// that must survive a crash (Figure 2: "Updated on stable storage before
// responding to RPCs").
//
// Randomness (the election timeout) comes from the *rand.Rand given in
// Config, so a Core fed the same inputs produces the same outputs. That is
// what lets the tests in this package read as transcripts and lets the
// randomized safety test replay a failing seed exactly.
//
// Where to find each rule of the paper:
//
//	messages.go     the RPCs of Figure 2 as one Message type
//	log.go          the log, with a compacted prefix (§7)
//	core.go         Core, Config, terms and roles ("Rules for All Servers")
//	election.go     leader election (§5.2) and the vote rules (§5.4.1)
//	replication.go  the leader side of log replication (§5.3), flow control
//	append.go       the follower side: AppendEntries receiver implementation
//	commit.go       advancing the commit index (§5.3, §5.4.2, Figure 8)
//	snapshot.go     log compaction and InstallSnapshot (§7, Figure 13)
//	read.go         linearizable reads without log entries: ReadIndex (§8)
//	ready.go        the output batch handed to the driver
package raftcore
