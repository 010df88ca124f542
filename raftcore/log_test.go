package raftcore

import "testing"

// mkLog builds a log with a snapshot through snapIndex@snapTerm followed by
// entries of the given terms.
func mkLog(snapIndex, snapTerm int, terms ...int) *raftLog {
	l := &raftLog{snapIndex: snapIndex, snapTerm: snapTerm}
	for i, t := range terms {
		l.append(Entry{Index: snapIndex + 1 + i, Term: t})
	}
	return l
}

func TestLogTermAndBounds(t *testing.T) {
	l := mkLog(3, 2, 2, 3, 3) // snap 3@2, then 4@2 5@3 6@3
	for _, c := range []struct {
		i, term int
		ok      bool
	}{
		{2, 0, false}, {3, 2, true}, {4, 2, true}, {6, 3, true}, {7, 0, false},
	} {
		if term, ok := l.term(c.i); term != c.term || ok != c.ok {
			t.Errorf("term(%d) = %d, %v; want %d, %v", c.i, term, ok, c.term, c.ok)
		}
	}
	if l.lastIndex() != 6 || l.lastTerm() != 3 {
		t.Errorf("last = %d@%d, want 6@3", l.lastIndex(), l.lastTerm())
	}
	if e := mkLog(3, 2); e.lastIndex() != 3 || e.lastTerm() != 2 {
		t.Errorf("empty after snapshot: last = %d@%d, want 3@2", e.lastIndex(), e.lastTerm())
	}
}

func TestLogBackupHints(t *testing.T) {
	l := mkLog(2, 1, 1, 2, 2, 2, 5) // 3@1 4@2 5@2 6@2 7@5
	// The follower's hint: first index of the term at i, not below the
	// first kept entry.
	for _, c := range []struct{ i, want int }{{6, 4}, {4, 4}, {7, 7}, {3, 3}} {
		if got := l.firstIndexOfTerm(c.i); got != c.want {
			t.Errorf("firstIndexOfTerm(%d) = %d, want %d", c.i, got, c.want)
		}
	}
	// The leader's side: last index of a term, if it has the term.
	for _, c := range []struct {
		term, want int
		ok         bool
	}{{2, 6, true}, {1, 3, true}, {3, 0, false}, {5, 7, true}, {9, 0, false}} {
		if got, ok := l.lastIndexOfTerm(c.term); got != c.want || ok != c.ok {
			t.Errorf("lastIndexOfTerm(%d) = %d, %v; want %d, %v", c.term, got, ok, c.want, c.ok)
		}
	}
	if got, ok := mkLog(4, 3).lastIndexOfTerm(3); got != 4 || !ok {
		t.Errorf("lastIndexOfTerm of the snapshot's term = %d, %v; want 4, true", got, ok)
	}
}

func TestLogUpToDate(t *testing.T) {
	l := mkLog(0, 0, 1, 1, 2) // last 3@2
	for _, c := range []struct {
		idx, term int
		want      bool
	}{
		{3, 2, true}, {9, 2, true}, {2, 2, false}, {1, 3, true}, {9, 1, false},
	} {
		if got := l.isUpToDate(c.idx, c.term); got != c.want {
			t.Errorf("isUpToDate(%d@%d) = %v, want %v", c.idx, c.term, got, c.want)
		}
	}
}

func TestLogCompactAndRestore(t *testing.T) {
	l := mkLog(0, 0, 1, 1, 2, 3)
	l.compact(3)
	if l.snapIndex != 3 || l.snapTerm != 2 || l.lastIndex() != 4 || l.at(4).Term != 3 {
		t.Errorf("after compact(3): snap %d@%d last %d", l.snapIndex, l.snapTerm, l.lastIndex())
	}
	// A snapshot matching an entry keeps what follows it.
	l = mkLog(0, 0, 1, 1, 2, 3)
	l.restore(2, 1)
	if l.snapIndex != 2 || l.lastIndex() != 4 {
		t.Errorf("restore(2@1) kept %d..%d", l.snapIndex, l.lastIndex())
	}
	// One that conflicts, or reaches past the end, discards the log.
	for _, c := range []struct{ idx, term int }{{3, 5}, {9, 4}} {
		l = mkLog(0, 0, 1, 1, 2, 3)
		l.restore(c.idx, c.term)
		if l.snapIndex != c.idx || l.snapTerm != c.term || len(l.entries) != 0 {
			t.Errorf("restore(%d@%d): snap %d@%d, %d entries", c.idx, c.term, l.snapIndex, l.snapTerm, len(l.entries))
		}
	}
}

func TestLogSliceCopies(t *testing.T) {
	l := mkLog(0, 0, 1, 1, 1)
	s := l.slice(2, 3)
	l.truncateFrom(2)
	l.append(Entry{Index: 2, Term: 7})
	if s[0].Term != 1 {
		t.Errorf("slice shares the log's array: got term %d after overwrite", s[0].Term)
	}
}
