// Package labgob is the wire codec of raftlab: encoding/gob plus the checks
// that catch the two classic ways gob silently loses data.
//
// gob does not send unexported (lower-case) fields, so a Raft that sends
// AppendEntriesArgs{Entries: []entry{{term: 3}}} delivers term 0. And gob
// does not write a field whose sent value is zero, so decoding into a reply
// that already holds data keeps the stale values. labgob finds the first
// for every type it meets, at any depth (through structs, slices, arrays,
// maps and pointers; the finding names the path, e.g.
// raft.AppendEntriesArgs.Entries[].term), and the second for every
// destination it decodes into.
//
// Each finding is printed once per type (to os.Stderr, see SetOutput),
// saying what breaks and how to fix it, and every occurrence is delivered
// to the active Watch subscriptions, which the test harness uses to fail
// the running test:
//
//	stop := labgob.Watch()
//	defer func() {
//		for _, f := range stop() {
//			t.Error(f)
//		}
//	}()
//
// Use it like encoding/gob:
//
//	w := new(bytes.Buffer)
//	e := labgob.NewEncoder(w)
//	e.Encode(rf.currentTerm)
//	...
//	d := labgob.NewDecoder(bytes.NewBuffer(data))
//	var term int
//	d.Decode(&term)
//
// and Register the concrete types that travel inside interface values
// (commands in a Raft log). Copy is the deep copy labrpc uses for RPC
// arguments and replies: pooled gob streams, so it costs a few
// microseconds, and the byte count it returns depends only on the value. Type analysis is cached per type, so checks are cheap.
package labgob
