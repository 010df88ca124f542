package kvtest

import (
	"testing"

	"github.com/stretchr/testify/assert"

	"raftlab/porcupine"
	"raftlab/porcupine/models"
)

// op is one recorded operation for the diagnosis tests: client, call and
// return time, and what it did.
func kvOp(client int, call, ret int64, op models.KvOp, key, value string) porcupine.Operation {
	o := porcupine.Operation{ClientId: client, Call: call, Return: ret, Input: models.KvInput{Op: op, Key: key, Value: value}}
	if op == models.KvGet {
		o.Input = models.KvInput{Op: op, Key: key}
		o.Output = models.KvOutput{Value: value}
	}
	return o
}

func TestAppliedTwiceNamesTheEarliestReadOfARepeatedAppend(t *testing.T) {
	ops := []porcupine.Operation{
		kvOp(1, 10, 20, models.KvAppend, "k", "x 1 0 y"),
		kvOp(2, 15, 25, models.KvAppend, "k", "x 2 0 y"),
		kvOp(3, 30, 40, models.KvGet, "k", "x 1 0 yx 2 0 yx 1 0 y"),
		kvOp(4, 50, 60, models.KvGet, "k", "x 2 0 yx 2 0 y"), // returns later
		kvOp(5, 31, 35, models.KvGet, "other", "abcdabcd"),   // nothing written to it
	}
	hint := appliedTwice(ops)
	assert.Contains(t, hint, `Get("k") returned to client 3`, "the earliest read showing it")
	assert.Contains(t, hint, `holds "x 1 0 y" twice, a value only client 1's Append wrote`)
	assert.Contains(t, hint, "an Append took effect twice")
}

func TestAppliedTwiceStaysQuietWhereTheRepeatIsExplained(t *testing.T) {
	for name, ops := range map[string][]porcupine.Operation{
		"appended twice by two Appends": {
			kvOp(1, 10, 20, models.KvAppend, "k", "abcde"),
			kvOp(2, 10, 20, models.KvAppend, "k", "abcde"),
			kvOp(3, 30, 40, models.KvGet, "k", "abcdeabcde"),
		},
		"also inside a Put's value": {
			kvOp(1, 10, 20, models.KvPut, "k", "abcde"),
			kvOp(2, 21, 22, models.KvAppend, "k", "abcde"),
			kvOp(3, 30, 40, models.KvGet, "k", "abcdeabcde"),
		},
		"too short to tell": {
			kvOp(1, 10, 20, models.KvAppend, "k", "a1"),
			kvOp(3, 30, 40, models.KvGet, "k", "a1a1"),
		},
		"overlapping, not repeated": {
			kvOp(1, 10, 20, models.KvAppend, "k", "aaaa"),
			kvOp(2, 21, 22, models.KvAppend, "k", "b"),
			kvOp(3, 30, 40, models.KvGet, "k", "aaaaa"),
		},
		"a read of unknown outcome": {
			kvOp(1, 10, 20, models.KvAppend, "k", "abcde"),
			{ClientId: 3, Call: 30, Input: models.KvInput{Op: models.KvGet, Key: "k"}, Unknown: true},
		},
		"another key's value": {
			kvOp(1, 10, 20, models.KvAppend, "k", "abcde"),
			kvOp(3, 30, 40, models.KvGet, "j", "abcdeabcde"),
		},
	} {
		assert.Empty(t, appliedTwice(ops), name)
	}
}
