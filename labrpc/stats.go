package labrpc

// CallStats counts what happened to the calls toward one server or of one
// method. A call is counted once it completes.
type CallStats struct {
	Calls          int64 // completed calls
	Delivered      int64 // handler runs, duplicates included
	Replies        int64 // calls that returned true
	RequestDropped int64
	ReplyDropped   int64
	Reordered      int64 // replies delivered late (also counted in Replies)
	Duplicated     int64 // extra deliveries (also counted in Delivered)
	NoRoute        int64
	DeadServer     int64
	Misuse         int64
	Cancelled      int64
	RequestBytes   int64
	ReplyBytes     int64
}

// Stats is a snapshot of the network's counters.
type Stats struct {
	Calls   int64                // every Call made (GetTotalCount)
	Bytes   int64                // GetTotalBytes
	Servers map[string]CallStats // by server name (fmt.Sprint); calls on unconnected ends are under ""
	Methods map[string]CallStats // by "Service.Method"
}

type statsTable struct {
	servers map[string]*CallStats
	methods map[string]*CallStats
}

func (s *statsTable) init() {
	s.servers = map[string]*CallStats{}
	s.methods = map[string]*CallStats{}
}

func (s *statsTable) server(name string) *CallStats { return entry(s.servers, name) }
func (s *statsTable) method(name string) *CallStats { return entry(s.methods, name) }

func entry(m map[string]*CallStats, k string) *CallStats {
	st, ok := m[k]
	if !ok {
		st = &CallStats{}
		m[k] = st
	}
	return st
}

func (s *statsTable) count(c *call, o Outcome) {
	for _, st := range [2]*CallStats{s.server(c.r.to), s.method(c.method)} {
		st.Calls++
		st.RequestBytes += c.reqBytes
		st.ReplyBytes += c.replyBytes
		if c.delivered {
			st.Delivered++
		}
		switch o {
		case Delivered:
			st.Replies++
		case Reordered:
			st.Replies++
			st.Reordered++
		case RequestDropped:
			st.RequestDropped++
		case ReplyDropped:
			st.ReplyDropped++
		case NoRoute:
			st.NoRoute++
		case DeadServer:
			st.DeadServer++
		case Misuse:
			st.Misuse++
		case Cancelled:
			st.Cancelled++
		}
	}
}

// Stats returns a snapshot of the counters per server and per method.
func (n *Network) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := Stats{Calls: n.totalCount.Load(), Bytes: n.totalBytes.Load(),
		Servers: make(map[string]CallStats, len(n.stats.servers)),
		Methods: make(map[string]CallStats, len(n.stats.methods))}
	for k, v := range n.stats.servers {
		out.Servers[k] = *v
	}
	for k, v := range n.stats.methods {
		out.Methods[k] = *v
	}
	return out
}
