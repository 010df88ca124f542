package labrpc

import (
	"fmt"
	"reflect"
	"time"

	"raftlab/labgob"
)

// call is the state of one Call while it crosses the network.
type call struct {
	net    *Network
	end    *ClientEnd
	k      int64
	method string
	d      decisions
	r      callRoute

	// What the call carried, for the trace while the network logs: the
	// arguments rendered before the handler can keep and change them.
	values *CallValues

	reqBytes, replyBytes int64
	delivered            bool          // the handler ran
	departed             time.Duration // already spent before the route was final
}

func (c *call) run(args, reply any) bool {
	n := c.net
	r, cleaned := c.end.route()
	c.r = r
	if cleaned {
		c.finish(Cancelled, "network cleaned up")
		return false
	}

	rv := reflect.ValueOf(reply)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return c.misuse(fmt.Errorf("labrpc: Call(%q) on end %s: reply is %T; pass a pointer to a new, zero value of the handler's reply type", c.method, c.end.nameStr, reply))
	}

	// Deep-copy the args now: the request carries them as they are at the
	// moment of the call, whatever the caller does with them later.
	svc, m, ok := c.resolve(rv, reply)
	if !ok {
		return false
	}
	var argp reflect.Value
	if m != nil {
		argp = reflect.New(m.argType)
	} else if args != nil {
		argp = reflect.New(reflect.TypeOf(args))
	}
	if ok := c.copyArgs(&argp, args); !ok {
		return false
	}
	if n.traceValues.Load() {
		c.values = &CallValues{Args: renderValue(argp)}
	}

	// In replay mode the call leaves at the end of its instant, so that a
	// topology change made at the same instant (a tester disconnecting a
	// server right after Start) is seen whichever goroutine runs first.
	if r.depart > 0 {
		if !n.sleep(r.depart, nil) {
			c.finish(Cancelled, "network cleaned up")
			return false
		}
		c.departed = r.depart
		prev := r.slot
		r, cleaned = c.end.route()
		c.r = r
		if cleaned {
			c.finish(Cancelled, "network cleaned up")
			return false
		}
		if r.slot != nil && r.slot != prev {
			if svc, m, ok = c.resolve(rv, reply); !ok {
				return false
			}
			// Convert the call's own copy, not args, which the caller may
			// have changed since; its findings were reported by the first
			// copy.
			moved := reflect.New(m.argType)
			if _, _, err := labgob.Copy(moved.Interface(), argp.Interface()); err != nil {
				return c.misuse(fmt.Errorf("labrpc: Call(%q) on end %s: labgob cannot send args of type %T: %v", c.method, c.end.nameStr, args, err))
			}
			argp = moved
		}
	}

	if r.slot == nil {
		limit := 100 * time.Millisecond
		if r.longDelays {
			limit = 7000 * time.Millisecond
		}
		if !n.sleep(between(c.d.failDelay, 0, limit)-c.departed, nil) {
			c.finish(Cancelled, "network cleaned up")
			return false
		}
		c.finish(r.why, r.detail)
		return false
	}

	f := r.faults
	if delay := r.requestDelay(c.d) - c.departed; delay > 0 {
		if !n.sleep(delay, r.slot.dead) {
			return c.interrupted()
		}
	}
	if chance(c.d.dropReq, f.DropRequests) {
		c.finish(RequestDropped, "")
		return false
	}

	var argv reflect.Value
	if m.argPtr {
		argv = argp
	} else {
		argv = argp.Elem()
	}
	replyp := reflect.New(m.replyType)
	res := make(chan error, 1)
	c.delivered = true
	n.startHandler(r.slot, svc, m, c.method, argv, replyp, res)

	if chance(c.d.dup, f.Duplicates) {
		dup := reflect.New(m.argType)
		if c.copyArgs(&dup, args) {
			if !m.argPtr {
				dup = dup.Elem()
			}
			n.duplicate(c, svc, m, dup, between(c.d.dupDelay, f.MinDelay, f.MaxDelay+time.Millisecond))
		}
	}

	select {
	case err := <-res:
		if err != nil {
			return c.misuse(fmt.Errorf("labrpc: Call(%q) from %s to server %s: %w", c.method, r.from, r.to, err))
		}
		if c.values != nil {
			c.values.Reply = renderValue(replyp)
		}
	case <-r.slot.dead:
		c.finish(DeadServer, "server deleted while its handler ran")
		return false
	case <-r.off:
		c.finish(NoRoute, "end disabled while the handler ran")
		return false
	case <-n.done:
		c.finish(Cancelled, "network cleaned up")
		return false
	}

	if ok, why := n.replyPossible(c.end, &c.r); !ok {
		c.finish(DeadServer, why)
		return false
	}
	if chance(c.d.dropReply, f.DropReplies) {
		c.finish(ReplyDropped, "")
		return false
	}
	outcome, detail := Delivered, ""
	if f.ReplyMaxDelay > 0 {
		delay := between(c.d.replyDelay, f.ReplyMinDelay, f.ReplyMaxDelay)
		if !n.sleep(delay, r.slot.dead) {
			return c.interrupted()
		}
		if ok, why := n.replyPossible(c.end, &c.r); !ok {
			c.finish(DeadServer, why)
			return false
		}
		detail = "reply delayed " + delay.String()
	}
	if r.longReord && chance(c.d.reorder, 2.0/3) {
		delay := reorderDelay(c.d.reorderA, c.d.reorderB)
		if !n.sleep(delay, r.slot.dead) {
			return c.interrupted()
		}
		if ok, why := n.replyPossible(c.end, &c.r); !ok {
			c.finish(DeadServer, why)
			return false
		}
		outcome, detail = Reordered, "reply delayed "+delay.String()
	}

	nb, findings, err := labgob.Copy(reply, replyp.Interface())
	n.noteFindings(findings)
	if err != nil {
		return c.misuse(fmt.Errorf("labrpc: Call(%q) from %s to server %s: cannot copy the reply of type %s: %v", c.method, r.from, r.to, m.replyType, err))
	}
	c.replyBytes = int64(nb)
	n.totalBytes.Add(int64(nb))
	c.finish(outcome, detail)
	return true
}

// resolve finds the handler the call's route leads to (nil if there is no
// route) and checks the reply's type against it.
func (c *call) resolve(rv reflect.Value, reply any) (*Service, *method, bool) {
	r := &c.r
	if r.slot == nil {
		return nil, nil, true
	}
	svc, m, err := r.slot.srv.lookup(c.method)
	if err != nil {
		return nil, nil, c.misuse(fmt.Errorf("labrpc: Call from %s to server %s: %w", r.from, r.to, err))
	}
	if rv.Type().Elem() != m.replyType {
		return nil, nil, c.misuse(fmt.Errorf("labrpc: Call(%q) from %s to server %s: reply is %T but the handler fills *%s; pass a new(%s)", c.method, r.from, r.to, reply, m.replyType, m.replyType))
	}
	return svc, m, true
}

// copyArgs deep-copies args into *dst (allocated by the caller) and counts
// the request bytes.
func (c *call) copyArgs(dst *reflect.Value, args any) bool {
	if args == nil || !dst.IsValid() {
		return c.misuse(fmt.Errorf("labrpc: Call(%q) on end %s: args is nil; pass a pointer to the args struct", c.method, c.end.nameStr))
	}
	nb, findings, err := labgob.Copy(dst.Interface(), args)
	c.net.noteFindings(findings)
	if err != nil {
		return c.misuse(fmt.Errorf("labrpc: Call(%q) on end %s: labgob cannot send args of type %T: %v", c.method, c.end.nameStr, args, err))
	}
	if c.reqBytes == 0 {
		c.reqBytes = int64(nb)
		c.net.totalBytes.Add(int64(nb))
	}
	return true
}

// interrupted ends a call whose wait was cut short by a server deletion or
// Cleanup.
func (c *call) interrupted() bool {
	select {
	case <-c.net.done:
		c.finish(Cancelled, "network cleaned up")
	default:
		c.finish(DeadServer, "server deleted")
	}
	return false
}

func (c *call) misuse(err error) bool {
	c.net.fail(err)
	c.finish(Misuse, err.Error())
	return false
}
