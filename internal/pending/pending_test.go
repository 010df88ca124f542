package pending

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const lost = "lost"

// result returns what op got, or "" if it got nothing yet.
func result(op *Op[string]) string {
	select {
	case r := <-op.Done():
		return r
	default:
		return ""
	}
}

func TestOwnOperationGetsItsResult(t *testing.T) {
	tb := NewTable(lost)
	op := tb.Add(7, 1)
	tb.Started(op, 5, 2, true, 4)
	own, gaveUp := tb.Applied(5, 7, 1, "ok")
	assert.Same(t, op, own, "applied at the index Start gave: its own")
	assert.Empty(t, gaveUp)
	assert.Equal(t, "ok", result(op))
	assert.Zero(t, tb.Len())
}

func TestAppliedBeforeStartReturnsIsAnswered(t *testing.T) {
	tb := NewTable(lost)
	op := tb.Add(7, 1)
	_, _ = tb.Applied(3, 7, 1, "ok") // an earlier attempt's entry
	tb.Started(op, 5, 2, true, 3)
	assert.Equal(t, "ok", result(op), "Started leaves a finished op alone")
}

func TestAnotherOperationAtItsIndexGivesUp(t *testing.T) {
	tb := NewTable(lost)
	mine, other := tb.Add(7, 1), tb.Add(8, 1)
	tb.Started(mine, 5, 2, true, 4)
	tb.Started(other, 6, 2, true, 4)
	own, gaveUp := tb.Applied(5, 9, 1, "ok")
	assert.Nil(t, own)
	require.Len(t, gaveUp, 1)
	assert.Same(t, mine, gaveUp[0])
	assert.Equal(t, lost, result(mine))
	assert.Equal(t, "", result(other), "an op at another index still waits")
	assert.Equal(t, 1, tb.Len())
}

func TestStartedNotLeaderOrBehindGivesUp(t *testing.T) {
	tb := NewTable(lost)
	notLeader := tb.Add(7, 1)
	tb.Started(notLeader, 5, 2, false, 0)
	assert.Equal(t, lost, result(notLeader))
	behind := tb.Add(7, 2)
	tb.Started(behind, 5, 2, true, 5)
	assert.Equal(t, lost, result(behind), "index 5 applied already, and not as this op")
}

func TestLeadershipChangeGivesUpStartedOpsOnly(t *testing.T) {
	tb := NewTable(lost)
	started, unstarted := tb.Add(7, 1), tb.Add(8, 1)
	tb.Started(started, 5, 2, true, 4)
	tb.LeadershipIs(2, true)
	assert.Equal(t, "", result(started), "same term, still leading: it waits")
	tb.LeadershipIs(3, true)
	assert.Equal(t, lost, result(started))
	assert.Equal(t, "", result(unstarted), "not started yet: Started decides")
}

func TestSnapshotGivesUpCoveredOps(t *testing.T) {
	tb := NewTable(lost)
	covered, beyond := tb.Add(7, 1), tb.Add(8, 1)
	tb.Started(covered, 5, 2, true, 4)
	tb.Started(beyond, 9, 2, true, 4)
	tb.SnapshotInstalled(6)
	assert.Equal(t, lost, result(covered))
	assert.Equal(t, "", result(beyond))
	tb.Remove(beyond)
	assert.Zero(t, tb.Len())
}
