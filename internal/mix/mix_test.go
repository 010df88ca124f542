package mix

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// The values below were printed by the versions that seeds were replayed
// with; a change to either function breaks every printed seed.

func TestSplitMix64KeepsItsValues(t *testing.T) {
	assert.Equal(t, uint64(0xe220a8397b1dcdaf), SplitMix64(0), "splitmix64's first output from state 0")
	assert.Equal(t, uint64(10451216379200822465), SplitMix64(1))
}

func TestStringKeepsItsValues(t *testing.T) {
	assert.Equal(t, uint64(14695981039346656037), String(""), "FNV-1a's offset basis")
	assert.Equal(t, uint64(12638187200555641996), String("a"))
	assert.Equal(t, uint64(0x85944171f73967e8), String("foobar"))
}
