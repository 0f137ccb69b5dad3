#!/usr/bin/env bash
# Starts a throwaway PostgreSQL 15 cluster for the tests and prints the
# connection URL; `.ci/postgres.sh stop DIR` stops and removes it. The server
# refuses to run as root, so as root it runs as the user `optl-ci-pg` (made if
# absent). PostgreSQL comes from Debian's packages, installed when absent.
set -euo pipefail
if [ "${1:-}" = stop ]; then
    dir="$2"
    if [ -f "$dir/data/postmaster.pid" ]; then
        if [ "$(id -u)" = 0 ]; then
            su optl-ci-pg -s /bin/sh -c "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl -D '$dir/data' -m immediate stop" >/dev/null 2>&1 || true
        else
            "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
        fi
    fi
    rm -rf "$dir"
    exit 0
fi
if ! ls -d /usr/lib/postgresql/*/bin >/dev/null 2>&1; then
    echo "installing PostgreSQL from Debian's packages" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2 \
        || { apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2; }
fi
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)"
dir="$(mktemp -d /tmp/optl-ci-pg.XXXXXX)"
# A free local port.
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null || echo $((20000 + RANDOM % 20000)))"
as_pg() {
    if [ "$(id -u)" = 0 ]; then
        id optl-ci-pg >/dev/null 2>&1 || useradd --system --no-create-home optl-ci-pg
        chown -R optl-ci-pg "$dir"
        su optl-ci-pg -s /bin/sh -c "$1"
    else
        sh -c "$1"
    fi
}
as_pg "'$bin/initdb' -D '$dir/data' -U postgres --auth=trust >'$dir/initdb.log' 2>&1"
as_pg "'$bin/pg_ctl' -D '$dir/data' -l '$dir/server.log' -w -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off\" start >/dev/null"
echo "$dir postgresql://postgres@127.0.0.1:$port/postgres"
