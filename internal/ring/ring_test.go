package ring

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func filled(limit, n int) *Ring[int] {
	var r Ring[int]
	r.SetLimit(limit)
	for i := range n {
		r.Add(i)
	}
	return &r
}

func TestRingBelowItsLimitKeepsEverything(t *testing.T) {
	r := filled(5, 3)
	assert.Equal(t, []int{0, 1, 2}, r.Items())
	assert.Zero(t, r.Dropped())
}

func TestRingWrapsAroundOldestFirst(t *testing.T) {
	for n := 5; n <= 12; n++ {
		r := filled(5, n)
		want := []int{n - 5, n - 4, n - 3, n - 2, n - 1}
		assert.Equal(t, want, r.Items(), "after %d adds", n)
		assert.Equal(t, n-5, r.Dropped(), "after %d adds", n)
	}
}

func TestRingItemsIsACopy(t *testing.T) {
	r := filled(3, 4)
	items := r.Items()
	items[0] = 99
	assert.Equal(t, []int{1, 2, 3}, r.Items())
}

func TestRingShrinkKeepsTheNewest(t *testing.T) {
	r := filled(5, 7) // wrapped: holds 2..6
	r.SetLimit(2)
	assert.Equal(t, []int{5, 6}, r.Items())
	assert.Equal(t, 5, r.Dropped(), "two dropped by wrapping, three by shrinking")
	r.Add(7)
	assert.Equal(t, []int{6, 7}, r.Items(), "the smaller limit holds for later adds")
	assert.Equal(t, 6, r.Dropped())
}

func TestRingGrowKeepsWhatItHas(t *testing.T) {
	r := filled(3, 5) // wrapped: holds 2..4
	r.SetLimit(5)
	r.Add(5)
	r.Add(6)
	assert.Equal(t, []int{2, 3, 4, 5, 6}, r.Items())
	r.Add(7)
	assert.Equal(t, []int{3, 4, 5, 6, 7}, r.Items())
	assert.Equal(t, 3, r.Dropped())
}

func TestRingWithoutLimitKeepsNothing(t *testing.T) {
	var zero Ring[string]
	zero.Add("a")
	assert.Empty(t, zero.Items(), "the zero ring keeps nothing")
	assert.Equal(t, 1, zero.Dropped())

	r := filled(4, 3)
	r.SetLimit(0)
	assert.Empty(t, r.Items())
	assert.Equal(t, 3, r.Dropped(), "turning the ring off drops what it held")
	r.SetLimit(-1)
	r.Add(9)
	assert.Empty(t, r.Items())
	assert.Equal(t, 4, r.Dropped())
}
