# orderhub — every target pins what it installs. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
FUNCTIONS := receiver enqueuer worker poller pusher
# Lambda build: static arm64 binary named bootstrap, no RPC shim, no paths or symbols.
GOBUILD   := CGO_ENABLED=0 GOOS=linux GOARCH=arm64 $(GO) build -tags lambda.norpc -trimpath -ldflags='-s -w'

VENV            := .venv
SAM_CLI_VERSION := 1.170.0
CFN_LINT_VERSION := 1.58.0
SAM             := SAM_CLI_TELEMETRY=0 $(VENV)/bin/sam
ORDERHUB        := bin/orderhub
FUZZTIME        ?= 200000x

SAM_TARGETS := build-ReceiverFunction build-EnqueuerFunction build-WorkerFunction build-PollerFunction build-PusherFunction

# The orderhub command is built first by every target that runs it (orderhub-cmd), saying what
# takes the time on a fresh machine.
.PHONY: help orderhub-cmd build test test-short lint fuzz fuzz-store bench measure local demo sam-build sam-validate clean $(SAM_TARGETS)

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-14s %s\n", $$1, $$2}'

build: ## build every function's arm64 bootstrap into bin/<function>/
	@for f in $(FUNCTIONS); do \
		$(GOBUILD) -o bin/$$f/bootstrap ./functions/$$f/bootstrap || exit 1; \
		echo "bin/$$f/bootstrap $$(stat -c %s bin/$$f/bootstrap) bytes"; \
	done

# sam build calls build-<LogicalId> with ARTIFACTS_DIR set (BuildMethod: makefile);
# build-WorkerFunction builds ./functions/worker/bootstrap.
$(SAM_TARGETS): build-%Function:
	$(GOBUILD) -o $(ARTIFACTS_DIR)/bootstrap ./functions/$(shell echo '$*' | tr '[:upper:]' '[:lower:]')/bootstrap
	cp mapping*.yaml $(ARTIFACTS_DIR)/

orderhub-cmd:
	@echo "orderhub: compiling the orderhub command (about a minute on a fresh machine; then Go's build cache makes it instant)" >&2
	@$(GO) build -o bin/orderhub ./local/cmd/orderhub

demo: orderhub-cmd ## the main job: run the whole bundle locally on a realistic scenario and show each order's path
	$(ORDERHUB) demo

local: orderhub-cmd ## run the whole bundle locally until Ctrl-C (HTTP API on :3000)
	$(ORDERHUB) local

test: orderhub-cmd ## run every test against freshly started local emulators (downloads them on first use)
	$(ORDERHUB) with-emulators -- $(GO) test -race -count=1 ./...

test-short: ## unit tests only, no emulators
	$(GO) test -short -race ./...

fuzz: ## run each fuzz target for FUZZTIME executions (default 200000x; a count, see docs/decisions.md)
	$(GO) test -run '^$$' -fuzz '^FuzzParseMarketplace$$' -fuzztime $(FUZZTIME) ./shared/intake
	$(GO) test -run '^$$' -fuzz '^FuzzParseDealerBatch$$' -fuzztime $(FUZZTIME) ./shared/intake
	$(GO) test -run '^$$' -fuzz '^FuzzReceiver$$' -fuzztime $(FUZZTIME) ./functions/receiver

fuzz-store: orderhub-cmd ## the receiver's fuzz target against DynamoDB Local (FUZZTIME, e.g. 100000x for a count)
	$(ORDERHUB) with-emulators -- $(GO) test -run '^$$' -fuzz '^FuzzReceiverOnDynamoDB$$' -fuzztime $(FUZZTIME) ./functions/receiver

bench: ## receiver benchmarks (in-memory store); numbers go to docs/performance.md
	$(GO) test -run '^$$' -bench . -benchmem -count 5 ./functions/...

measure: orderhub-cmd ## plenigo calls per order at 1,000 orders, what an order costs in AWS, and each function's cold and warm invoke times
	@for v in batched unbatched nocache; do \
		ORDERHUB_MEASURE=$$v $(ORDERHUB) with-emulators -- $(GO) test -count=1 -timeout 20m -v -run 'TestPlenigoCallsPerOrder' ./local/pipeline || exit 1; \
	done
	ORDERHUB_MEASURE_COST=1 $(ORDERHUB) with-emulators -- $(GO) test -count=1 -timeout 20m -v -run 'TestCostPerOrder' ./local/pipeline
	ORDERHUB_MEASURE=1 $(GO) test -count=1 -timeout 10m -v -run 'TestMeasureFunctions' ./local/stack

lint: bin/staticcheck $(VENV)/.installed ## gofmt, go vet, staticcheck, sam validate --lint
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	bin/staticcheck ./...
	$(SAM) validate --lint

sam-validate: $(VENV)/.installed
	$(SAM) validate --lint

sam-build: $(VENV)/.installed ## sam build (no Docker: the Makefile builds on the host)
	$(SAM) build

bin/staticcheck: local/tools/go.mod local/tools/go.sum
	cd local/tools && $(GO) build -o ../../bin/staticcheck honnef.co/go/tools/cmd/staticcheck

# aws-sam-cli and cfn-lint live in a project-local virtualenv, pinned.
$(VENV)/.installed: Makefile
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet aws-sam-cli==$(SAM_CLI_VERSION) cfn-lint==$(CFN_LINT_VERSION)
	touch $@

clean: ## remove build output (keeps downloaded emulators in .cache/)
	rm -rf bin .aws-sam
