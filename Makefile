# raftlab: common tasks. `make test` is what CI and the README's quick start run.
GO ?= go
PKGS ?= ./...

.PHONY: test race vet bench
test:
	$(GO) test $(PKGS)

race:
	$(GO) test -race $(PKGS)

vet:
	$(GO) vet $(PKGS)

bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)
