package cluster

import (
	"fmt"
	"sync"

	"raftlab/labrpc"
)

// Servers is what clients and incarnations need of a group of any server
// type: its size and its servers' network names.
type Servers interface {
	N() int
	ServerName(i int) any
}

// Client is a clerk's place on the network: a name that owns its ends (so
// cuts and link faults apply to it) and its own list of the servers it can
// reach, the classic makeClient(to).
type Client struct {
	w    *World
	Name string

	mu   sync.Mutex
	ends map[any][]string // server name -> this client's ends to it
	k    int
	off  bool
}

// NewClient makes a client named "client-<k>", k counting from 0.
func (w *World) NewClient() *Client {
	w.mu.Lock()
	k := w.clients
	w.clients++
	w.mu.Unlock()
	return &Client{w: w, Name: fmt.Sprintf("client-%d", k), ends: map[any][]string{}}
}

// EndsTo returns new ends from the client to every server of g, in g's
// order, all enabled (shuffle them where the lab's contract says the
// servers arrive shuffled).
func (c *Client) EndsTo(g Servers) []*labrpc.ClientEnd {
	out := make([]*labrpc.ClientEnd, g.N())
	for i := range out {
		out[i] = c.dial(g.ServerName(i))
	}
	return out
}

// MakeEnd returns a new enabled end from the client to the server named
// server: the classic make_end of a sharded clerk.
func (c *Client) MakeEnd(server string) *labrpc.ClientEnd { return c.dial(server) }

func (c *Client) dial(server any) *labrpc.ClientEnd {
	c.mu.Lock()
	defer c.mu.Unlock()
	name := fmt.Sprintf("%s/%d->%v", c.Name, c.k, server)
	c.k++
	e := c.w.Net.Dial(name, c.Name, server)
	if c.off {
		c.w.Net.Enable(name, false)
	}
	c.ends[server] = append(c.ends[server], name)
	return e
}

// ConnectOnly enables the client's ends to the servers of g listed in to
// and disables those to the others.
func (c *Client) ConnectOnly(g Servers, to []int) {
	for i := 0; i < g.N(); i++ {
		on := false
		for _, j := range to {
			on = on || j == i
		}
		c.set(g.ServerName(i), on)
	}
	c.w.Action("%s connects only to %v", c.Name, to)
}

// ConnectTo enables the client's ends to the listed servers of g.
func (c *Client) ConnectTo(g Servers, to ...int) {
	for _, i := range to {
		c.set(g.ServerName(i), true)
	}
	c.w.Action("%s connects to %v", c.Name, to)
}

// DisconnectFrom disables the client's ends to the listed servers of g.
func (c *Client) DisconnectFrom(g Servers, from ...int) {
	for _, i := range from {
		c.set(g.ServerName(i), false)
	}
	c.w.Action("%s disconnects from %v", c.Name, from)
}

// Close disables every end of the client, now and later.
func (c *Client) Close() {
	c.mu.Lock()
	c.off = true
	var names []string
	for _, ns := range c.ends {
		names = append(names, ns...)
	}
	c.mu.Unlock()
	for _, n := range names {
		c.w.Net.Enable(n, false)
	}
}

func (c *Client) set(server any, on bool) {
	c.mu.Lock()
	names := append([]string(nil), c.ends[server]...)
	on = on && !c.off
	c.mu.Unlock()
	for _, n := range names {
		c.w.Net.Enable(n, on)
	}
}
