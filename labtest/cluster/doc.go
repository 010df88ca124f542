// Package cluster is the part of the lab harness every lab shares: servers
// of any type on labrpc, in replica groups, crashed and restarted with
// their Persisters, connected, partitioned and cut, probed for leaders and
// election safety, and charged against a budget of virtual time and RPCs.
//
// A lab's tests start a World with Run, then describe their servers with a
// GroupSpec: how to start one incarnation (the lab's own constructor,
// StartKVServer or raft.Make), how to kill it, and optionally how to read
// its Raft state for the probes. The package never names a lab type, so
// every lab's glue is a few dozen lines in its own test files:
//
//	func TestBasic4A(t *testing.T) {
//		cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second}, func(w *cluster.World) {
//			g := cluster.NewGroup(w, cluster.GroupSpec[*KVServer]{
//				N: 5,
//				Start: func(inc *cluster.Incarnation) (*KVServer, []any) {
//					kv := StartKVServer(inc.Peers, inc.Me, inc.Persister, -1)
//					return kv, []any{kv, kv.rf}
//				},
//				Kill: (*KVServer).Kill,
//				Raft: func(kv *KVServer) cluster.RaftState { return kv.rf },
//			})
//			g.StartAll()
//			leader := g.CheckOneLeader()
//			...
//		})
//	}
//
// Names on the network are deterministic, so a seed replays: server i of a
// group with prefix P is P+i (the bare int i when P is ""), and the end
// that incarnation k of server i holds to server j is "P<i>/k->P<j>".
//
// Every action the harness takes (start, crash, connect, partition, heal,
// cut, a leader seen in a term) is recorded in the run's timeline and as an
// Annotation, which labtest/kvtest draws on the linearizability picture.
package cluster
