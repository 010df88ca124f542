package raftcore

import "fmt"

// raftLog is the replicated log of Figure 2 with a compacted prefix (§7):
// entries up to and including snapIndex live only in the snapshot, and of
// them only the last one's term (snapTerm) is remembered, because the
// consistency check of AppendEntries needs the term of the entry just before
// the first one kept.
//
// Index 0 is the empty log's sentinel with term 0, so a fresh log is
// snapIndex 0, snapTerm 0 and every real index starts at 1.
type raftLog struct {
	snapIndex int
	snapTerm  int
	entries   []Entry // entries[i].Index == snapIndex+1+i
}

func (l *raftLog) lastIndex() int { return l.snapIndex + len(l.entries) }

func (l *raftLog) lastTerm() int {
	if len(l.entries) == 0 {
		return l.snapTerm
	}
	return l.entries[len(l.entries)-1].Term
}

// term returns the term of the entry at index i, if the log still knows it:
// ok is false for indices compacted away (below snapIndex) or past the end.
func (l *raftLog) term(i int) (t int, ok bool) {
	switch {
	case i == l.snapIndex:
		return l.snapTerm, true
	case i < l.snapIndex || i > l.lastIndex():
		return 0, false
	}
	return l.entries[i-l.snapIndex-1].Term, true
}

// at returns the entry at index i, which must be in (snapIndex, lastIndex].
func (l *raftLog) at(i int) Entry {
	if i <= l.snapIndex || i > l.lastIndex() {
		panic(fmt.Sprintf("raftLog.at(%d): outside (%d, %d]", i, l.snapIndex, l.lastIndex()))
	}
	return l.entries[i-l.snapIndex-1]
}

// slice returns a copy of the entries with indices in [lo, hi]. It copies
// because the result leaves the Core (in a message or an apply batch) and
// the log may later be truncated and overwritten in place.
func (l *raftLog) slice(lo, hi int) []Entry {
	if lo > hi {
		return nil
	}
	if lo <= l.snapIndex || hi > l.lastIndex() {
		panic(fmt.Sprintf("raftLog.slice(%d, %d): outside (%d, %d]", lo, hi, l.snapIndex, l.lastIndex()))
	}
	out := make([]Entry, hi-lo+1)
	copy(out, l.entries[lo-l.snapIndex-1:hi-l.snapIndex])
	return out
}

func (l *raftLog) append(es ...Entry) {
	for _, e := range es {
		if e.Index != l.lastIndex()+1 {
			panic(fmt.Sprintf("raftLog.append: entry %v after last index %d", e, l.lastIndex()))
		}
		l.entries = append(l.entries, e)
	}
}

// truncateFrom deletes the entry at index i and all that follow it.
func (l *raftLog) truncateFrom(i int) {
	if i <= l.snapIndex {
		panic(fmt.Sprintf("raftLog.truncateFrom(%d): at or below snapshot %d", i, l.snapIndex))
	}
	if i <= l.lastIndex() {
		l.entries = l.entries[:i-l.snapIndex-1]
	}
}

// firstIndexOfTerm walks back from index i (which must be known) to the
// first index the log holds with the same term; the follower's fast-backup
// hint. It stops at the first kept entry: anything earlier is in the
// snapshot, committed, and so matches the leader anyway.
func (l *raftLog) firstIndexOfTerm(i int) int {
	t, _ := l.term(i)
	for i-1 > l.snapIndex && l.at(i-1).Term == t {
		i--
	}
	return i
}

// lastIndexOfTerm returns the highest index holding an entry of term t, if
// any; the leader's side of fast backup.
func (l *raftLog) lastIndexOfTerm(t int) (int, bool) {
	for i := len(l.entries) - 1; i >= 0; i-- {
		switch {
		case l.entries[i].Term == t:
			return l.entries[i].Index, true
		case l.entries[i].Term < t:
			return 0, false // terms only grow along the log
		}
	}
	if l.snapTerm == t && l.snapIndex > 0 {
		return l.snapIndex, true
	}
	return 0, false
}

// isUpToDate is the election restriction of §5.4.1: a log whose last entry
// has the later term is more up-to-date; with equal last terms, the longer
// log is.
func (l *raftLog) isUpToDate(lastIndex, lastTerm int) bool {
	return lastTerm > l.lastTerm() || (lastTerm == l.lastTerm() && lastIndex >= l.lastIndex())
}

// compact drops the entries up to and including index, which must be in
// the log, keeping the term of the last dropped one (§7). A fresh slice
// lets the dropped entries be garbage collected.
func (l *raftLog) compact(index int) {
	t, ok := l.term(index)
	if !ok || index <= l.snapIndex {
		panic(fmt.Sprintf("raftLog.compact(%d): not in (%d, %d]", index, l.snapIndex, l.lastIndex()))
	}
	kept := make([]Entry, l.lastIndex()-index)
	copy(kept, l.entries[index-l.snapIndex:])
	l.snapIndex, l.snapTerm, l.entries = index, t, kept
}

// restore installs a snapshot that covers the log up to index (Figure 13,
// receiver steps 6 and 7): if the log holds an entry with the snapshot's
// last index and term, the entries that follow it are kept; otherwise the
// whole log is discarded.
func (l *raftLog) restore(index, term int) {
	if t, ok := l.term(index); ok && t == term && index > l.snapIndex {
		l.compact(index)
		return
	}
	l.snapIndex, l.snapTerm, l.entries = index, term, nil
}
