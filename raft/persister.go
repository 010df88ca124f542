package raft

import "raftlab/persist"

// Persister is the stable storage the harness hands to each server (see
// package persist). It is an alias, not a new type, so *raft.Persister,
// &raft.Persister{} and a lab's persist.Persister are one and the same.
type Persister = persist.Persister

// MakePersister returns an empty Persister.
func MakePersister() *Persister { return persist.MakePersister() }
