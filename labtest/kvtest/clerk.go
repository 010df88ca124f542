package kvtest

import (
	"fmt"
	"sync/atomic"

	"raftlab/porcupine/models"
)

// Clerk is the classic key/value clerk contract: kvraft's and shardkv's
// clerks both satisfy it. A call returns only once the operation has taken
// effect (or, for Get, has been read), retrying through failures for as
// long as it takes; one clerk is used by one goroutine at a time.
type Clerk interface {
	Get(key string) string
	Put(key, value string)
	Append(key, value string)
}

// recordedClerk is a Clerk whose every call is an operation of a History.
type recordedClerk struct {
	h      *History
	client int
	ck     Clerk
	// inCall catches two goroutines sharing the clerk: the contract does
	// not allow it, and the history would pair calls and returns wrongly.
	inCall atomic.Bool
}

func (r *recordedClerk) Get(key string) string {
	i := r.begin(models.KvInput{Op: models.KvGet, Key: key})
	v := r.ck.Get(key)
	r.end(i, v)
	return v
}

func (r *recordedClerk) Put(key, value string) {
	i := r.begin(models.KvInput{Op: models.KvPut, Key: key, Value: value})
	r.ck.Put(key, value)
	r.end(i, "")
}

func (r *recordedClerk) Append(key, value string) {
	i := r.begin(models.KvInput{Op: models.KvAppend, Key: key, Value: value})
	r.ck.Append(key, value)
	r.end(i, "")
}

func (r *recordedClerk) begin(in models.KvInput) int {
	if !r.inCall.CompareAndSwap(false, true) {
		r.h.w.Report(fmt.Errorf("kvtest: the recorded clerk of client %d was called by two goroutines at once (%v %q): "+
			"a clerk serves one goroutine at a time; give each goroutine its own", r.client, in.Op, in.Key))
	}
	return r.h.call(r.client, in)
}

func (r *recordedClerk) end(i int, value string) {
	r.h.ret(i, models.KvOutput{Value: value})
	r.inCall.Store(false)
}
