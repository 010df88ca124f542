package raft

// Stands in for the course's Persister file; adopt must leave it out (the
// kit's raft.Persister replaces it).

type Persister struct{}
