package kvtest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"raftlab/labtest/cluster"
	"raftlab/porcupine"
	"raftlab/porcupine/models"
)

// descs lists the descriptions of the world's annotations with tag.
func descs(w *cluster.World, tag string) []string {
	var out []string
	for _, a := range w.Annotations() {
		if a.Tag == tag {
			out = append(out, a.Desc)
		}
	}
	return out
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}

func TestGenericOneKeyPerClientOnACorrectService(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 10 * time.Second}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		h := NewHistory(w)
		w.Begin("generic, one key per client")
		Generic(w, g, mapClerks(g), Options{Clients: 3, Iterations: 2, Phase: 100 * time.Millisecond, Keys: OneKeyPerClient, History: h})
		w.End("")

		actions := descs(w, "test")
		assert.Contains(t, actions, "kvtest: iteration 2 of 2: 3 clients for 100ms")
		assert.Contains(t, actions, "kvtest: checking the final values of iteration 2")
		assert.Greater(t, h.Len(), 100, "the clients kept the service busy for the whole phase")
		verdict, _, _ := h.Verdict(CheckOptions{})
		assert.Equal(t, porcupine.Ok, verdict)
	})
}

func TestGenericRandomKeysOnAnUnreliableNetwork(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 10 * time.Second}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		h := NewHistory(w)
		Generic(w, g, mapClerks(g), Options{Clients: 4, Phase: time.Second, Net: cluster.Unreliable, Keys: RandomKeys, History: h})

		assert.Contains(t, descs(w, "test"), "network unreliable")
		clientsPerKey := map[string]map[int]bool{}
		for _, op := range h.operations() {
			key := op.Input.(models.KvInput).Key
			if clientsPerKey[key] == nil {
				clientsPerKey[key] = map[int]bool{}
			}
			clientsPerKey[key][op.ClientId] = true
		}
		assert.Len(t, clientsPerKey, 10, "the clients use the keys 0 to 9")
		for key, clients := range clientsPerKey {
			assert.Greater(t, len(clients), 2, "key %q is shared by the checker and more than one client", key)
		}
	})
}

func TestGenericCrashesAndPartitionsReachEveryPhase(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 30 * time.Second}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		Generic(w, g, mapClerks(g), Options{
			Clients:      2,
			Iterations:   2,
			Phase:        1500 * time.Millisecond,
			Crashes:      CrashAndRestart,
			Partitions:   RandomPartitions,
			MaxRaftState: 1 << 20,
		})

		actions := descs(w, "test")
		assert.Contains(t, actions, "crash server 0")
		assert.Contains(t, actions, "start server 0 (incarnation 3)", "two iterations restart the server twice")
		assert.Contains(t, actions, "heal")
		assert.Len(t, descs(w, "partition"), 4, "a partition at the start of each phase and another after about a second")
		assert.NotEmpty(t, descs(w, "0"), "the server's downtime is an interval of its own row")
	})
}

func TestGenericRateKeepsTheClientsToIt(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: 10 * time.Second}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		h := NewHistory(w)
		Generic(w, g, mapClerks(g), Options{Clients: 4, Phase: 4 * time.Second, Rate: 50, History: h})

		// 4 s at 50 operations/s, a little less for the time the calls
		// themselves take (2 ms each against pauses of 80 ms on average),
		// plus the Puts that start the clients and the final Gets.
		assert.InDelta(t, 4*50, h.Len(), 40, "the clients together make about Rate operations per second")
		assert.Contains(t, descs(w, "test"), "kvtest: generic workload: 4 clients, 1 iterations of 4s, reliable network, no crashes, no partitions, one key per client, about 50 operations/s")
	})
}

func TestSpeedOfACorrectService(t *testing.T) {
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		Speed(w, mapClerks(g), SpeedOptions{Ops: 300})
		assert.Contains(t, descs(w, "test"), "kvtest: speed: 300 Appends by one clerk")
	})
}

func TestConcurrentAppendsKeepEveryValueOnceInOrder(t *testing.T) {
	cluster.Run(t, cluster.Budget{}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		ConcurrentAppends(w, mapClerks(g), AppendOptions{Clients: 4, Appends: 15})

		pieces, err := splitAppends(mapClerks(g)(w.NewClient()).Get("k"))
		require.NoError(t, err)
		assert.Len(t, pieces, 4*15)
	})
}

// stuckClerk passes calls to its inner clerk, but its second Append, once
// made, never returns until gate is closed: a client stuck after the
// service applied its request.
type stuckClerk struct {
	Clerk
	gate    <-chan struct{}
	appends int
}

func (c *stuckClerk) Append(key, value string) {
	c.Clerk.Append(key, value)
	if c.appends++; c.appends == 2 {
		<-c.gate
	}
}

func TestGenericAbandonsAClientThatNeverReturns(t *testing.T) {
	cluster.Run(t, cluster.Budget{Virtual: StragglerWait + 10*time.Second}, func(w *cluster.World) {
		g := mapGroup(w, noFlaw)
		gate := make(chan struct{})
		w.H.OnTeardown(func() { close(gate) })
		made := 0
		newClerk := func(c *cluster.Client) Clerk {
			ck := mapClerks(g)(c)
			if made++; made == 2 { // the first client's, after the checker's
				return &stuckClerk{Clerk: ck, gate: gate}
			}
			return ck
		}
		h := NewHistory(w)
		start := time.Now()
		Generic(w, g, newClerk, Options{Clients: 2, Phase: 100 * time.Millisecond, History: h})

		assert.Less(t, time.Since(start), StragglerWait+time.Second, "the workload waits for a stuck client only so long")
		assert.True(t, containsPrefix(descs(w, "test"), "kvtest: client 1 abandoned inside Append(\"k1\", "))
		var pending []porcupine.Operation
		for _, op := range h.operations() {
			if op.Unknown {
				pending = append(pending, op)
			}
		}
		require.Len(t, pending, 1, "the stuck Append, and only it, has an unknown outcome")
		assert.Equal(t, 1, pending[0].ClientId)
		assert.Equal(t, models.KvAppend, pending[0].Input.(models.KvInput).Op)
	})
}
