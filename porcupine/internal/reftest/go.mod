// Differential tests of raftlab/porcupine against the checker it mirrors,
// github.com/anishathalye/porcupine. A module of its own so that the library
// never depends on the reference: run with `make porcupine-diff` from the
// repository root (`go test ./...` there does not enter this directory).
module raftlab/porcupine/internal/reftest

go 1.26.0

replace raftlab => ../../..

require (
	github.com/anishathalye/porcupine v1.3.1
	github.com/stretchr/testify v1.12.1
	raftlab v0.0.0-00010101000000-000000000000
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
