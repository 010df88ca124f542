package porcupine

import (
	"errors"
	"fmt"
)

var (
	// ErrInvalidModel wraps every error about a Model that cannot be used
	// (nil Init or Step).
	ErrInvalidModel = errors.New("porcupine: invalid model")
	// ErrInvalidHistory wraps every error about a malformed history; the
	// message names the offending operation or event.
	ErrInvalidHistory = errors.New("porcupine: invalid history")
)

func historyErr(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidHistory}, args...)...)
}

// validateOperations rejects what would make any verdict meaningless.
func validateOperations(history []Operation) error {
	for i, o := range history {
		if !o.Unknown && o.Return < o.Call {
			return historyErr("operation %d (client %d) returns at %d, before its call at %d", i, o.ClientId, o.Return, o.Call)
		}
	}
	return nil
}

// eventsToOperations pairs calls with returns, using event positions as
// timestamps, and rejects histories whose pairing is not one to one.
func eventsToOperations(history []Event) ([]Operation, error) {
	// Ids are usually small and dense; a slice then beats a map by far.
	maxID, minID := 0, 0
	for _, e := range history {
		maxID = max(maxID, e.Id)
		minID = min(minID, e.Id)
	}
	var lookup func(id int) int
	var store func(id, v int)
	if minID >= 0 && maxID < 4*len(history)+64 {
		tab := make([]int32, maxID+1)
		lookup = func(id int) int { return int(tab[id]) - 1 }
		store = func(id, v int) { tab[id] = int32(v + 1) }
	} else {
		tab := make(map[int]int, len(history)/2)
		lookup = func(id int) int {
			if v, ok := tab[id]; ok {
				return v
			}
			return -1
		}
		store = func(id, v int) { tab[id] = v }
	}
	ops := make([]Operation, 0, len(history)/2)
	returned := make([]bool, 0, len(history)/2)
	for i, e := range history {
		if e.Kind == CallEvent {
			if j := lookup(e.Id); j >= 0 {
				return nil, historyErr("event %d: duplicate call id %d (first called at event %d)", i, e.Id, ops[j].Call)
			}
			store(e.Id, len(ops))
			ops = append(ops, Operation{ClientId: e.ClientId, Input: e.Value, Call: int64(i), Unknown: e.Unknown})
			returned = append(returned, false)
			continue
		}
		j := lookup(e.Id)
		if j < 0 {
			for k := i + 1; k < len(history); k++ {
				if history[k].Kind == CallEvent && history[k].Id == e.Id {
					return nil, historyErr("event %d: return of id %d before its call (event %d)", i, e.Id, k)
				}
			}
			return nil, historyErr("event %d: return of id %d, which has no call", i, e.Id)
		}
		if returned[j] {
			return nil, historyErr("event %d: second return of id %d", i, e.Id)
		}
		if ops[j].Unknown {
			return nil, historyErr("event %d: return of id %d, whose call is marked Unknown", i, e.Id)
		}
		returned[j] = true
		ops[j].Output = e.Value
		ops[j].Return = int64(i)
	}
	for j, o := range ops {
		if !returned[j] && !o.Unknown {
			return nil, historyErr("call of id %d at event %d has no return (mark the call Unknown if its outcome was never observed)", history[o.Call].Id, o.Call)
		}
	}
	return ops, nil
}
