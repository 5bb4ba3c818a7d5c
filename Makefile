# hermes — the two set-up commands on a fresh machine:
#   make test   installs what the integration tests need, then vet, staticcheck and go test -race
#   make demo   builds hermes and runs an agent session end to end against a scripted model
SHELL      := /bin/bash
GO         ?= go
VERSION    ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT     ?= $(shell git rev-parse HEAD 2>/dev/null)
VPKG       := github.com/hermes-go/hermes/internal/version
# Source records this checkout in the binary: `hermes update` rebuilds from it
# (docs/update.md). Released binaries record none and update from update.url.
LDFLAGS    := -s -w -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT) -X $(VPKG).Source=$(CURDIR)
RELEASE_LDFLAGS := -s -w -X $(VPKG).Version=$(VERSION) -X $(VPKG).Commit=$(COMMIT) -X $(VPKG).Source=
PLATFORMS  ?= linux/amd64 linux/arm64 darwin/amd64 darwin/arm64
STATE      := $(CURDIR)/.cache/testdeps
TOOLS      := $(CURDIR)/.cache/tools
FUZZTIME   ?= 30s
TESTFLAGS  ?=
# goolm: the Matrix adapter's end-to-end encryption in pure Go (mautrix's
# default Olm needs cgo and libolm). Every go command below passes it; a
# plain `go build` without it makes a hermes whose Matrix adapter refuses
# platforms.matrix.encryption (docs/matrix.md).
TAGS       ?= goolm

.PHONY: all build install release check test test-deps test-stop vet lint demo bench fuzz clean

all: build

## build: bin/hermes, static (CGO_ENABLED=0)
build:
	CGO_ENABLED=0 $(GO) build -tags '$(TAGS)' -trimpath -ldflags '$(LDFLAGS)' -o bin/hermes ./cmd/hermes

## install: hermes into $(go env GOPATH)/bin (or $GOBIN)
install:
	CGO_ENABLED=0 $(GO) install -tags '$(TAGS)' -trimpath -ldflags '$(LDFLAGS)' ./cmd/hermes
	@echo "installed: $$($(GO) env GOBIN || true)$$( [ -n "$$($(GO) env GOBIN)" ] || echo "$$($(GO) env GOPATH)/bin")/hermes"

## release: dist/ as update.url serves it: hermes-<os>-<arch> for PLATFORMS, VERSION, SHA256SUMS
release:
	rm -rf dist && mkdir -p dist
	set -e; for p in $(PLATFORMS); do \
	  CGO_ENABLED=0 GOOS=$${p%/*} GOARCH=$${p#*/} $(GO) build -tags '$(TAGS)' -trimpath -ldflags '$(RELEASE_LDFLAGS)' -o dist/hermes-$${p%/*}-$${p#*/} ./cmd/hermes; \
	done
	echo '$(VERSION)' > dist/VERSION
	cd dist && sha256sum hermes-* > SHA256SUMS

## test-deps: bubblewrap, docker.io, sshd, busybox image, MCP test server, dendrite; writes .cache/testdeps/env
test-deps:
	@scripts/testdeps.sh $(STATE)

## test-stop: stop the dockerd that test-deps started
test-stop:
	@scripts/testdeps.sh --stop $(STATE)

## check: the fast gate before every commit: gofmt, go vet, go build, short tests (no set-up, no -race)
check:
	@unformatted=$$(gofmt -l $$(git ls-files '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet -tags '$(TAGS)' ./...
	$(GO) build -tags '$(TAGS)' ./...
	$(GO) test -tags '$(TAGS)' -short -count=1 -timeout 5m $(TESTFLAGS) ./...

## vet: go vet
vet:
	$(GO) vet -tags '$(TAGS)' ./...

## lint: gofmt and staticcheck (built from tools/go.mod at a pinned version)
lint: $(TOOLS)/staticcheck
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*')); \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(TOOLS)/staticcheck -tags '$(TAGS)' ./...

$(TOOLS)/staticcheck: tools/go.mod tools/go.sum
	cd tools && GOFLAGS=-mod=mod $(GO) build -o $(TOOLS)/staticcheck honnef.co/go/tools/cmd/staticcheck

## test: everything: set-up, vet, lint, go test -race ./... (HERMES_TEST_STRICT=1 fails on skips)
test: test-deps vet lint
	. $(STATE)/env && $(GO) test -tags '$(TAGS)' -race -count=1 -timeout 20m $(TESTFLAGS) ./...

## demo: a real agent session against the scripted model, in a throwaway home
demo: build
	CGO_ENABLED=0 $(GO) build -tags '$(TAGS)' -trimpath -o bin/llmtest ./cmd/llmtest
	@scripts/demo.sh bin/hermes bin/llmtest

## bench: Go benchmarks, and cold-start timing of the binary with hyperfine when present
bench: build
	$(GO) test -tags '$(TAGS)' -run '^$$' -bench . -benchmem ./...
	@bench/startup.sh bin/hermes

## fuzz: each fuzz target for FUZZTIME (default 30s)
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -tags '$(TAGS)' -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; $(GO) test -tags '$(TAGS)' -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; done

clean:
	rm -rf bin .cache/testbin
