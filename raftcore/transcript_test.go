package raftcore

// A tiny transcript runner in the spirit of datadriven tests: each file in
// testdata/ is a sequence of blocks
//
//	command key=value ...
//	optional input lines (messages, for step and unreachable)
//	----
//	expected output
//	(blank line)
//
// The runner executes the commands against a small simulated cluster and
// compares what the cores did with the expected output. Run
//
//	go test ./raftcore -run TestTranscripts -rewrite
//
// to write the actual output into the files instead (then review the diff).

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var rewrite = flag.Bool("rewrite", false, "rewrite the expected output of the transcripts in testdata/")

type block struct {
	cmd    string   // the command line
	input  []string // lines between the command and ----
	output string   // expected output
	line   int      // line number of the command
}

func parseTranscript(t *testing.T, path string) []block {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var blocks []block
	lines := strings.Split(string(data), "\n")
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		b := block{cmd: l, line: i + 1}
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "----"; i++ {
			if in := strings.TrimSpace(lines[i]); in != "" {
				b.input = append(b.input, in)
			}
		}
		if i >= len(lines) {
			t.Fatalf("%s:%d: missing ----", path, b.line)
		}
		var out []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			out = append(out, lines[i])
		}
		b.output = strings.Join(out, "\n")
		blocks = append(blocks, b)
	}
	return blocks
}

func writeTranscript(t *testing.T, path string, blocks []block, actual []string) {
	// Keep the comments and layout of the file; replace each block's output.
	data, _ := os.ReadFile(path)
	lines := strings.Split(string(data), "\n")
	var out []string
	bi := 0
	for i := 0; i < len(lines); i++ {
		if bi < len(blocks) && i+1 == blocks[bi].line {
			for ; strings.TrimSpace(lines[i]) != "----"; i++ {
				out = append(out, lines[i])
			}
			out = append(out, "----")
			if actual[bi] != "" {
				out = append(out, actual[bi])
			}
			for i++; i < len(lines) && strings.TrimSpace(lines[i]) != ""; i++ {
			}
			out = append(out, "")
			bi++
			continue
		}
		out = append(out, lines[i])
	}
	text := strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestTranscripts(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txt")
	if len(files) == 0 {
		t.Fatal("no transcripts")
	}
	for _, path := range files {
		t.Run(strings.TrimSuffix(filepath.Base(path), ".txt"), func(t *testing.T) {
			blocks := parseTranscript(t, path)
			env := &tenv{t: t}
			actual := make([]string, len(blocks))
			for i, b := range blocks {
				actual[i] = strings.TrimRight(env.run(b), "\n")
				if !*rewrite && actual[i] != b.output {
					t.Errorf("%s:%d: %s\n--- expected:\n%s\n--- actual:\n%s", path, b.line, b.cmd, b.output, actual[i])
				}
			}
			if *rewrite {
				writeTranscript(t, path, blocks, actual)
			}
		})
	}
}

// tenv is a transcript's world: the cores, what each last persisted (its
// disk), and the messages sent but not yet delivered (the network).
type tenv struct {
	t        *testing.T
	cfg      Config
	cores    []*Core
	disk     []diskState
	queue    []Message
	out      strings.Builder
	seed     uint64
	restarts int
	isolated map[int]bool
}

type diskState struct {
	state    *PersistentState
	snapshot []byte
}

func (e *tenv) printf(format string, args ...any) { fmt.Fprintf(&e.out, format, args...) }

func (e *tenv) run(b block) string {
	e.out.Reset()
	fields := strings.Fields(b.cmd)
	name, args := fields[0], parseArgs(e.t, fields[1:])
	defer func() {
		if r := recover(); r != nil {
			e.printf("panic: %v\n", r)
		}
	}()
	switch name {
	case "cluster":
		e.cluster(args)
	case "restore":
		e.restore(args)
	case "tick":
		id := args.int("id", -1)
		n := args.int("n", 1)
		for range n {
			e.cores[id].Tick()
		}
		e.ready(id)
	case "campaign":
		// Tick id until its election timeout fires.
		id := args.int("id", -1)
		c := e.cores[id]
		term := c.term
		for i := 0; c.term == term && c.role != Leader; i++ {
			if i > 1000 {
				e.t.Fatalf("line %d: %d never campaigned", b.line, id)
			}
			c.Tick()
		}
		e.ready(id)
	case "heartbeat":
		// Tick the leader id until it sends heartbeats.
		id := args.int("id", -1)
		c := e.cores[id]
		for i := 0; len(c.msgs) == 0; i++ {
			if i > 1000 {
				e.t.Fatalf("line %d: %d sent nothing", b.line, id)
			}
			c.Tick()
		}
		e.ready(id)
	case "read":
		// A ReadIndex request with id req on server id.
		id := args.int("id", -1)
		e.cores[id].ReadIndex(uint64(args.int("req", 1)))
		e.ready(id)
	case "propose":
		id := args.int("id", -1)
		idx, term, ok := e.cores[id].Propose(args.str("cmd", "x"))
		e.printf("propose: index=%d term=%d leader=%v\n", idx, term, ok)
		e.ready(id)
	case "step":
		for _, l := range b.input {
			m := parseMessage(e.t, l)
			e.deliver(m)
		}
	case "unreachable":
		for _, l := range b.input {
			m := parseMessage(e.t, l)
			e.cores[m.From].ReportUnreachable(m)
			e.ready(m.From)
		}
	case "deliver":
		e.deliverQueued(args)
	case "stabilize":
		for i := 0; e.deliverQueued(args) > 0; i++ {
			if i > 100 {
				e.t.Fatalf("line %d: no quiescence", b.line)
			}
		}
	case "compact":
		id := args.int("id", -1)
		e.cores[id].Compact(args.int("index", -1), []byte(args.str("data", "")))
		e.ready(id)
	case "restart":
		id := args.int("id", -1)
		e.restart(id)
		e.status(id)
	case "status":
		if id := args.int("id", -1); id >= 0 {
			e.status(id)
		} else {
			for id := range e.cores {
				e.status(id)
			}
		}
	case "isolate":
		// Messages to or from id are lost from now on, silently.
		e.isolated[args.int("id", -1)] = true
	case "heal":
		clear(e.isolated)
	case "queue":
		for _, m := range e.queue {
			e.printf("%v\n", m)
		}
	default:
		e.t.Fatalf("line %d: unknown command %q", b.line, name)
	}
	return e.out.String()
}

func (e *tenv) cluster(args targs) {
	n := args.int("n", 3)
	e.seed = uint64(args.int("seed", 1))
	e.cfg = Config{
		Peers:            n,
		ElectionTicks:    args.int("election", 10),
		HeartbeatTicks:   args.int("heartbeat", 3),
		MaxEntries:       args.int("maxentries", 0),
		ReadTimeoutTicks: args.int("readtimeout", 0),
	}
	e.cores = make([]*Core, n)
	e.disk = make([]diskState, n)
	e.queue = nil
	e.isolated = map[int]bool{}
	for id := range n {
		e.restart(id)
	}
}

func (e *tenv) restart(id int) {
	cfg := e.cfg
	cfg.ID = id
	e.restarts++
	cfg.Rand = rand.New(rand.NewPCG(e.seed, uint64(id*1000+e.restarts)))
	cfg.State, cfg.Snapshot = e.disk[id].state, e.disk[id].snapshot
	e.cores[id] = New(cfg)
	// Messages to or from the old incarnation are lost with it.
	var kept []Message
	for _, m := range e.queue {
		if m.To != id && m.From != id {
			kept = append(kept, m)
		}
	}
	e.queue = kept
}

// restore id=1 term=2 vote=0 log=1@1,2@1 snap=2@1 data=x: put a server's
// disk in the given state and restart it from there.
func (e *tenv) restore(args targs) {
	id := args.int("id", -1)
	st := &PersistentState{Term: args.int("term", 0), VotedFor: args.int("vote", None)}
	if s := args.str("snap", ""); s != "" {
		st.SnapIndex, st.SnapTerm = parseAt(e.t, s)
	}
	if l := args.str("log", ""); l != "" {
		for _, es := range strings.Split(l, ",") {
			st.Entries = append(st.Entries, parseEntry(e.t, es))
		}
	}
	var snap []byte
	if d := args.str("data", ""); d != "" {
		snap = []byte(d)
	}
	e.disk[id] = diskState{st, snap}
	e.restart(id)
	e.status(id)
}

// deliver hands m to its recipient and prints what it did.
func (e *tenv) deliver(m Message) {
	e.printf("%v\n", m)
	reply := e.cores[m.To].Step(m)
	e.ready(m.To)
	if reply != nil {
		e.printf("  reply: %v\n", *reply)
		e.queue = append(e.queue, *reply)
	}
}

// deliverQueued delivers (or with drop, loses) the queued messages, in
// order, that match the from/to filters. Messages they cause are queued,
// not delivered.
func (e *tenv) deliverQueued(args targs) (n int) {
	from, to, drop := args.int("from", -1), args.int("to", -1), args.has("drop")
	queue := e.queue
	e.queue = nil
	for _, m := range queue {
		if (from >= 0 && m.From != from) || (to >= 0 && m.To != to) {
			e.queue = append(e.queue, m)
			continue
		}
		n++
		if drop || e.isolated[m.From] || e.isolated[m.To] {
			e.printf("dropped: %v\n", m)
			continue
		}
		e.deliver(m)
	}
	return n
}

// ready collects core id's Ready, saves its state to the disk and queues
// its messages, printing each part.
func (e *tenv) ready(id int) {
	rd := e.cores[id].Ready()
	if rd.Persist {
		st := rd.State
		e.disk[id] = diskState{&st, rd.Snapshot}
		e.printf("  %d persist: term=%d vote=%d log=%s", id, st.Term, st.VotedFor, logString(st.SnapIndex, st.SnapTerm, st.Entries))
		if len(rd.Snapshot) > 0 {
			e.printf(" snapshot=%q", rd.Snapshot)
		}
		e.printf("\n")
	}
	for _, m := range rd.Messages {
		e.printf("  %d send: %v\n", id, m)
		e.queue = append(e.queue, m)
	}
	for _, r := range rd.Reads {
		if r.OK {
			e.printf("  %d read %d: index=%d term=%d\n", id, r.ID, r.Index, r.Term)
		} else {
			e.printf("  %d read %d: failed term=%d\n", id, r.ID, r.Term)
		}
	}
	for _, a := range rd.Apply {
		if a.SnapshotValid {
			e.printf("  %d apply snapshot %d@%d %q\n", id, a.SnapshotIndex, a.SnapshotTerm, a.Snapshot)
		} else {
			e.printf("  %d apply %v\n", id, Entry{Index: a.CommandIndex, Term: a.CommandTerm, Command: a.Command})
		}
	}
}

func (e *tenv) status(id int) {
	c := e.cores[id]
	e.printf("%d: %v term=%d vote=%d leader=%d commit=%d applied=%d log=%s\n",
		id, c.role, c.term, c.votedFor, c.leader, c.commit, c.applied,
		logString(c.log.snapIndex, c.log.snapTerm, c.log.entries))
	if c.role == Leader {
		for p, pr := range c.progress {
			if p != id {
				e.printf("  progress %d: match=%d next=%d inflight=%v\n", p, pr.match, pr.next, pr.inflight)
			}
		}
	}
}

func logString(snapIndex, snapTerm int, es []Entry) string {
	s := entriesString(es)
	if snapIndex > 0 {
		s = fmt.Sprintf("snap(%d@%d)+%s", snapIndex, snapTerm, s)
	}
	return s
}

// targs are a command's key=value arguments; a bare word is a flag.
type targs struct {
	t *testing.T
	m map[string]string
}

func parseArgs(t *testing.T, fields []string) targs {
	a := targs{t, map[string]string{}}
	for _, f := range fields {
		k, v, _ := strings.Cut(f, "=")
		a.m[k] = v
	}
	return a
}

func (a targs) has(k string) bool { _, ok := a.m[k]; return ok }

func (a targs) str(k, def string) string {
	if v, ok := a.m[k]; ok {
		return v
	}
	return def
}

func (a targs) int(k string, def int) int {
	v, ok := a.m[k]
	if !ok {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		a.t.Fatalf("argument %s=%q: %v", k, v, err)
	}
	return n
}

// parseAt reads "index@term".
func parseAt(t *testing.T, s string) (int, int) {
	a, b, ok := strings.Cut(s, "@")
	i, err1 := strconv.Atoi(a)
	j, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("bad index@term %q", s)
	}
	return i, j
}

// parseEntry reads "index@term" or "index@term:command".
func parseEntry(t *testing.T, s string) Entry {
	at, cmd, hasCmd := strings.Cut(s, ":")
	i, term := parseAt(t, at)
	e := Entry{Index: i, Term: term}
	if hasCmd {
		e.Command = cmd
	}
	return e
}

// parseMessage reads a message in the form Message.String prints.
func parseMessage(t *testing.T, line string) Message {
	// Re-join the bracketed entry list into one token.
	var toks []string
	raw := strings.Fields(line)
	for i := 0; i < len(raw); i++ {
		tok := raw[i]
		if strings.HasPrefix(tok, "entries=[") {
			for !strings.HasSuffix(tok, "]") && i+1 < len(raw) {
				i++
				tok += " " + raw[i]
			}
		}
		toks = append(toks, tok)
	}
	if len(toks) < 3 {
		t.Fatalf("bad message %q", line)
	}
	var m Message
	for k, name := range kindNames {
		if name == toks[0] {
			m.Kind = MsgKind(k)
		}
	}
	if m.Kind == 0 {
		t.Fatalf("bad message kind in %q", line)
	}
	from, to, _ := strings.Cut(toks[1], "->")
	m.From, _ = strconv.Atoi(from)
	m.To, _ = strconv.Atoi(to)
	for _, tok := range toks[2:] {
		k, v, _ := strings.Cut(tok, "=")
		atoi := func() int {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("bad %s in %q", k, line)
			}
			return n
		}
		switch k {
		case "term":
			m.Term = atoi()
		case "last":
			m.LastLogIndex, m.LastLogTerm = parseAt(t, v)
		case "granted":
			m.VoteGranted = true
		case "rejected", "rejected(term)":
		case "prev":
			if m.Kind == MsgApp {
				m.PrevLogIndex, m.PrevLogTerm = parseAt(t, v)
			} else {
				m.RejectIndex = atoi()
			}
		case "hint":
			m.ConflictIndex, m.ConflictTerm = parseAt(t, v)
		case "commit":
			m.LeaderCommit = atoi()
		case "entries":
			for _, es := range strings.Fields(strings.Trim(v, "[]")) {
				m.Entries = append(m.Entries, parseEntry(t, es))
			}
		case "ok":
			m.Success = true
		case "match":
			m.MatchIndex = atoi()
		case "round":
			m.Round = atoi()
		case "snap":
			m.SnapIndex, m.SnapTerm = parseAt(t, v)
		case "data":
			s, err := strconv.Unquote(v)
			if err != nil {
				t.Fatalf("bad data in %q", line)
			}
			m.SnapData = []byte(s)
		default:
			t.Fatalf("unknown field %q in %q", k, line)
		}
	}
	return m
}
