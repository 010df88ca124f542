package dlog

import (
	"io"
	"strconv"
	"sync"
	"time"

	"raftlab/internal/ring"
)

// Buffer is a Sink that keeps the most recent entries in memory, up to a
// limit, so that a long test cannot exhaust memory with its logs. When it
// overflows it drops the oldest entries and counts them.
type Buffer struct {
	mu      sync.Mutex
	entries ring.Ring[Entry]
}

// NewBuffer returns a Buffer that keeps at most limit entries (limit > 0).
func NewBuffer(limit int) *Buffer {
	if limit <= 0 {
		panic("dlog.NewBuffer: limit must be positive")
	}
	b := &Buffer{}
	b.entries.SetLimit(limit)
	return b
}

// Record implements Sink.
func (b *Buffer) Record(e Entry) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.entries.Add(e)
}

// Entries returns the kept entries, oldest first, and how many were dropped.
func (b *Buffer) Entries() (entries []Entry, dropped int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.entries.Items(), b.entries.Dropped()
}

// WriteTo writes the kept entries, one per line, times relative to start.
func (b *Buffer) WriteTo(w io.Writer, start time.Time) error {
	entries, dropped := b.Entries()
	if dropped > 0 {
		if _, err := io.WriteString(w, "(the oldest "+strconv.Itoa(dropped)+" entries were dropped)\n"); err != nil {
			return err
		}
	}
	for _, e := range entries {
		if _, err := io.WriteString(w, e.Format(start)+"\n"); err != nil {
			return err
		}
	}
	return nil
}
