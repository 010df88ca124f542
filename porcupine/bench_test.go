package porcupine

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"
)

// Benchmarks on generated histories: concurrent clients against a register
// and a key-value store, linearizable by construction ("ok") or with one
// read changed to a value never written ("bad"), 1% of operations (0.1% in
// the longest) with an unknown outcome.

type benchCase struct {
	name  string
	model Model
	h     []Operation
	want  CheckResult
}

func benchCases(b *testing.B) []benchCase {
	var cases []benchCase
	for _, n := range []int{100, 1000, 10000} {
		for _, bad := range []bool{false, true} {
			verdict, want := "ok", Ok
			if bad {
				verdict, want = "bad", Illegal
			}
			// Unknown-outcome operations stay open to the end, so a violation
			// late in a long history has to be proven against every subset
			// of them: fewer in the longest histories.
			frac := 0.01
			if n == 10000 {
				frac = 0.001
			}
			r := rand.New(rand.NewPCG(uint64(n), 1))
			h := genRegister(r, 4, n, frac)
			if bad && !plant(r, h) {
				b.Fatal("no read to plant a violation in")
			}
			cases = append(cases, benchCase{fmt.Sprintf("register/%s/n=%d", verdict, n), regModel(), h, want})
			r = rand.New(rand.NewPCG(uint64(n), 2))
			h = genKV(r, 8, 10, n, frac)
			if bad && !plant(r, h) {
				b.Fatal("no get to plant a violation in")
			}
			cases = append(cases, benchCase{fmt.Sprintf("kv/%s/n=%d", verdict, n), kvModel(), h, want})
		}
	}
	return cases
}

func BenchmarkCheck(b *testing.B) {
	for _, c := range benchCases(b) {
		want := c.want
		b.Run(c.name, func(b *testing.B) {
			var explored int64
			for b.Loop() {
				res, err := Check(c.model, c.h, Options{Timeout: time.Minute})
				if err != nil {
					b.Fatal(err)
				}
				if res.Verdict != want {
					b.Fatalf("verdict %s, want %s", res.Verdict, want)
				}
				explored = res.Explored
			}
			b.ReportMetric(float64(explored), "steps/op")
		})
	}
}

func BenchmarkCheckVerbose(b *testing.B) {
	for _, c := range benchCases(b) {
		if len(c.h) > 1000 {
			continue
		}
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Check(c.model, c.h, Options{Timeout: time.Minute, Verbose: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkCheckEvents(b *testing.B) {
	for _, c := range benchCases(b) {
		if len(c.h) != 1000 {
			continue
		}
		ev := toEvents(c.h)
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := CheckEventHistory(c.model, ev, Options{Timeout: time.Minute}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
