package kvtest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAppendedValuesSplitBack(t *testing.T) {
	v := appendValue(1, 1) + appendValue(1, 11) + appendValue(12, 0)
	pieces, err := splitAppends(v)
	require.NoError(t, err)
	assert.Equal(t, []string{"x 1 1 y", "x 1 11 y", "x 12 0 y"}, pieces)

	_, err = splitAppends(appendValue(0, 0) + "x 0 y")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `unexpected text "x 0 y" at byte 7, after 1 well-formed values`)
}

// recs are two clients' Appends to one key, in the order they were made.
func recs(returned ...bool) []appendRecord {
	all := []appendRecord{
		{client: 1, value: appendValue(1, 0)},
		{client: 2, value: appendValue(2, 0)},
		{client: 1, value: appendValue(1, 1)},
	}
	for i := range all {
		all[i].returned = i >= len(returned) || returned[i]
	}
	return all
}

func TestCheckAppendsAcceptsAnyInterleavingOfEachClientsOrder(t *testing.T) {
	assert.NoError(t, checkAppends("k", "x 1 0 yx 2 0 yx 1 1 y", recs()))
	assert.NoError(t, checkAppends("k", "x 2 0 yx 1 0 yx 1 1 y", recs()))
	assert.NoError(t, checkAppends("k", "x 1 0 yx 1 1 yx 2 0 y", recs()))
}

func TestCheckAppendsNamesWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, got string
		want      string
	}{
		{"missing", "x 1 0 yx 1 1 y", `value "x 2 0 y", appended by client 2 whose Append returned, is missing`},
		{"duplicate", "x 1 0 yx 2 0 yx 2 0 yx 1 1 y", `value "x 2 0 y" appears twice, at positions 1 and 2 of 4`},
		{"out of order", "x 1 1 yx 2 0 yx 1 0 y", `client 1's values are out of order: "x 1 1 y" (position 0) comes before "x 1 0 y" (position 2)`},
		{"foreign", "x 1 0 yx 2 0 yx 1 1 yx 3 0 y", `value "x 3 0 y", at position 3, was never appended to it`},
		{"garbage", "x 1 0 yoops", `its value (11 bytes) is not made of appended values: unexpected text "oops"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := checkAppends("k", tc.got, recs())
			require.Error(t, err)
			assert.Contains(t, err.Error(), `key "k": `+tc.want)
		})
	}
}

func TestCheckAppendsLetsAPendingAppendLandOnceOrNever(t *testing.T) {
	pending := recs(true, true, false)
	assert.NoError(t, checkAppends("k", "x 1 0 yx 2 0 y", pending), "not landed")
	assert.NoError(t, checkAppends("k", "x 1 0 yx 2 0 yx 1 1 y", pending), "landed once")
	assert.Error(t, checkAppends("k", "x 1 0 yx 2 0 yx 1 1 yx 1 1 y", pending), "landed twice")
	assert.Error(t, checkAppends("k", "x 1 1 yx 1 0 yx 2 0 y", pending), "landed before the client's earlier value")
}

func TestLedgerResetKeepsOnlyPendingAppends(t *testing.T) {
	l := newLedger()
	l.returned(l.calling("k", 1, "a"))
	l.calling("k", 2, "b")
	l.reset("k")
	assert.Equal(t, []appendRecord{{client: 2, value: "b"}}, l.records("k"),
		"a Put of \"\" erased the returned Append, but the pending one may still land")
}

func TestSpeedErrorSaysTheMeasuredAverage(t *testing.T) {
	assert.NoError(t, speedError(100, 3300*time.Millisecond, 33*time.Millisecond), "exactly the bound is fast enough")
	err := speedError(100, 5*time.Second, 33*time.Millisecond)
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "100 operations took 5s of virtual time, 50ms each on average, more than the bound of 33ms"), err.Error())
}

func TestRealTimeOrderOfAppends(t *testing.T) {
	a, b, c := appendValue(1, 0), appendValue(2, 0), appendValue(3, 0)
	spans := map[string]callSpan{
		a: {call: 0, ret: 10},
		b: {call: 20, ret: 30}, // called after a returned
		c: {call: 5, ret: 25},  // overlaps both
	}
	assert.NoError(t, checkRealTimeOrder("k", []string{a, b, c}, spans))
	assert.NoError(t, checkRealTimeOrder("k", []string{c, a, b}, spans))
	assert.NoError(t, checkRealTimeOrder("k", []string{a, c, b}, spans))

	err := checkRealTimeOrder("k", []string{b, c, a}, spans)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `key "k": value "x 1 0 y" (position 2) comes after "x 2 0 y" (position 0), but its Append returned before that one was called`)
}
