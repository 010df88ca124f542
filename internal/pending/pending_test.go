package pending

import (
	"sync"
	"testing"
	"time"

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

// Propose answers with the result of its own operation applied at the
// index Start gave it, even when the applier gets there before Start
// returns, and gives up with the lost result once its wait times out.
func TestProposeGetsItsResultOrGivesUp(t *testing.T) {
	var mu sync.Mutex
	tab := NewTable(lost)
	applied := 0
	appliedAt := func() int { return applied }

	got := Propose(&mu, tab, 7, 1, func() (int, int, bool) {
		// The entry is applied before Start returns.
		mu.Lock()
		applied = 1
		tab.Applied(1, 7, 1, "ok")
		mu.Unlock()
		return 1, 1, true
	}, appliedAt, time.Hour, nil)
	assert.Equal(t, "ok", got, "an operation applied before Start returned still gets its result")

	stop := make(chan struct{})
	close(stop)
	got = Propose(&mu, tab, 7, 2, func() (int, int, bool) { return 2, 1, true }, appliedAt, time.Hour, stop)
	assert.Equal(t, lost, got, "a stopped service's handler gives up")
	assert.Zero(t, tab.Len(), "a handler that gave up leaves the table")

	got = Propose(&mu, tab, 7, 3, func() (int, int, bool) { return 3, 1, true }, appliedAt, time.Millisecond, nil)
	assert.Equal(t, lost, got, "a handler whose operation never comes out of the log gives up after its timeout")
	assert.Zero(t, tab.Len())
}
