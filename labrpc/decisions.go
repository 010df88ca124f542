package labrpc

import (
	"math/rand/v2"
	"time"

	"raftlab/internal/mix"
)

// decisions holds every random choice one call may need. They are all drawn
// when the call starts, from a stream that depends only on the network
// seed, the end's name and the call's index on that end: a different
// interleaving of goroutines, or a fault setting that leaves some of them
// unused, cannot shift the choices of any other call.
type decisions struct {
	reqDelay, dropReq, dropReply, dup, dupDelay uint64
	reorder, reorderA, reorderB, failDelay      uint64
	jitter, replyDelay                          uint64
}

func drawDecisions(seed uint64, endHash uint64, k uint64) decisions {
	var p rand.PCG
	p.Seed(mix.SplitMix64(seed^mix.SplitMix64(endHash)), mix.SplitMix64(k^mix.SplitMix64(endHash+seed)))
	return decisions{
		reqDelay: p.Uint64(), dropReq: p.Uint64(), dropReply: p.Uint64(),
		dup: p.Uint64(), dupDelay: p.Uint64(),
		reorder: p.Uint64(), reorderA: p.Uint64(), reorderB: p.Uint64(),
		failDelay: p.Uint64(), jitter: p.Uint64(),
		replyDelay: p.Uint64(), // drawn last: the draws before it keep their values
	}
}

// chance turns a raw draw into a Bernoulli trial with probability prob.
func chance(u uint64, prob float64) bool {
	return prob > 0 && float64(u>>11)/(1<<53) < prob
}

// between maps a raw draw onto [lo, hi) at nanosecond resolution, so a
// delay always carries sub-millisecond jitter and two events rarely share
// an instant of virtual time.
func between(u uint64, lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(u%uint64(hi-lo))
}

// reorderDelay is the classic long-reordering delay: 200 ms plus up to two
// seconds, with the extra drawn below a uniformly drawn bound so that short
// delays are more common than long ones.
func reorderDelay(a, b uint64) time.Duration {
	bound := 1 + b%2000
	ms := 200 + a%bound
	return time.Duration(ms)*time.Millisecond + time.Duration((a>>32)%uint64(time.Millisecond))
}

func newRand(seed uint64, name, purpose string) *rand.Rand {
	h := mix.String(name + "\x00" + purpose)
	return rand.New(rand.NewPCG(mix.SplitMix64(seed^h), mix.SplitMix64(h+seed)))
}
