#!/usr/bin/env bash
# A throwaway PostgreSQL server for matchgate's tests.
#
#   eval "$(scripts/postgres-for-tests.sh)"     start one; prints the export line
#   scripts/postgres-for-tests.sh stop          stop the one $MATCHGATE_TEST_POSTGRES_URL names
#                                               (without it: every one this script started)
#
# If MATCHGATE_TEST_POSTGRES_URL is already set and the server answers, nothing is started.
# Otherwise a new cluster is created in a temporary folder on a free loopback port (as the
# "postgres" OS user when run as root, since initdb refuses root), so two test runs never
# share or stop each other's server. `stop` only ever stops clusters this script started.
# Only the export line goes to stdout; everything else goes to stderr so `eval` stays safe.
set -euo pipefail

STATE_DIR="${MATCHGATE_TEST_POSTGRES_STATE:-${TMPDIR:-/tmp}/matchgate-test-postgres}"

say() { echo "postgres-for-tests: $*" >&2; }

find_bin_dir() {
    if [[ -n "${PG_BIN:-}" && -x "${PG_BIN}/initdb" ]]; then echo "$PG_BIN"; return 0; fi
    local dir
    for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]]; then echo "$dir"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

ensure_binaries() {
    if find_bin_dir >/dev/null; then return 0; fi
    if [[ "$(id -u)" -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
        say "PostgreSQL server binaries are missing; installing them with apt-get"
        DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
        find_bin_dir >/dev/null && return 0
    fi
    say "PostgreSQL server binaries (initdb, pg_ctl) are not installed. Install them with:"
    say "    sudo apt-get update && sudo apt-get install -y postgresql"
    say "or point PG_BIN at the folder holding initdb and pg_ctl, then run this again."
    exit 1
}

# host and port of a postgresql[+driver]://user[:pw]@host:port/db URL
url_host_port() {
    local rest="${1#*://}"
    rest="${rest#*@}"
    rest="${rest%%/*}"
    local host="${rest%%:*}" port=5432
    [[ "$rest" == *:* ]] && port="${rest##*:}"
    echo "${host:-127.0.0.1} $port"
}

reachable() {
    local host port
    read -r host port < <(url_host_port "$1")
    local bin_dir
    if bin_dir="$(find_bin_dir)" && [[ -x "$bin_dir/pg_isready" ]]; then
        "$bin_dir/pg_isready" -q -h "$host" -p "$port" -t 3 >/dev/null 2>&1
    else
        (exec 3<>"/dev/tcp/$host/$port") >/dev/null 2>&1
    fi
}

free_port() {
    local port
    for port in $(seq 54329 54999); do
        [[ -f "$STATE_DIR/$port" ]] && continue  # another run is about to listen there
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") >/dev/null 2>&1; then echo "$port"; return 0; fi
    done
    say "no free port between 54329 and 54999"; exit 1
}

as_owner() {
    if [[ "$(id -u)" -eq 0 ]]; then
        if command -v runuser >/dev/null 2>&1; then
            runuser -u postgres -- "$@"
        else
            su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
        fi
    else
        "$@"
    fi
}

url_for() { echo "postgresql+psycopg://postgres@127.0.0.1:$1/postgres"; }

start() {
    if [[ -n "${MATCHGATE_TEST_POSTGRES_URL:-}" ]] && reachable "$MATCHGATE_TEST_POSTGRES_URL"; then
        say "using the server already named by MATCHGATE_TEST_POSTGRES_URL"
        echo "export MATCHGATE_TEST_POSTGRES_URL='$MATCHGATE_TEST_POSTGRES_URL'"
        return 0
    fi
    ensure_binaries
    local bin_dir dir port
    bin_dir="$(find_bin_dir)"
    if [[ "$(id -u)" -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
        say "running as root but there is no 'postgres' user to run the server as"
        say "create one with: useradd --system --home /var/lib/postgresql postgres"
        exit 1
    fi
    mkdir -p "$STATE_DIR"
    dir="$(mktemp -d "${TMPDIR:-/tmp}/matchgate-pg.XXXXXX")"
    chmod 755 "$dir"
    if [[ "$(id -u)" -eq 0 ]]; then chown postgres: "$dir"; fi
    port="$(free_port)"
    echo "$dir" > "$STATE_DIR/$port"
    as_owner "$bin_dir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale >&2
    as_owner "$bin_dir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start -o \
        "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2
    say "started a test server on 127.0.0.1:$port (files in $dir)"
    echo "export MATCHGATE_TEST_POSTGRES_URL='$(url_for "$port")'"
}

stop_port() {
    local port="$1" dir bin_dir
    dir="$(cat "$STATE_DIR/$port")"
    if bin_dir="$(find_bin_dir)" && [[ -d "$dir/data" ]]; then
        as_owner "$bin_dir/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$dir"
    rm -f "$STATE_DIR/$port"
    say "stopped the test server on port $port"
}

stop() {
    local host port
    if [[ -n "${MATCHGATE_TEST_POSTGRES_URL:-}" ]]; then
        read -r host port < <(url_host_port "$MATCHGATE_TEST_POSTGRES_URL")
        if [[ -f "$STATE_DIR/$port" ]]; then
            stop_port "$port"
        else
            say "the server on port $port was not started by this script; leaving it alone"
        fi
        return 0
    fi
    local found=0 file
    for file in "$STATE_DIR"/*; do
        [[ -f "$file" ]] || continue
        found=1
        stop_port "$(basename "$file")"
    done
    [[ "$found" -eq 1 ]] || say "no test server started by this script is running"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    *) say "usage: $0 [start|stop]"; exit 2 ;;
esac
