package models

import (
	"fmt"
	"hash/maphash"
	"strconv"

	"raftlab/porcupine"
)

// KvOp is the kind of a key-value operation.
type KvOp uint8

const (
	KvGet KvOp = iota
	KvPut
	KvAppend
)

func (o KvOp) String() string {
	switch o {
	case KvGet:
		return "get"
	case KvPut:
		return "put"
	case KvAppend:
		return "append"
	}
	return "KvOp(" + strconv.Itoa(int(o)) + ")"
}

// KvInput is the input of a key-value operation; Value is ignored by Get.
type KvInput struct {
	Op    KvOp
	Key   string
	Value string
}

// KvOutput is the output of a key-value operation; only Get's Value is
// checked.
type KvOutput struct {
	Value string
}

var kvSeed = maphash.MakeSeed()

// KV returns the model of a key-value store with get, put and append, where a
// missing key reads as "". Keys are independent, so histories are
// partitioned by key and the state of a partition is one string.
func KV() porcupine.Model {
	return porcupine.Model{
		Partition:      kvPartition,
		PartitionEvent: kvPartitionEvent,
		Init:           func() any { return "" },
		Step: func(state, input, output any) (bool, any) {
			st := state.(string)
			in := input.(KvInput)
			switch in.Op {
			case KvGet:
				// An unknown-outcome get may carry no output at all.
				out, ok := output.(KvOutput)
				return ok && out.Value == st, st
			case KvPut:
				return true, in.Value
			case KvAppend:
				return true, st + in.Value
			}
			return false, st
		},
		Equal: func(a, b any) bool { return a.(string) == b.(string) },
		Hash:  func(s any) uint64 { return maphash.String(kvSeed, s.(string)) },
		DescribeOperation: func(input, output any) string {
			in := input.(KvInput)
			switch in.Op {
			case KvGet:
				if out, ok := output.(KvOutput); ok {
					return fmt.Sprintf("get(%q) -> %q", in.Key, out.Value)
				}
				return fmt.Sprintf("get(%q) -> ?", in.Key)
			case KvPut:
				return fmt.Sprintf("put(%q, %q)", in.Key, in.Value)
			case KvAppend:
				return fmt.Sprintf("append(%q, %q)", in.Key, in.Value)
			}
			return fmt.Sprintf("%v(%q, %q)", in.Op, in.Key, in.Value)
		},
		DescribeState: func(s any) string { return strconv.Quote(s.(string)) },
	}
}

// kvPartition groups operations by key, keys in order of first appearance
// so that the partition numbering is deterministic.
func kvPartition(history []porcupine.Operation) [][]porcupine.Operation {
	index := map[string]int{}
	var parts [][]porcupine.Operation
	for _, op := range history {
		k := op.Input.(KvInput).Key
		i, ok := index[k]
		if !ok {
			i = len(parts)
			index[k] = i
			parts = append(parts, nil)
		}
		parts[i] = append(parts[i], op)
	}
	return parts
}

// kvPartitionEvent groups events by the key of their call. A return whose
// call is missing goes to a partition of its own, where the checker reports
// it as a return with no call rather than silently dropping it.
func kvPartitionEvent(history []porcupine.Event) [][]porcupine.Event {
	index := map[string]int{}
	partOf := map[int]int{}
	var parts [][]porcupine.Event
	orphans := -1
	for _, e := range history {
		var i int
		if e.Kind == porcupine.CallEvent {
			k := e.Value.(KvInput).Key
			var ok bool
			if i, ok = index[k]; !ok {
				i = len(parts)
				index[k] = i
				parts = append(parts, nil)
			}
			partOf[e.Id] = i
		} else if j, ok := partOf[e.Id]; ok {
			i = j
		} else {
			if orphans < 0 {
				orphans = len(parts)
				parts = append(parts, nil)
			}
			i = orphans
		}
		parts[i] = append(parts[i], e)
	}
	return parts
}
