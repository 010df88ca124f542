package labrpc

import (
	"testing"
	"testing/synctest"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScopesCombineAsAnd(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := MakeNetworkSeed(71)
		defer net.Cleanup()
		ends := mesh(t, net, 5)
		net.PartitionScope("a", []any{0, 1, 2}, []any{3, 4})
		net.PartitionScope("b", []any{0, 1}, []any{2, 3, 4})
		// 1 and 2 are together in a but not in b; 2 and 3 in b but not in
		// a: neither pair talks.
		assert.Equal(t, [][]int{{0, 1}, {0, 1}, {2}, {3, 4}, {3, 4}}, reach(net, ends))
	})
}

func TestHealScopeLeavesTheOthersInForce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := MakeNetworkSeed(72)
		defer net.Cleanup()
		ends := mesh(t, net, 5)
		net.PartitionScope("a", []any{0, 1, 2}, []any{3, 4})
		net.PartitionScope("b", []any{0, 1}, []any{2, 3, 4})
		net.Partition([]any{4}, []any{0, 1, 2, 3})
		net.Cut(0, 1) // 0's calls to 1 fail, and 1's calls to 0 lose their replies

		net.HealScope("a")
		assert.Equal(t, [][]int{{0}, {1}, {2, 3}, {2, 3}, {4}}, reach(net, ends), "b, the unnamed scope and the cut remain")
		net.HealScope("")
		assert.Equal(t, [][]int{{0}, {1}, {2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, reach(net, ends), "b and the cut remain")
		net.HealScope("b")
		assert.Equal(t, [][]int{{0, 2, 3, 4}, {1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}, {0, 1, 2, 3, 4}}, reach(net, ends), "the cut remains")

		net.PartitionScope("a", []any{0}, []any{1, 2, 3, 4})
		net.Heal()
		for i, r := range reach(net, ends) {
			assert.Len(t, r, 5, "node %d: Heal removes every scope and every cut", i)
		}
	})
}

func TestPartitionScopeReplacesOnlyItsOwnScope(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := MakeNetworkSeed(73)
		defer net.Cleanup()
		ends := mesh(t, net, 3)
		net.Partition([]any{0}, []any{1, 2})
		net.PartitionScope("a", []any{1}, []any{2})
		net.PartitionScope("a", []any{0, 1, 2})
		assert.Equal(t, [][]int{{0}, {1, 2}, {1, 2}}, reach(net, ends), "a's new partition replaced its old one, and only it")
	})
}

// Two replica groups, 0-2 and 3-5, each split in a scope of its own, as a
// sharded service's tester would: traffic between the groups is left alone.
func TestScopeLeavesNodesItDoesNotNameAlone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := MakeNetworkSeed(74)
		defer net.Cleanup()
		ends := mesh(t, net, 6)
		net.PartitionScope("group-a", []any{0}, []any{1, 2})
		net.PartitionScope("group-b", []any{3, 4}, []any{5})
		assert.Equal(t, [][]int{
			{0, 3, 4, 5},
			{1, 2, 3, 4, 5},
			{1, 2, 3, 4, 5},
			{0, 1, 2, 3, 4},
			{0, 1, 2, 3, 4},
			{0, 1, 2, 5},
		}, reach(net, ends))
	})
}

func TestScopeEventsNameTheScope(t *testing.T) {
	net := MakeNetworkSeed(75)
	defer net.Cleanup()
	net.Partition([]any{0}, []any{1})
	net.PartitionScope("server-100-", []any{"a"}, []any{"b", "c"})
	net.HealScope("server-100-")
	net.Heal()
	var details []string
	for _, ev := range net.Trace() {
		if ev.Outcome == PartitionChange {
			details = append(details, ev.Detail)
		}
	}
	assert.Equal(t, []string{"partition [0] [1]", "partition[server-100-] [a] [b c]", "heal[server-100-]", "heal"}, details)
}

func TestPartitionScopeRejectsBadNames(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		net := MakeNetworkSeed(76)
		defer net.Cleanup()
		ends := mesh(t, net, 2)
		net.PartitionScope("a", []any{0}, []any{[]int{1}})
		errs := net.Errors()
		require.Len(t, errs, 1)
		assert.Contains(t, errs[0].Error(), "labrpc: PartitionScope: name [1] of type []int is not comparable")
		assert.Equal(t, [][]int{{0, 1}, {0, 1}}, reach(net, ends), "a rejected partition changes nothing")
	})
}

// scopedMidway splits the mesh in two overlapping scopes and heals them one
// at a time.
func scopedMidway(net *Network) {
	time.Sleep(time.Second)
	net.PartitionScope("low", []any{0, 1}, []any{2, 3, 4})
	time.Sleep(time.Second)
	net.PartitionScope("high", []any{0, 1, 2}, []any{3, 4})
	time.Sleep(1500 * time.Millisecond)
	net.HealScope("low")
	time.Sleep(time.Second)
	net.Heal()
}

func TestScopedPartitionsReplay(t *testing.T) {
	first := chaos(t, 44, scopedMidway)
	var details []string
	for _, ev := range first {
		if ev.Outcome == PartitionChange && ev.End == "" && ev.From == "" {
			details = append(details, ev.Detail)
		}
	}
	assert.Equal(t, []string{"partition[low] [0 1] [2 3 4]", "partition[high] [0 1 2] [3 4]", "heal[low]", "heal"}, details)
	assert.Positive(t, countOutcomes(first)[NoRoute], "the scopes stopped some calls")
	for run := range 3 {
		require.Equal(t, first, chaos(t, 44, scopedMidway), "run %d: traces differ", run)
	}
}

func TestUnnamedScopeIsPartition(t *testing.T) {
	viaScope := func(net *Network) {
		time.Sleep(2 * time.Second)
		net.PartitionScope("", MajoritiesRing(nodes(5))...)
		time.Sleep(3 * time.Second)
		net.Heal()
	}
	assert.Equal(t, chaos(t, 45, ringMidway), chaos(t, 45, viaScope), "PartitionScope(\"\") is Partition, event text included")
}
