package timeline

import (
	"strings"
	"time"
)

// Band is a stretch of virtual time in which a server (or, with Lane "",
// the whole cluster) was in some fault state.
type Band struct {
	Lane       string // "" for the cluster
	Kind       string // down, disconnected, partition, cut
	Start, End time.Duration
	Label      string
}

// Bands derives the fault bands from the test's actions: a server is down
// from "crash server N" until "start server N", disconnected from
// "disconnect N" until "connect N", and the cluster partitioned (or a
// link cut) from "partition ..." ("cut ...", "block calls ...") until
// "heal" or the next partition. A band still open at the end runs to the
// file's last event.
func (tl *File) Bands() []Band {
	var bands []Band
	open := map[string]int{} // key -> index in bands
	start := func(key string, b Band) {
		if _, ok := open[key]; ok {
			return
		}
		open[key] = len(bands)
		bands = append(bands, b)
	}
	end := func(key string, at time.Duration) {
		if i, ok := open[key]; ok {
			bands[i].End = at
			delete(open, key)
		}
	}
	for _, ev := range tl.Events {
		if ev.Kind != KindAction {
			continue
		}
		msg := ev.Msg
		switch {
		case strings.HasPrefix(msg, "crash server "):
			start("down "+ev.Lane, Band{Lane: ev.Lane, Kind: "down", Start: ev.At, Label: msg})
		case strings.HasPrefix(msg, "start server "):
			end("down "+ev.Lane, ev.At)
		case strings.HasPrefix(msg, "disconnect "):
			start("disc "+ev.Lane, Band{Lane: ev.Lane, Kind: "disconnected", Start: ev.At, Label: msg})
		case strings.HasPrefix(msg, "connect "):
			end("disc "+ev.Lane, ev.At)
		case strings.HasPrefix(msg, "partition "):
			end("partition", ev.At)
			start("partition", Band{Kind: "partition", Start: ev.At, Label: msg})
		case strings.HasPrefix(msg, "cut "), strings.HasPrefix(msg, "block calls "):
			start("cut "+msg, Band{Kind: "cut", Start: ev.At, Label: msg})
		case msg == "heal":
			for key := range open {
				if key == "partition" || strings.HasPrefix(key, "cut ") {
					end(key, ev.At)
				}
			}
		}
	}
	for _, i := range open {
		bands[i].End = tl.End
	}
	return bands
}
