package reftest

import (
	"fmt"
	"testing"

	ref "github.com/anishathalye/porcupine"

	ours "raftlab/porcupine"
)

// The benchmarks time both checkers' CheckOperations, whose verdicts the
// tests compare, on the same histories. Compare them with benchstat's
// -col /checker (make porcupine-diff-bench):
//
//	BenchmarkClass: each class's histories in a row, one after the other.
//	BenchmarkHistory: each history alone, for the worst ratio in a class.

func benchBoth(b *testing.B, hs [][]op) {
	refs := make([][]ref.Operation, len(hs))
	ourss := make([][]ours.Operation, len(hs))
	for i, h := range hs {
		refs[i], ourss[i] = refOperations(h), oursOperations(h)
	}
	b.Run("checker=ref", func(b *testing.B) {
		m := refModel(nil)
		for b.Loop() {
			for _, h := range refs {
				ref.CheckOperations(m, h)
			}
		}
	})
	b.Run("checker=ours", func(b *testing.B) {
		m := oursModel()
		for b.Loop() {
			for _, h := range ourss {
				ours.CheckOperations(m, h)
			}
		}
	})
}

func BenchmarkClass(b *testing.B) {
	for _, c := range classes {
		hs := c.histories()
		b.Run("class="+c.name, func(b *testing.B) { benchBoth(b, hs) })
	}
}

func BenchmarkHistory(b *testing.B) {
	for _, c := range classes {
		for i, h := range c.histories() {
			b.Run(fmt.Sprintf("class=%s/h=%02d", c.name, i), func(b *testing.B) { benchBoth(b, [][]op{h}) })
		}
	}
}
