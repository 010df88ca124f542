package porcupine

import (
	"fmt"
	"hash/maphash"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// mapKVModel is a key-value model over all keys at once, its state a map:
// the kind of model a user writes when states are not comparable with ==,
// with Equal and, optionally, Hash.
func mapKVModel(withHash bool) Model {
	m := Model{
		Init: func() any { return map[string]string{} },
		Step: func(state, input, output any) (bool, any) {
			st, in := state.(map[string]string), input.(kvIn)
			if in.op == 'g' {
				out, ok := output.(kvOut)
				return ok && out.value == st[in.key], st
			}
			next := maps.Clone(st)
			if in.op == 'p' {
				next[in.key] = in.value
			} else {
				next[in.key] += in.value
			}
			return true, next
		},
		Equal: func(a, b any) bool { return maps.Equal(a.(map[string]string), b.(map[string]string)) },
	}
	if withHash {
		m.Hash = func(s any) uint64 {
			st := s.(map[string]string)
			var h maphash.Hash
			h.SetSeed(testSeed)
			for _, k := range slices.Sorted(maps.Keys(st)) {
				h.WriteString(k)
				h.WriteByte(0)
				h.WriteString(st[k])
				h.WriteByte(0)
			}
			return h.Sum64()
		}
	}
	return m
}

// BenchmarkEqualOnly checks histories with a model that has Equal but no
// Hash, and with the same model given a Hash: the checker derives a hash,
// so the two should cost about the same. Compare them with
//
//	go test ./porcupine -run '^$' -bench EqualOnly -count 6 > out.txt
//	benchstat -col /model out.txt
func BenchmarkEqualOnly(b *testing.B) {
	type hist struct {
		name string
		h    []Operation
	}
	var hs []hist
	for _, n := range []int{200, 1000} {
		r := rand.New(rand.NewPCG(uint64(n), 3))
		hs = append(hs, hist{fmt.Sprintf("kv/n=%d", n), genKV(r, 4, 3, n, 0.01)})
	}
	// Eight clients on two keys: a real search, where the memo matters.
	for _, n := range []int{100, 200} {
		r := rand.New(rand.NewPCG(uint64(n), 4))
		hs = append(hs, hist{fmt.Sprintf("kv-busy/n=%d", n), genKV(r, 8, 2, n, 0.01)})
	}
	for _, n := range []int{40, 60} {
		r := rand.New(rand.NewPCG(uint64(n), 5))
		hs = append(hs, hist{fmt.Sprintf("one-key/n=%d", n), genKV(r, 10, 1, n, 0)})
	}
	for _, h := range hs {
		for _, withHash := range []bool{true, false} {
			// model=... lets benchstat set the two side by side:
			// benchstat -col /model
			name := h.name + "/model=equal-only"
			if withHash {
				name = h.name + "/model=with-hash"
			}
			m := mapKVModel(withHash)
			b.Run(name, func(b *testing.B) {
				for b.Loop() {
					res, err := Check(m, h.h, Options{Timeout: time.Minute})
					if err != nil || res.Verdict != Ok {
						b.Fatal(res.Verdict, err)
					}
				}
			})
		}
	}
}
