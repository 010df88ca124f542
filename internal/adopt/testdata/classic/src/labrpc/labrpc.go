package labrpc

// Stands in for the course's labrpc; the kit has its own.
