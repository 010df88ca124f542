package labrpc

import (
	"fmt"
	"sync/atomic"
	"testing"
)

func BenchmarkCall(b *testing.B) {
	n, e, _ := setup(61)
	defer n.Cleanup()
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		var reply EchoReply
		if !e.Call("Echo.Double", &EchoArgs{X: i}, &reply) {
			b.Fatal("call failed on a reliable network")
		}
	}
}

func BenchmarkCallParallel(b *testing.B) {
	n, _, _ := setup(62)
	defer n.Cleanup()
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		name := fmt.Sprintf("p%d->s", next.Add(1))
		e := n.Dial(name, nil, "s")
		i := 0
		for pb.Next() {
			var reply EchoReply
			if !e.Call("Echo.Double", &EchoArgs{X: i}, &reply) {
				b.Error("call failed on a reliable network")
				return
			}
			i++
		}
	})
}
