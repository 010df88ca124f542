package kvtest

import "sync"

// Clerks without a network, for histories shaped by hand. Their calls take
// no virtual time at all, which is the hardest case for ordering.

// laggingClerk serves a map in memory, but every Get returns the value the
// key had before its latest write.
type laggingClerk struct {
	mu     sync.Mutex
	data   map[string]string
	before map[string]string
}

func newLaggingClerk() *laggingClerk {
	return &laggingClerk{data: map[string]string{}, before: map[string]string{}}
}

func (c *laggingClerk) Get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.before[key]
}

func (c *laggingClerk) Put(key, value string) { c.write(key, value) }

func (c *laggingClerk) Append(key, value string) {
	c.mu.Lock()
	v := c.data[key] + value
	c.mu.Unlock()
	c.write(key, v)
}

func (c *laggingClerk) write(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.before[key], c.data[key] = c.data[key], value
}

// gatedClerk's calls wait until gate is closed; its writes go nowhere and
// every Get returns reads.
type gatedClerk struct {
	gate  <-chan struct{}
	reads string
}

func (c gatedClerk) Get(key string) string {
	<-c.gate
	return c.reads
}

func (c gatedClerk) Put(key, value string)    { <-c.gate }
func (c gatedClerk) Append(key, value string) { <-c.gate }

// open is a gate that never holds a call back.
func open() <-chan struct{} {
	ch := make(chan struct{})
	close(ch)
	return ch
}

// doublingClerk serves a map in memory, but applies every Append twice, as
// a server that does not recognize a retried request would.
type doublingClerk struct {
	mu   sync.Mutex
	data map[string]string
}

func (c *doublingClerk) Get(key string) string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.data[key]
}

func (c *doublingClerk) Put(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[key] = value
}

func (c *doublingClerk) Append(key, value string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.data[key] += value + value
}
