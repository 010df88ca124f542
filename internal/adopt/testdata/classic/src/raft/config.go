package raft

// Stands in for the course's test harness file of this name, which a
// classic tree has beside the student's code; adopt must leave it out.

func make_config() {}
