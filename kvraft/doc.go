// Package kvraft is the key/value lab: a linearizable key/value service
// replicated with Raft, and its graded test suite.
//
// The contract is the classic one, so a student's server.go, client.go and
// common.go (with their own raft.go in package raft) replace ours and are
// graded by the same tests:
//
//	kv := StartKVServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister, maxraftstate int)
//	kv.Kill()
//	ck := MakeClerk(servers []*labrpc.ClientEnd) // the servers arrive in random order
//	ck.Put(key, value); ck.Append(key, value); v := ck.Get(key) // "" for a missing key
//
// Each clerk call blocks until the operation has taken effect, exactly
// once, however many times it had to be retried. maxraftstate is the size
// in bytes of persisted Raft state at which a server snapshots; -1 means
// never. The tests read the server's field rf (its *raft.Raft) to find the
// leader and to serve Raft's RPCs on the same labrpc server, and call
// nothing but Kill on a server they crash.
//
// Our server (server.go) puts Puts and Appends through the Raft log, with a
// per-clerk sequence number so that retries and duplicated requests take
// effect once; the table of those numbers travels in the snapshot. A Get
// uses the Raft's ReadIndex when the Raft offers one (found by an
// interface assertion, so the server compiles against any raft.go) and
// otherwise goes through the log too.
//
// Run the suite with `make 4A`, `make 4B` or `go test ./kvraft`; see the
// README for reading a linearizability failure.
package kvraft
