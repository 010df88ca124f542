package cluster

import (
	"fmt"
	"time"

	"raftlab/dlog"
)

// ElectionTimeout is the classic bound the tests grant an election: a
// correct Raft elects a new leader well within it once a majority can talk.
const ElectionTimeout = 1 * time.Second

// raftOf returns server i's Raft state, or nil when it is down or the group
// has no Raft.
func (g *Group[S]) raftOf(i int) RaftState {
	if g.spec.Raft == nil {
		return nil
	}
	server, alive := g.Server(i)
	if !alive {
		return nil
	}
	return g.spec.Raft(server)
}

// Survey reads every live server's GetState and checks election safety
// two ways:
//
//   - no two servers ever claim the same term (remembered across calls);
//   - a leader of term T has the votes to show for it: every voter adopts
//     T before it grants its vote, and terms never go down, so a majority,
//     the leader included, must be at term T or beyond. Crashed servers get
//     the benefit of the doubt. The terms are read after every claim was
//     read, so a vote granted in between cannot fail a correct Raft.
//
// It returns the leaders among the connected servers, by term, and the
// first violation. Safe on any goroutine.
func (g *Group[S]) Survey() (map[int][]int, error) {
	type claim struct{ server, term int }
	var claims []claim
	byTerm := map[int][]int{}
	n := g.spec.N
	for i := 0; i < n; i++ {
		rf := g.raftOf(i)
		if rf == nil {
			continue
		}
		if term, isLeader := rf.GetState(); isLeader {
			claims = append(claims, claim{i, term})
			if g.Connected(i) {
				byTerm[term] = append(byTerm[term], i)
			}
			if err := g.recordLeader(term, i); err != nil {
				return byTerm, err
			}
		}
	}
	if len(claims) == 0 {
		return byTerm, nil
	}
	terms := make([]int, n) // -1: down, may have voted
	for j := 0; j < n; j++ {
		terms[j] = -1
		if rf := g.raftOf(j); rf != nil {
			terms[j], _ = rf.GetState()
		}
	}
	for _, c := range claims {
		support := 1
		for j := 0; j < n; j++ {
			if j != c.server && (terms[j] == -1 || terms[j] >= c.term) {
				support++
			}
		}
		if 2*support <= n {
			return byTerm, fmt.Errorf("election safety: server %v leads term %d, but only %d of %d servers have reached that term (terms now %v): it cannot have had the votes of a majority%s",
				g.ServerName(c.server), c.term, support, n, terms, g.w.StepSuffix())
		}
	}
	return byTerm, nil
}

// recordLeader records that server i claims to lead term: two leaders of
// one term, at any two moments, break election safety.
func (g *Group[S]) recordLeader(term, i int) error {
	g.mu.Lock()
	prev, ok := g.leaders[term]
	if !ok {
		g.leaders[term] = i
	}
	g.mu.Unlock()
	if !ok {
		g.w.H.Logger("probe").Printf(dlog.Election, "%v leads term %d", g.ServerName(i), term)
		g.w.openInterval("leader "+g.spec.Prefix, Annotation{Kind: Leading, Tag: "leader",
			Desc: fmt.Sprintf("%v leads term %d", g.ServerName(i), term), Start: nowTime()})
		return nil
	}
	if prev != i {
		return fmt.Errorf("election safety: servers %v and %v both led term %d%s",
			g.ServerName(prev), g.ServerName(i), term, g.w.StepSuffix())
	}
	return nil
}

// PollLeaders is Survey on the test goroutine: a violation fails the test.
func (g *Group[S]) PollLeaders() map[int][]int {
	byTerm, err := g.Survey()
	if err != nil {
		g.w.Fatalf("%v", err)
	}
	return byTerm
}

// CheckOneLeader waits for the connected servers to settle on one leader
// and returns it; it fails the test if none emerges within five election
// timeouts. Test goroutine only.
func (g *Group[S]) CheckOneLeader() int {
	deadline := time.Now().Add(5 * ElectionTimeout)
	for time.Now().Before(deadline) {
		g.w.Sleep(time.Duration(450+g.w.Rand.IntN(100)) * time.Millisecond)
		byTerm := g.PollLeaders()
		last := -1
		for term, ls := range byTerm {
			if len(ls) > 1 {
				g.w.Fatalf("election safety: term %d has %d leaders: %v", term, len(ls), ls)
			}
			last = max(last, term)
		}
		if last != -1 {
			return byTerm[last][0]
		}
	}
	g.w.Fatalf("liveness: no leader elected within %v among connected servers %v", 5*ElectionTimeout, g.ConnectedList())
	return -1
}

// Leader returns the live server that claims to lead the highest term, if
// any, without waiting. Safe on any goroutine.
func (g *Group[S]) Leader() (int, bool) {
	leader, best := -1, -1
	for i := 0; i < g.spec.N; i++ {
		if rf := g.raftOf(i); rf != nil {
			if term, isLeader := rf.GetState(); isLeader && term > best {
				leader, best = i, term
			}
		}
	}
	return leader, leader != -1
}

// CheckTerms returns the term all connected servers agree on, failing the
// test if they disagree.
func (g *Group[S]) CheckTerms() int {
	term := -1
	for i := 0; i < g.spec.N; i++ {
		rf := g.raftOf(i)
		if rf == nil || !g.Connected(i) {
			continue
		}
		xterm, _ := rf.GetState()
		if term == -1 {
			term = xterm
		} else if term != xterm {
			g.w.Fatalf("connected servers disagree on the term: %d vs %d (server %v)", term, xterm, g.ServerName(i))
		}
	}
	return term
}

// CheckNoLeader fails the test if any connected server believes it leads.
func (g *Group[S]) CheckNoLeader() {
	for i := 0; i < g.spec.N; i++ {
		rf := g.raftOf(i)
		if rf == nil || !g.Connected(i) {
			continue
		}
		if term, isLeader := rf.GetState(); isLeader {
			g.w.Fatalf("server %v claims leadership of term %d without a majority (connected: %v)", g.ServerName(i), term, g.ConnectedList())
		}
	}
}
