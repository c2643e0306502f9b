# Butterboard Meetings. `make` lists the targets.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

# Extra arguments for `run` and `bench`, e.g. make run ARGS="--target scenario"
ARGS ?=

.PHONY: help run test lint bench deploy-check

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  make %-6s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)

run: ## run the whole system in one process, embedded mode (data in ./data)
	cargo run --release -p butterboard -- run $(ARGS)

test: ## run every test against real PostgreSQL and NATS JetStream (started if absent)
	@. scripts/test-env.sh; \
	if [[ -n "$$TEST_ENV_STARTED" ]]; then trap 'bash scripts/test-env.sh stop $$TEST_ENV_STARTED' EXIT; fi; \
	echo "PostgreSQL: $$TEST_DATABASE_URL  NATS: $$TEST_NATS_URL"; \
	cargo build --workspace --all-targets; \
	if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace --no-fail-fast; \
	else \
		cargo test --workspace --no-fail-fast; \
	fi

lint: ## check formatting and run clippy with warnings as errors
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets -- -D warnings

bench: ## measure relay, bus, memory and start-up figures (scripts/bench.sh)
	bash scripts/bench.sh $(ARGS)

deploy-check: ## validate deploy/ and the Helm chart offline (scripts/deploy-check.sh)
	bash scripts/deploy-check.sh
