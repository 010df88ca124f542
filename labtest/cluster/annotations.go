package cluster

import (
	"slices"
	"time"
)

// Annotation is one thing the harness did or saw, for the linearizability
// picture: a point (End is zero) or an interval (a partition from its start
// to its heal, a server down from crash to restart, a leader's term).
// Tag names the row it belongs on ("test", "leader", "server-100-2").
type Annotation struct {
	Kind  AnnotationKind
	Tag   string
	Desc  string
	Start time.Time
	End   time.Time
}

// AnnotationKind says what an annotation records, so that a picture can
// tell faults from the test's own steps without reading its text.
type AnnotationKind int

const (
	// Action is a step of the test (a point): start, crash, heal, ...
	Action AnnotationKind = iota
	// Down is a server from its crash to its restart.
	Down
	// Disconnected is a server from its disconnection to its reconnection.
	Disconnected
	// Partitioned is a group's partition, from its start to its heal.
	Partitioned
	// Leading is a server's leadership of a term, until the next term's
	// leader is seen.
	Leading
)

// Annotations returns what was recorded so far, in order of start.
// Intervals still open end now.
func (w *World) Annotations() []Annotation {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := slices.Clone(w.annotations)
	now := time.Now()
	for _, i := range w.open {
		out[i].End = now
	}
	slices.SortStableFunc(out, func(a, b Annotation) int { return a.Start.Compare(b.Start) })
	return out
}

func (w *World) annotate(a Annotation) {
	w.mu.Lock()
	w.annotations = append(w.annotations, a)
	w.mu.Unlock()
}

// openInterval starts an interval annotation under key, closing any
// interval open under the same key first.
func (w *World) openInterval(key string, a Annotation) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeLocked(key, a.Start)
	w.open[key] = len(w.annotations)
	w.annotations = append(w.annotations, a)
}

// closeInterval ends the interval open under key, if any.
func (w *World) closeInterval(key string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.closeLocked(key, time.Now())
}

func (w *World) closeLocked(key string, at time.Time) {
	if i, ok := w.open[key]; ok {
		w.annotations[i].End = at
		delete(w.open, key)
	}
}
