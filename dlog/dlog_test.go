package dlog

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestNilLoggerDiscardsEverything(t *testing.T) {
	var l *Logger
	assert.False(t, l.Enabled(Election), "a nil logger must report every topic off")
	l.Printf(Election, "ignored %d", 1) // must not panic
	assert.Nil(t, New("0", NewBuffer(1), None), "a logger with no topics is nil")
	assert.Nil(t, New("0", nil, All), "a logger with no sink is nil")
}

func TestLoggerRecordsOnlyEnabledTopics(t *testing.T) {
	buf := NewBuffer(10)
	l := New("3", buf, Election|Apply)
	l.Printf(Election, "vote for %d", 2)
	l.Printf(Log, "dropped line")
	l.With("4").Printf(Apply, "apply %d", 7)
	entries, dropped := buf.Entries()
	require.Len(t, entries, 2, "only enabled topics are recorded")
	assert.Zero(t, dropped)
	assert.Equal(t, Entry{At: entries[0].At, Server: "3", Topic: Election, Msg: "vote for 2"}, entries[0])
	assert.Equal(t, "4", entries[1].Server, "With changes the server name")
}

func TestBufferKeepsNewestEntriesAndCountsDropped(t *testing.T) {
	buf := NewBuffer(3)
	l := New("0", buf, All)
	for i := range 5 {
		l.Printf(Test, "line %d", i)
	}
	entries, dropped := buf.Entries()
	assert.Equal(t, 2, dropped)
	var msgs []string
	for _, e := range entries {
		msgs = append(msgs, e.Msg)
	}
	assert.Equal(t, []string{"line 2", "line 3", "line 4"}, msgs, "oldest first, newest kept")
	var sb strings.Builder
	require.NoError(t, buf.WriteTo(&sb, time.Time{}))
	assert.Contains(t, sb.String(), "the oldest 2 entries were dropped")
	assert.Contains(t, sb.String(), "line 4")
}

func TestParseTopics(t *testing.T) {
	got, err := ParseTopics("election, Apply")
	require.NoError(t, err)
	assert.Equal(t, Election|Apply, got)
	got, err = ParseTopics("all")
	require.NoError(t, err)
	assert.Equal(t, All, got)
	assert.Equal(t, "election|log|persist|snapshot|apply|client|network|test|kv|shard|config", All.String())
	got, err = ParseTopics("kv,shard,config")
	require.NoError(t, err)
	assert.Equal(t, KV|Shard|Config, got)
	_, err = ParseTopics("elction")
	require.ErrorContains(t, err, `unknown topic "elction"`, "a typo must name the bad topic")
}

func TestEveryTopicRoundTripsByName(t *testing.T) {
	var union Topic
	for bit := range 16 {
		topic := Topic(1 << bit)
		if All&topic == 0 {
			continue
		}
		name := topic.String()
		assert.NotContains(t, name, "|", "bit %d is one topic", bit)
		got, err := ParseTopics(name)
		require.NoError(t, err, "bit %d", bit)
		assert.Equal(t, topic, got, "topic %q", name)
		union |= got
	}
	assert.Equal(t, All, union, "All is every named topic and nothing else")
	got, err := ParseTopics(strings.ReplaceAll(All.String(), "|", ","))
	require.NoError(t, err)
	assert.Equal(t, All, got)
}
