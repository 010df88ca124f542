// Package shardctrler is the shard controller of the sharded key/value
// lab: a Raft-replicated service that keeps the numbered list of
// configurations (which replica group serves each of NShards shards, and
// the servers of each group), and its graded test suite.
//
// The contract is the classic one, so a student's server.go, client.go and
// common.go (with their own raft.go in package raft) replace ours and are
// graded by the same tests:
//
//	sc := StartServer(servers []*labrpc.ClientEnd, me int, persister *raft.Persister)
//	sc.Kill(); sc.Raft() // the tests use the field rf
//	ck := MakeClerk(servers []*labrpc.ClientEnd)
//	ck.Join(map[int][]string{gid: servers}); ck.Leave([]int{gid}); ck.Move(shard, gid)
//	c := ck.Query(num) // -1, or beyond the latest: the latest
//
// Our server puts every request through the Raft log, Joins, Leaves and
// Moves once per clerk and sequence number, and rebalances with
// balance.Rebalance (package shardctrler/balance, apart so that a
// student's files never collide with it): evenly, moving as few shards as
// it can, and from the log alone, so every server computes the same
// configurations. Configurations handed out are copies.
//
// Run the suite with `make shardctrler` or `go test ./shardctrler`; the
// README says what it checks beyond the classic tests.
package shardctrler
