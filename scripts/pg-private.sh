#!/usr/bin/env bash
# A private, throw-away PostgreSQL cluster for tests: trust auth, TCP on 127.0.0.1 only, no Unix
# socket. Used by scripts/test-env.sh when no server answers on 127.0.0.1:5432, and by tests that
# need a PostgreSQL they may stop and start again.
#
#   scripts/pg-private.sh bin-dir              print the directory with initdb/pg_ctl/postgres,
#                                              installing Debian's postgresql if none is found
#   scripts/pg-private.sh start DATADIR PORT   initdb DATADIR if it is empty, start on PORT, wait
#                                              until ready, print postgres://postgres@127.0.0.1:PORT/postgres?sslmode=disable
#   scripts/pg-private.sh stop DATADIR         stop the cluster in DATADIR (fast shutdown)
#   scripts/pg-private.sh kill DATADIR         stop it immediately, as a crash would
#
# PostgreSQL refuses to run as root: as root, initdb and postgres run as $PG_RUN_AS (default the
# `postgres` system user, created if missing), and DATADIR is handed to that user. DATADIR's parent
# must be traversable by that user (/tmp is; a 0700 directory of root's is not).
set -euo pipefail

die() { echo "pg-private: $*" >&2; exit 1; }

# The newest PostgreSQL server binaries on this machine, or nothing.
find_bin_dir() {
    local d
    if [[ -n "${PG_BIN_DIR:-}" && -x "${PG_BIN_DIR}/initdb" ]]; then
        echo "$PG_BIN_DIR"
        return 0
    fi
    for d in $(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V -r); do
        if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
            echo "$d"
            return 0
        fi
    done
    if command -v pg_config >/dev/null 2>&1; then
        d="$(pg_config --bindir 2>/dev/null || true)"
        if [[ -n "$d" && -x "$d/initdb" ]]; then
            echo "$d"
            return 0
        fi
    fi
    d="$(dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/x)")"
    if [[ -x "$d/initdb" && -x "$d/pg_ctl" ]]; then
        echo "$d"
        return 0
    fi
    return 1
}

bin_dir() {
    local d
    if d="$(find_bin_dir)"; then
        echo "$d"
        return 0
    fi
    if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
        die "no PostgreSQL server binaries found (initdb, pg_ctl); install Debian's 'postgresql' package or set PG_BIN_DIR"
    fi
    echo "pg-private: installing PostgreSQL from Debian's packages" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2 || die "apt-get update failed"
    apt-get install -y -qq --no-install-recommends postgresql </dev/null >&2 \
        || die "apt-get install postgresql failed"
    d="$(find_bin_dir)" || die "postgresql installed, but initdb was not found under /usr/lib/postgresql"
    echo "$d"
}

# Runs a command as the user PostgreSQL runs as.
as_pg() {
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u "$RUN_AS" -- "$@"
    else
        "$@"
    fi
}

prepare_user() {
    RUN_AS="${PG_RUN_AS:-postgres}"
    [[ "$(id -u)" == 0 ]] || return 0
    if ! id -u "$RUN_AS" >/dev/null 2>&1; then
        useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS" \
            || die "cannot create the system user $RUN_AS to run PostgreSQL as (it refuses root)"
    fi
}

start() {
    local datadir="$1" port="$2" bin
    [[ "$port" =~ ^[0-9]+$ ]] || die "port must be a number, got '$port'"
    bin="$(bin_dir)"
    prepare_user
    mkdir -p "$datadir"
    datadir="$(cd "$datadir" && pwd)"
    if [[ ! -f "$datadir/PG_VERSION" ]]; then
        [[ -z "$(ls -A "$datadir")" ]] || die "$datadir is neither empty nor a PostgreSQL data directory"
        if [[ "$(id -u)" == 0 ]]; then
            chown "$RUN_AS" "$datadir"
            chmod 0700 "$datadir"
            as_pg test -w "$datadir" \
                || die "user $RUN_AS cannot reach $datadir: a parent directory is not traversable (chmod o+x it)"
        fi
        local log
        log="$(mktemp)"
        if ! as_pg "$bin/initdb" -D "$datadir" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$log" 2>&1; then
            echo "pg-private: initdb failed:" >&2
            tail -n 5 "$log" >&2
            rm -f "$log"
            exit 1
        fi
        rm -f "$log"
        cat >>"$datadir/postgresql.conf" <<'EOF'
# scripts/pg-private.sh: a test cluster, reachable on 127.0.0.1 only
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 300
EOF
    fi
    if ! as_pg "$bin/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$datadir" -o "-p $port" -l "$datadir/server.log" -w -t 60 start >/dev/null \
            || die "PostgreSQL did not start on port $port: $(tail -n 5 "$datadir/server.log" 2>/dev/null)"
    fi
    echo "postgres://postgres@127.0.0.1:$port/postgres?sslmode=disable"
}

stop() {
    local datadir="$1" mode="$2" bin
    [[ -f "$datadir/PG_VERSION" ]] || return 0
    bin="$(bin_dir)"
    prepare_user
    if as_pg "$bin/pg_ctl" -D "$datadir" status >/dev/null 2>&1; then
        as_pg "$bin/pg_ctl" -D "$datadir" -m "$mode" -w -t 60 stop >/dev/null
    fi
}

case "${1:-}" in
    bin-dir) bin_dir ;;
    start) [[ $# == 3 ]] || die "usage: $0 start DATADIR PORT"; start "$2" "$3" ;;
    stop) [[ $# == 2 ]] || die "usage: $0 stop DATADIR"; stop "$2" fast ;;
    kill) [[ $# == 2 ]] || die "usage: $0 kill DATADIR"; stop "$2" immediate ;;
    *) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
