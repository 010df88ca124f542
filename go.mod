module raftlab

go 1.25
