package labrpc

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"runtime/pprof"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Server is a set of services reachable under one server name.
type Server struct {
	mu       sync.Mutex
	services map[string]*Service
	count    atomic.Int64
}

// MakeServer returns a server without services.
func MakeServer() *Server {
	return &Server{services: map[string]*Service{}}
}

// AddService adds a service; one with the same name is replaced.
func (rs *Server) AddService(svc *Service) {
	if svc == nil {
		return
	}
	rs.mu.Lock()
	rs.services[svc.name] = svc
	rs.mu.Unlock()
}

// GetCount returns how many requests were delivered to this server.
func (rs *Server) GetCount() int { return int(rs.count.Load()) }

func (rs *Server) lookup(svcMeth string) (*Service, *method, error) {
	dot := strings.LastIndexByte(svcMeth, '.')
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if dot < 0 {
		return nil, nil, fmt.Errorf("labrpc: %q is not \"Service.Method\"; this server has %s", svcMeth, rs.describeLocked())
	}
	svc, ok := rs.services[svcMeth[:dot]]
	if !ok {
		return nil, nil, fmt.Errorf("labrpc: unknown service %q in %q; this server has %s", svcMeth[:dot], svcMeth, rs.describeLocked())
	}
	m, ok := svc.methods[svcMeth[dot+1:]]
	if !ok {
		msg := fmt.Sprintf("labrpc: unknown method %q of service %s; its handlers are %s", svcMeth[dot+1:], svc.name, svc.describe())
		if why, ok := svc.rejected[svcMeth[dot+1:]]; ok {
			msg += fmt.Sprintf("; %s.%s exists but is not a handler: %s", svc.name, svcMeth[dot+1:], why)
		}
		return nil, nil, fmt.Errorf("%s", msg)
	}
	return svc, m, nil
}

func (rs *Server) describeLocked() string {
	if len(rs.services) == 0 {
		return "no services (call AddService)"
	}
	var parts []string
	for _, svc := range rs.services {
		parts = append(parts, svc.name+" "+svc.describe())
	}
	slices.Sort(parts)
	return "services " + strings.Join(parts, ", ")
}

type labelKey struct{ server, method string }

// labelCtx caches one pprof label set per server and method, so that
// labelling a handler goroutine costs no allocation.
func (n *Network) labelCtx(server, method string) context.Context {
	k := labelKey{server, method}
	if v, ok := n.labels.Load(k); ok {
		return v.(context.Context)
	}
	ctx := pprof.WithLabels(context.Background(), pprof.Labels("server", server, "method", method))
	v, _ := n.labels.LoadOrStore(k, ctx)
	return v.(context.Context)
}

// handlerJob is one handler run.
type handlerJob struct {
	ctx    context.Context // pprof labels
	m      *method
	rcvr   reflect.Value
	argv   reflect.Value
	replyp reflect.Value
	res    chan<- error
}

// startHandler runs a handler on its own goroutine, so that the caller can
// give up on it when the server dies. (A pool of idle workers would save
// the goroutine start, but idle workers would outlive the calls and keep
// a synctest bubble whose test forgot Cleanup from ending.)
func (n *Network) startHandler(slot *serverSlot, svc *Service, m *method, svcMeth string, argv, replyp reflect.Value, res chan<- error) {
	slot.srv.count.Add(1)
	j := handlerJob{ctx: n.labelCtx(slot.nameStr, svcMeth), m: m, rcvr: svc.rcvr, argv: argv, replyp: replyp, res: res}
	go func() {
		pprof.SetGoroutineLabels(j.ctx)
		runJob(j)
	}()
}

// runJob answers the caller even if the handler ends its goroutine with
// runtime.Goexit (t.FailNow in a handler): the caller would wait forever.
func runJob(j handlerJob) {
	answered := false
	defer func() {
		if !answered {
			j.res <- errors.New("handler called runtime.Goexit (t.FailNow, t.SkipNow or log.Fatal-like code in an RPC handler?); report failures from handlers with t.Errorf")
		}
	}()
	err := j.m.invoke(j.rcvr, j.argv, j.replyp)
	answered = true
	j.res <- err
}

// duplicate delivers a second copy of c's request after delay; its reply
// is thrown away.
func (n *Network) duplicate(c *call, svc *Service, m *method, argv reflect.Value, delay time.Duration) {
	if !n.track() {
		return
	}
	go func() {
		defer n.wg.Done()
		if !n.sleep(delay, c.r.slot.dead) {
			return
		}
		n.record(TraceEvent{At: time.Now(), From: c.r.from, To: c.r.to, End: c.end.nameStr, Method: c.method, Call: c.k, Outcome: Duplicated, Detail: "second delivery after " + delay.String()})
		n.mu.Lock()
		for _, st := range []*CallStats{n.stats.server(c.r.to), n.stats.method(c.method)} {
			st.Duplicated++
			st.Delivered++
		}
		n.mu.Unlock()
		res := make(chan error, 1)
		n.startHandler(c.r.slot, svc, m, c.method, argv, reflect.New(m.replyType), res)
		select {
		case err := <-res:
			if err != nil {
				n.fail(fmt.Errorf("labrpc: duplicate of Call(%q) from %s to server %s: %w", c.method, c.r.from, c.r.to, err))
			}
		case <-c.r.slot.dead:
		case <-n.done:
		}
	}()
}
