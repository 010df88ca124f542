// Package shardkv is the sharded key/value lab: a key/value service whose
// keys are split into shardctrler.NShards shards, each served by one of
// several Raft-replicated groups, which hand shards over to each other as
// the shard controllers' configuration changes; and its graded test suite.
//
// The contract is the classic one, so a student's server.go, client.go and
// common.go replace ours and are graded by the same tests:
//
//	kv := StartServer(servers, me, persister, maxraftstate, gid, ctrlers, make_end)
//	kv.Kill()
//	ck := MakeClerk(ctrlers, make_end)
//	ck.Put(key, value); ck.Append(key, value); v := ck.Get(key)
//
// key2shard(key) is the shard of a key (its first byte mod NShards). The
// tests read the server's field rf, and call nothing but Kill on a server
// they crash. Servers are named "server-<gid>-<i>".
//
// Our server (server.go) applies clerks' operations as kvraft's does, with
// one duplicate table per shard that moves with it; migration.go moves
// shards by pull, with garbage collection, one configuration at a time;
// snapshot.go says what a snapshot holds. Shards that do not move keep
// serving through a reconfiguration, and a shard that arrives is served at
// once, whatever other shards are still on their way.
//
// Run the suite with `make 5A`, `make 5B` or `go test ./shardkv`.
package shardkv
