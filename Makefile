# raftlab: common tasks. `make test` is what CI and the README's quick start run.
GO ?= go
PKGS ?= ./...
# Extra flags for the lab targets, e.g. make 3A ARGS='-seed 42 -v'
ARGS ?=

.PHONY: test race vet bench raft 3A 3B 3C 3D kvraft 4A 4B shardctrler shardkv 5A 5B plainraft mutants chromium porcupine-diff porcupine-diff-bench porcupine-diff-table
test:
	$(GO) test $(PKGS)

race:
	$(GO) test -race $(PKGS)

vet:
	$(GO) vet $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

raft:
	$(GO) test ./raft $(ARGS)

3A 3B 3C 3D:
	$(GO) test ./raft -run '$@' $(ARGS)

kvraft:
	$(GO) test ./kvraft $(ARGS)

4A 4B:
	$(GO) test ./kvraft -run '$@' $(ARGS)

shardctrler:
	$(GO) test ./shardctrler $(ARGS)

shardkv:
	$(GO) test ./shardkv $(ARGS)

# 5A: the shard controller's suite, then shardkv's static-shard tests.
5A:
	$(GO) test ./shardctrler $(ARGS)
	$(GO) test ./shardkv -run 5A $(ARGS)

5B:
	$(GO) test ./shardkv -run 5B $(ARGS)

# The graded suite against the second, plain Raft (raft/testdata/plainraft),
# in a scratch copy of the module, e.g. make plainraft ARGS='-count=5'
plainraft:
	$(GO) run ./cmd/mutants -gotest -- $(ARGS)

# The suite's mutation score: each bug of raft/testdata/plainraft/mutants.txt
# planted alone into the plain Raft, e.g. make mutants ARGS='-only commit-old-term -v'
mutants:
	$(GO) run ./cmd/mutants $(ARGS)

# Debian's chromium, for porcupine's browser test (skipped where absent).
chromium:
	bash scripts/install-chromium.sh

# porcupine against the checker it mirrors, github.com/anishathalye/porcupine
# v1.3.1: verdicts and search steps on generated histories. A module of its
# own (porcupine/internal/reftest), which `go test ./...` does not enter.
porcupine-diff:
	cd porcupine/internal/reftest && $(GO) test -count=1 $(ARGS) .

# Both checkers' times on the same histories, compared by benchstat, e.g.
# make porcupine-diff-bench DIFFBENCH=History/class=kvraft DIFFBENCHTIME=5x
DIFFBENCH ?= Class
DIFFBENCHTIME ?= 1x
DIFFCOUNT ?= 6
porcupine-diff-bench:
	cd porcupine/internal/reftest && out=$$(mktemp) && \
	$(GO) test -run '^$$' -bench '$(DIFFBENCH)' -benchtime $(DIFFBENCHTIME) -count $(DIFFCOUNT) -timeout 60m . > $$out && \
	$(GO) run golang.org/x/perf/cmd/benchstat@latest -col /checker $$out; rm -f $$out

# Per class of generated histories: both checkers' total time, the worst
# ratio of one history, and search steps; fails where ours is slower on a
# class or more than 2x on one history. DIFFTABLE=file also writes the table,
# DIFFCLASS=kvraft times one class only.
DIFFREPS ?= 5
porcupine-diff-table:
	cd porcupine/internal/reftest && $(GO) test -count=1 -run '^TestTimesPerClass$$' -v -timeout 60m . -args -times -reps $(DIFFREPS) $(if $(DIFFTABLE),-table $(abspath $(DIFFTABLE))) $(if $(DIFFCLASS),-class $(DIFFCLASS))
