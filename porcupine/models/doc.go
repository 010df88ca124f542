// Package models holds ready-made porcupine models: a key-value store
// (get/put/append, partitioned by key) and a single register with read,
// write and compare-and-set. Both supply Hash, so the checker can intern
// their states, and Describe functions for the visualization. Both accept
// unknown-outcome operations (Operation.Unknown or Event.Unknown), whose
// output is ignored.
package models
