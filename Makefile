# raftlab: common tasks. `make test` is what CI and the README's quick start run.
GO ?= go
PKGS ?= ./...
# Extra flags for the lab targets, e.g. make 3A ARGS='-seed 42 -v'
ARGS ?=

.PHONY: test race vet bench raft 3A 3B 3C 3D kvraft 4A 4B chromium
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

# Debian's chromium, for porcupine's browser test (skipped where absent).
chromium:
	bash scripts/install-chromium.sh
