package models_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/porcupine"
	"raftlab/porcupine/models"
)

func kvOp(client int, op models.KvOp, key, value, out string, call, ret int64) porcupine.Operation {
	return porcupine.Operation{ClientId: client, Input: models.KvInput{Op: op, Key: key, Value: value}, Output: models.KvOutput{Value: out}, Call: call, Return: ret}
}

func TestKVStep(t *testing.T) {
	m := models.KV()
	s := m.Init()
	assert.Equal(t, "", s)
	ok, s := m.Step(s, models.KvInput{Op: models.KvGet, Key: "k"}, models.KvOutput{Value: ""})
	assert.True(t, ok, "a missing key reads as the empty string")
	ok, s = m.Step(s, models.KvInput{Op: models.KvPut, Key: "k", Value: "a"}, models.KvOutput{})
	assert.True(t, ok)
	ok, s = m.Step(s, models.KvInput{Op: models.KvAppend, Key: "k", Value: "b"}, models.KvOutput{})
	assert.True(t, ok)
	assert.Equal(t, "ab", s)
	ok, _ = m.Step(s, models.KvInput{Op: models.KvGet, Key: "k"}, models.KvOutput{Value: "a"})
	assert.False(t, ok)
	ok, s2 := m.Step(s, models.KvInput{Op: models.KvGet, Key: "k"}, nil)
	assert.False(t, ok, "a get without output proves nothing")
	assert.Equal(t, s, s2)
	assert.Equal(t, m.Hash("ab"), m.Hash("a"+"b"))
	assert.True(t, m.Equal("ab", "ab"))
	assert.Equal(t, `get("k") -> "x"`, m.DescribeOperation(models.KvInput{Op: models.KvGet, Key: "k"}, models.KvOutput{Value: "x"}))
	assert.Equal(t, `append("k", "v")`, m.DescribeOperation(models.KvInput{Op: models.KvAppend, Key: "k", Value: "v"}, models.KvOutput{}))
	assert.Equal(t, `put("k", "v")`, m.DescribeOperation(models.KvInput{Op: models.KvPut, Key: "k", Value: "v"}, models.KvOutput{}))
	assert.Equal(t, `"ab"`, m.DescribeState("ab"))
	assert.Equal(t, "append", models.KvAppend.String())
}

func TestKVHistories(t *testing.T) {
	m := models.KV()
	ok := []porcupine.Operation{
		kvOp(0, models.KvPut, "x", "1", "", 0, 10),
		kvOp(1, models.KvGet, "x", "", "1", 2, 3),
		kvOp(2, models.KvAppend, "y", "a", "", 0, 1),
		kvOp(1, models.KvGet, "y", "", "a", 4, 5),
		kvOp(2, models.KvGet, "z", "", "", 6, 7),
	}
	assert.True(t, porcupine.CheckOperations(m, ok))
	res, err := porcupine.Check(m, ok, porcupine.Options{Verbose: true})
	require.NoError(t, err)
	assert.Equal(t, porcupine.Ok, res.Verdict)
	assert.Len(t, res.Info.PartialLinearizations(), 3, "one partition per key")

	bad := append([]porcupine.Operation(nil), ok...)
	bad = append(bad, kvOp(3, models.KvGet, "y", "", "", 8, 9))
	assert.False(t, porcupine.CheckOperations(m, bad))

	// An unknown-outcome append may or may not have happened.
	unk := []porcupine.Operation{
		{Input: models.KvInput{Op: models.KvAppend, Key: "x", Value: "a"}, Call: 0, Unknown: true},
		kvOp(1, models.KvGet, "x", "", "", 1, 2),
		kvOp(1, models.KvGet, "x", "", "a", 3, 4),
	}
	assert.Equal(t, porcupine.Ok, porcupine.CheckOperationsTimeout(m, unk, time.Second))
	unk = append(unk, kvOp(1, models.KvGet, "x", "", "", 5, 6))
	assert.Equal(t, porcupine.Illegal, porcupine.CheckOperationsTimeout(m, unk, time.Second))
}

func TestKVEvents(t *testing.T) {
	m := models.KV()
	ev := []porcupine.Event{
		{ClientId: 0, Kind: porcupine.CallEvent, Value: models.KvInput{Op: models.KvPut, Key: "x", Value: "1"}, Id: 0},
		{ClientId: 1, Kind: porcupine.CallEvent, Value: models.KvInput{Op: models.KvGet, Key: "y"}, Id: 1},
		{ClientId: 0, Kind: porcupine.ReturnEvent, Value: models.KvOutput{}, Id: 0},
		{ClientId: 1, Kind: porcupine.ReturnEvent, Value: models.KvOutput{Value: ""}, Id: 1},
		{ClientId: 2, Kind: porcupine.CallEvent, Value: models.KvInput{Op: models.KvGet, Key: "x"}, Id: 2},
		{ClientId: 2, Kind: porcupine.ReturnEvent, Value: models.KvOutput{Value: "1"}, Id: 2},
		{ClientId: 3, Kind: porcupine.CallEvent, Value: models.KvInput{Op: models.KvAppend, Key: "x", Value: "2"}, Id: 3, Unknown: true},
	}
	assert.True(t, porcupine.CheckEvents(m, ev))
	// A return whose call is missing is reported, not dropped.
	ev = append(ev, porcupine.Event{Kind: porcupine.ReturnEvent, Value: models.KvOutput{}, Id: 99})
	_, err := porcupine.CheckEventHistory(m, ev, porcupine.Options{})
	require.ErrorIs(t, err, porcupine.ErrInvalidHistory)
}

func reg(op models.RegisterOp, val, exp int, out models.RegisterOutput, call, ret int64) porcupine.Operation {
	return porcupine.Operation{Input: models.RegisterInput{Op: op, Value: val, Expected: exp}, Output: out, Call: call, Return: ret}
}

func TestRegister(t *testing.T) {
	m := models.Register()
	h := []porcupine.Operation{
		reg(models.RegisterRead, 0, 0, models.RegisterOutput{Value: 0}, 0, 1),
		reg(models.RegisterWrite, 3, 0, models.RegisterOutput{}, 2, 3),
		reg(models.RegisterCAS, 4, 3, models.RegisterOutput{Ok: true}, 4, 5),
		reg(models.RegisterCAS, 5, 3, models.RegisterOutput{Ok: false}, 6, 7),
		reg(models.RegisterRead, 0, 0, models.RegisterOutput{Value: 4}, 8, 9),
	}
	assert.True(t, porcupine.CheckOperations(m, h))
	h[3].Output = models.RegisterOutput{Ok: true}
	assert.False(t, porcupine.CheckOperations(m, h))
	h[3].Output = models.RegisterOutput{Ok: false}

	// An unknown-outcome CAS that succeeded explains the read of 9.
	h = append(h,
		porcupine.Operation{Input: models.RegisterInput{Op: models.RegisterCAS, Value: 9, Expected: 4}, Call: 10, Unknown: true},
		reg(models.RegisterRead, 0, 0, models.RegisterOutput{Value: 9}, 12, 13))
	assert.True(t, porcupine.CheckOperations(m, h))
	h[len(h)-2].Input = models.RegisterInput{Op: models.RegisterCAS, Value: 9, Expected: 1}
	assert.False(t, porcupine.CheckOperations(m, h), "the CAS cannot succeed from 4")

	assert.Equal(t, "cas(4, 9) -> ?", m.DescribeOperation(models.RegisterInput{Op: models.RegisterCAS, Value: 9, Expected: 4}, nil))
	assert.Equal(t, "read() -> 2", m.DescribeOperation(models.RegisterInput{Op: models.RegisterRead}, models.RegisterOutput{Value: 2}))
	assert.Equal(t, "write(1)", m.DescribeOperation(models.RegisterInput{Op: models.RegisterWrite, Value: 1}, models.RegisterOutput{}))
	assert.Equal(t, "7", m.DescribeState(7))
	assert.NotEqual(t, m.Hash(1), m.Hash(2))
}
