#!/usr/bin/env bash
# Runs the benchmarks (the butterboard-bench package) against the same PostgreSQL and NATS
# JetStream as the tests: scripts/test-env.sh provides them. Arguments go to the bench binary.
#
#   scripts/bench.sh [ARGS…]      (what `make bench ARGS="…"` runs)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if ! metadata="$(cargo metadata --no-deps --format-version 1 2>&1)"; then
    echo "bench: cargo cannot read the workspace:" >&2
    tail -n 5 <<<"$metadata" >&2
    exit 1
fi
if ! grep -q '"name":"butterboard-bench"' <<<"$metadata"; then
    echo "bench: the workspace has no butterboard-bench package yet, so there is nothing to measure" >&2
    exit 1
fi

. scripts/test-env.sh
if [[ -n "$TEST_ENV_STARTED" ]]; then
    # shellcheck disable=SC2086 # a list of words on purpose
    trap 'bash scripts/test-env.sh stop $TEST_ENV_STARTED' EXIT
fi

# The `process` section starts the release `butterboard` binary beside the bench's own.
cargo build --release -p butterboard
cargo run --release -p butterboard-bench -- "$@"

# The simulators' own ceilings on loopback (4 GiB each, memory included), so the figures above can
# be read knowing the simulators are not the bottleneck. Skipped when sections were named.
if [[ $# -eq 0 ]]; then
    echo "== simulators, 4 GiB on loopback"
    cargo run --quiet --release -p zoom-sim --example stream_4gib -- --size-mib 4096
    cargo run --quiet --release -p drive-sim --example upload_4gib -- --size-mib 4096 --chunk-mib 8
fi
