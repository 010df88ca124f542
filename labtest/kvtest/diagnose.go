package kvtest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"

	"raftlab/porcupine"
	"raftlab/porcupine/models"
)

// minTellingValue is the shortest appended value whose repetition in a
// read is taken as telling: shorter ones, a letter and a digit, turn up by
// chance where two neighbouring values meet.
const minTellingValue = 4

// scanBudget bounds the map probes appliedTwice makes: it runs on the
// failure path of histories of up to tens of thousands of operations with
// values of kilobytes, where a look at every read could take minutes.
const scanBudget = 1 << 23

// appliedTwice looks, in a history already found not linearizable, for the
// commonest cause students meet: an Append that took effect twice, a
// retried request applied again. It returns a sentence naming the earliest
// read (by return time) whose value holds some Append's value twice where
// that value was written once (by one Append, and inside no other write's
// value to the key), or "" when it finds none. The linearizability check
// is the verdict; this only points at where to look.
func appliedTwice(ops []porcupine.Operation) string {
	type keyWrites struct {
		values   []string       // every value written to the key
		appended map[string]int // Append value -> its op, -1 if appended more than once
		lengths  []int          // the lengths of the appended values
	}
	keys := map[string]*keyWrites{}
	var reads []int
	for i, op := range ops {
		in := op.Input.(models.KvInput)
		if in.Op == models.KvGet {
			if !op.Unknown {
				reads = append(reads, i)
			}
			continue
		}
		k := keys[in.Key]
		if k == nil {
			k = &keyWrites{appended: map[string]int{}}
			keys[in.Key] = k
		}
		k.values = append(k.values, in.Value)
		if in.Op != models.KvAppend || len(in.Value) < minTellingValue {
			continue
		}
		if _, dup := k.appended[in.Value]; dup {
			k.appended[in.Value] = -1
			continue
		}
		k.appended[in.Value] = i
		if !slices.Contains(k.lengths, len(in.Value)) {
			k.lengths = append(k.lengths, len(in.Value))
		}
	}
	writtenOnce := func(k *keyWrites, v string) bool {
		n := 0
		for _, w := range k.values {
			n += strings.Count(w, v)
		}
		return n == 1
	}
	slices.SortFunc(reads, func(a, b int) int { return cmp.Compare(ops[a].Return, ops[b].Return) })
	budget := scanBudget
	for _, r := range reads {
		in := ops[r].Input.(models.KvInput)
		k := keys[in.Key]
		if k == nil {
			continue
		}
		got := ops[r].Output.(models.KvOutput).Value
		for _, n := range k.lengths {
			if budget -= len(got); budget < 0 {
				return ""
			}
			first := map[string]int{}
			for at := 0; at+n <= len(got); at++ {
				w := got[at : at+n]
				op, ok := k.appended[w]
				if !ok || op < 0 {
					continue
				}
				if f, seen := first[w]; !seen {
					first[w] = at
				} else if at >= f+n && writtenOnce(k, w) {
					return fmt.Sprintf("the value Get(%q) returned to client %d at %v (virtual) holds %q twice, a value only client %d's Append wrote: "+
						"an Append took effect twice, as a retried request does when the servers do not recognize it as one they applied "+
						"(is the table of requests already applied kept in snapshots, and moved along with the data it covers?)",
						in.Key, ops[r].ClientId, time.Duration(ops[r].Return).Round(time.Millisecond), excerpt(w), ops[op].ClientId)
				}
			}
		}
	}
	return ""
}
