package raftcore

import (
	"fmt"
	"strings"
)

// MsgKind says which RPC (or reply) a Message is. The three RPCs of the
// paper are requests; each request gets exactly one reply, produced by Step.
type MsgKind uint8

const (
	MsgVote     MsgKind = iota + 1 // RequestVote RPC (§5.2)
	MsgVoteResp                    // reply to MsgVote
	MsgApp                         // AppendEntries RPC (§5.3); no entries = heartbeat or probe
	MsgAppResp                     // reply to MsgApp
	MsgSnap                        // InstallSnapshot RPC (§7)
	MsgSnapResp                    // reply to MsgSnap
)

var kindNames = [...]string{"?", "vote", "vote-resp", "app", "app-resp", "snap", "snap-resp"}

func (k MsgKind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return fmt.Sprintf("kind(%d)", uint8(k))
}

// IsRequest reports whether a message of kind k expects a reply.
func (k MsgKind) IsRequest() bool { return k == MsgVote || k == MsgApp || k == MsgSnap }

// Entry is one log entry. Index is stored although it is implied by the
// position in the log: it makes messages and apply batches self-describing.
type Entry struct {
	Index   int
	Term    int
	Command any
}

func (e Entry) String() string {
	if e.Command == nil {
		return fmt.Sprintf("%d@%d", e.Index, e.Term)
	}
	return fmt.Sprintf("%d@%d:%v", e.Index, e.Term, e.Command)
}

// Message is every RPC of Figure 2 and Figure 13, and their replies, in one
// flat struct; Kind says which fields mean something. Term is always set: it
// is how stale leaders and candidates find out (§5.1).
type Message struct {
	Kind     MsgKind
	From, To int
	Term     int

	// MsgVote: the candidate's last log entry, for the up-to-date check (§5.4.1).
	LastLogIndex, LastLogTerm int
	// MsgVoteResp.
	VoteGranted bool

	// MsgApp: the entry preceding Entries, for the consistency check (§5.3).
	PrevLogIndex, PrevLogTerm int
	Entries                   []Entry
	LeaderCommit              int

	// MsgAppResp and MsgSnapResp.
	Success bool
	// MatchIndex (on success): the follower's log now agrees with the
	// leader's up to here. It is PrevLogIndex+len(Entries), never the
	// follower's last index, which may hold stale entries beyond.
	MatchIndex int
	// On a rejected MsgApp: RejectIndex is the PrevLogIndex that did not
	// match, and ConflictTerm/ConflictIndex the hint for fast backup (the
	// optimization at the end of §5.3): the term of the follower's entry at
	// RejectIndex and the first index the follower holds for that term, or
	// ConflictTerm 0 and ConflictIndex = follower's last index + 1 if its log
	// is too short. ConflictIndex 0 means "no hint": the request was rejected
	// for its stale term, not for its log.
	RejectIndex, ConflictTerm, ConflictIndex int

	// MsgSnap: the snapshot replaces the log up to and including SnapIndex.
	SnapIndex, SnapTerm int
	SnapData            []byte

	// MsgApp: the leader's latest ReadIndex round (read.go); MsgAppResp:
	// the round of the request it answers, if that request was of the
	// follower's term. 0: no round.
	Round int
}

// String renders a message on one line, as the transcripts show it.
func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d->%d term=%d", m.Kind, m.From, m.To, m.Term)
	switch m.Kind {
	case MsgVote:
		fmt.Fprintf(&b, " last=%d@%d", m.LastLogIndex, m.LastLogTerm)
	case MsgVoteResp:
		if m.VoteGranted {
			b.WriteString(" granted")
		} else {
			b.WriteString(" rejected")
		}
	case MsgApp:
		fmt.Fprintf(&b, " prev=%d@%d commit=%d", m.PrevLogIndex, m.PrevLogTerm, m.LeaderCommit)
		if len(m.Entries) > 0 {
			fmt.Fprintf(&b, " entries=%s", entriesString(m.Entries))
		}
		if m.Round > 0 {
			fmt.Fprintf(&b, " round=%d", m.Round)
		}
	case MsgAppResp, MsgSnapResp:
		switch {
		case m.Success:
			fmt.Fprintf(&b, " ok match=%d", m.MatchIndex)
		case m.ConflictIndex == 0:
			b.WriteString(" rejected(term)")
		default:
			fmt.Fprintf(&b, " rejected prev=%d hint=%d@%d", m.RejectIndex, m.ConflictIndex, m.ConflictTerm)
		}
		if m.Round > 0 {
			fmt.Fprintf(&b, " round=%d", m.Round)
		}
	case MsgSnap:
		fmt.Fprintf(&b, " snap=%d@%d data=%q", m.SnapIndex, m.SnapTerm, m.SnapData)
	}
	return b.String()
}

func entriesString(es []Entry) string {
	parts := make([]string, len(es))
	for i, e := range es {
		parts[i] = e.String()
	}
	return "[" + strings.Join(parts, " ") + "]"
}
