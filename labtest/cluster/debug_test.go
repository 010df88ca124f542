//go:debug randseednop=0

// The directive above lets labtest seed the global math/rand source from
// each test's seed (rand.Seed is a no-op without it since Go 1.24), so that
// server code drawing its timeouts from math/rand replays from -seed.

package cluster
