package raftcore

import (
	"fmt"
	"math/rand/v2"

	"raftlab/dlog"
)

// None is the votedFor of a server that has not voted in its current term,
// and the leader of a server that does not know one.
const None = -1

// Role is a server's state in Figure 4.
type Role uint8

const (
	Follower Role = iota
	Candidate
	Leader
)

func (r Role) String() string {
	switch r {
	case Follower:
		return "follower"
	case Candidate:
		return "candidate"
	case Leader:
		return "leader"
	}
	return fmt.Sprintf("role(%d)", uint8(r))
}

// Config configures a Core. Times are in ticks, the unit of Core.Tick.
type Config struct {
	ID    int // this server, in [0, Peers)
	Peers int // cluster size; the servers are 0..Peers-1

	// ElectionTicks is the minimum election timeout; each timeout is drawn
	// uniformly from [ElectionTicks, ElectionTicks+ElectionSpreadTicks) so
	// that split votes are rare and resolve quickly (§5.2).
	ElectionTicks int
	// ElectionSpreadTicks is the width of that range. Zero means
	// ElectionTicks: timeouts in [ElectionTicks, 2*ElectionTicks).
	ElectionSpreadTicks int
	// HeartbeatTicks is the leader's heartbeat period. It must be well
	// below ElectionTicks (§5.6: broadcastTime << electionTimeout).
	HeartbeatTicks int
	// RetransmitTicks is how long an AppendEntries or InstallSnapshot may
	// go unanswered before the leader sends it again (checked at each
	// heartbeat). Zero means 2*HeartbeatTicks.
	RetransmitTicks int
	// MaxEntries caps the entries in one AppendEntries. Zero means 512.
	MaxEntries int
	// ReadTimeoutTicks is how long a ReadIndex request may wait for a
	// majority to confirm the leadership before it fails. Zero means
	// ElectionTicks.
	ReadTimeoutTicks int

	// Rand supplies the randomized election timeouts. Required.
	Rand *rand.Rand
	// Logger receives debug lines; nil discards them.
	Logger *dlog.Logger

	// State and Snapshot restore a server after a crash: the last state and
	// snapshot the driver saved from a Ready. Both empty for a fresh server.
	State    *PersistentState
	Snapshot []byte
}

// Core is one Raft server's protocol state. It is not safe for concurrent
// use: the driver serializes all calls (one mutex).
type Core struct {
	id, n          int
	electionTicks  int
	electionSpread int
	heartbeatTicks int
	retransmit     int
	maxEntries     int
	readTimeout    int
	rand           *rand.Rand
	lg             *dlog.Logger

	// Persistent state on all servers (Figure 2), plus the snapshot (§7).
	term     int
	votedFor int
	log      raftLog
	snapshot []byte

	// Volatile state on all servers.
	role    Role
	leader  int // the leader of the current term, if known
	commit  int // highest index known to be committed
	applied int // highest index handed to the service in a Ready

	now              int // ticks since the Core was created
	electionElapsed  int // ticks since the election timer was last reset
	electionTimeout  int // current randomized timeout
	heartbeatElapsed int // leader: ticks since the last heartbeat

	votes    []bool     // candidate: who granted us their vote this term
	progress []progress // leader: what we know about each follower

	// Leader: ReadIndex (read.go).
	readRound     int // the latest confirmation round started
	readConfirmed int // the latest round a majority acknowledged
	reads         []pendingRead

	// Output waiting for the next Ready.
	msgs         []Message
	mustPersist  bool
	pendingApply []Apply
	readStates   []ReadState
}

// New returns a Core, restored from cfg.State and cfg.Snapshot if given.
// A restarted server is a follower; it knows entries up to the snapshot are
// committed and applied (the service restores itself from the snapshot), and
// learns of later commits from the leader.
func New(cfg Config) *Core {
	if cfg.Peers < 1 || cfg.ID < 0 || cfg.ID >= cfg.Peers {
		panic(fmt.Sprintf("raftcore.New: bad ID %d / Peers %d", cfg.ID, cfg.Peers))
	}
	if cfg.Rand == nil || cfg.ElectionTicks <= 0 || cfg.HeartbeatTicks <= 0 {
		panic("raftcore.New: Rand, ElectionTicks and HeartbeatTicks are required")
	}
	c := &Core{
		id: cfg.ID, n: cfg.Peers,
		electionTicks:  cfg.ElectionTicks,
		electionSpread: cfg.ElectionSpreadTicks,
		heartbeatTicks: cfg.HeartbeatTicks,
		retransmit:     cfg.RetransmitTicks,
		maxEntries:     cfg.MaxEntries,
		readTimeout:    cfg.ReadTimeoutTicks,
		rand:           cfg.Rand,
		lg:             cfg.Logger,
		votedFor:       None,
		leader:         None,
	}
	if c.electionSpread <= 0 {
		c.electionSpread = c.electionTicks
	}
	if c.retransmit <= 0 {
		c.retransmit = 2 * c.heartbeatTicks
	}
	if c.maxEntries <= 0 {
		c.maxEntries = 512
	}
	if c.readTimeout <= 0 {
		c.readTimeout = c.electionTicks
	}
	if st := cfg.State; st != nil {
		c.term, c.votedFor = st.Term, st.VotedFor
		c.log = raftLog{snapIndex: st.SnapIndex, snapTerm: st.SnapTerm, entries: append([]Entry(nil), st.Entries...)}
		c.commit, c.applied = st.SnapIndex, st.SnapIndex
	}
	if len(cfg.Snapshot) > 0 {
		c.snapshot = append([]byte(nil), cfg.Snapshot...)
	}
	c.role = Follower
	c.resetElectionTimer()
	return c
}

// ID returns the server's id.
func (c *Core) ID() int { return c.id }

// Term returns the current term.
func (c *Core) Term() int { return c.term }

// Role returns the server's current role.
func (c *Core) Role() Role { return c.role }

// Leader returns the leader of the current term if known, else None.
func (c *Core) Leader() int { return c.leader }

// State returns the current term and whether this server believes it is the
// leader: GetState of the lab API.
func (c *Core) State() (term int, isLeader bool) { return c.term, c.role == Leader }

// Commit returns the commit index.
func (c *Core) Commit() int { return c.commit }

// LastIndex returns the index of the last entry in the log.
func (c *Core) LastIndex() int { return c.log.lastIndex() }

// Tick advances logical time by one unit: followers and candidates count
// toward an election timeout, leaders toward the next heartbeat.
func (c *Core) Tick() {
	c.now++
	if c.role == Leader {
		c.heartbeatElapsed++
		if c.heartbeatElapsed >= c.heartbeatTicks {
			c.heartbeatElapsed = 0
			c.broadcastHeartbeat()
		}
		c.expireReads()
		return
	}
	c.electionElapsed++
	if c.electionElapsed >= c.electionTimeout {
		c.campaign()
	}
}

// Step feeds the Core one message from a peer. For a request (vote, app,
// snap) it returns the reply, which the driver must send only after saving
// the Ready that follows; for a reply it returns nil.
func (c *Core) Step(m Message) *Message {
	if m.To != c.id || m.From < 0 || m.From >= c.n || m.From == c.id {
		panic(fmt.Sprintf("raftcore: server %d got misaddressed message %v", c.id, m))
	}
	// Rules for All Servers (Figure 2): a higher term in any RPC, request
	// or reply, means ours is stale: adopt it and become a follower. If
	// the message comes from the new term's leader, remember it.
	if m.Term > c.term {
		leader := None
		if m.Kind == MsgApp || m.Kind == MsgSnap {
			leader = m.From
		}
		c.lg.Printf(dlog.Election, "term %d: %v from %d has higher term %d", c.term, m.Kind, m.From, m.Term)
		c.becomeFollower(m.Term, leader)
	}
	switch m.Kind {
	case MsgVote:
		r := c.handleVote(m)
		return &r
	case MsgApp:
		r := c.handleAppend(m)
		return &r
	case MsgSnap:
		r := c.handleSnapshot(m)
		return &r
	}
	// A reply from an earlier term answers a request we no longer care
	// about (we were candidate or leader in a term that is over).
	if m.Term < c.term {
		return nil
	}
	switch m.Kind {
	case MsgVoteResp:
		c.handleVoteResp(m)
	case MsgAppResp:
		c.handleAppendResp(m)
	case MsgSnapResp:
		c.handleSnapshotResp(m)
	default:
		panic(fmt.Sprintf("raftcore: unknown message kind %v", m.Kind))
	}
	return nil
}

// becomeFollower moves to term (which may be the current one) as a
// follower. Entering a new term clears the vote: one vote per term (§5.2).
//
// A follower's election timer is NOT reset here: Figure 2 resets it only on
// hearing from the current leader or granting a vote. Otherwise a server
// with a stale log that keeps timing out (say, just back from a partition)
// would, with each RequestVote of a higher term, hold off the elections it
// cannot win itself. A leader or candidate stepping down starts a fresh
// timer, since it was not counting one.
func (c *Core) becomeFollower(term, leader int) {
	if c.role != Follower {
		c.resetElectionTimer()
	}
	wasLeader := c.role == Leader
	if term > c.term {
		c.term = term
		c.votedFor = None
		c.mustPersist = true
	}
	if wasLeader {
		c.failReads()
	}
	if c.role != Follower || c.leader != leader {
		c.lg.Printf(dlog.Election, "term %d: follower (leader %d)", c.term, leader)
	}
	c.role = Follower
	c.leader = leader
	c.votes = nil
	c.progress = nil
}

// resetElectionTimer restarts the election countdown with a fresh random
// timeout.
func (c *Core) resetElectionTimer() {
	c.electionElapsed = 0
	c.electionTimeout = c.electionTicks + c.rand.IntN(c.electionSpread)
}

func (c *Core) send(m Message) {
	m.From = c.id
	m.Term = c.term
	c.msgs = append(c.msgs, m)
}

func (c *Core) quorum() int { return c.n/2 + 1 }
