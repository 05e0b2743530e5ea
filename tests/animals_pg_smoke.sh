#!/bin/sh
# corio-animals with --pg on a throwaway PostgreSQL (run as nobody when
# root): init-db fills the table, serve answers from it exactly as from the
# built-in table, 503 with a JSON error while the database is down, and
# answers again once it is back, by itself.
set -eu
bin=$1
pgbin=/usr/lib/postgresql/15/bin
dir=$(mktemp -d /tmp/corio-animals-pg-XXXXXX)
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        setpriv --reuid=nobody --regid="$(id -g nobody)" --clear-groups "$@"
    else
        "$@"
    fi
}
pg_ctl() { as_pg "$pgbin/pg_ctl" -D "$dir/data" -l "$dir/log" -w -t 60 "$@" >/dev/null; }
cleanup() {
    [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true
    [ -f "$dir/data/postmaster.pid" ] && pg_ctl -m immediate stop || true
    rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "animals_pg_smoke: $*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] && chown nobody "$dir"
as_pg "$pgbin/initdb" -D "$dir/data" -U postgres -A trust --no-sync >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log"; fail "initdb failed"; }
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
opts="-c fsync=off -c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir"
pg_ctl -o "$opts" start
url="postgresql://postgres@127.0.0.1:$port/postgres"

"$bin/corio-animals" init-db --pg "$url" | grep -q '^24 animals in table animals$' || fail "init-db"
"$bin/corio-animals" init-db --pg "$url" >/dev/null || fail "init-db twice"
status=0
"$bin/corio-animals" init-db --pg "postgresql://postgres@127.0.0.1:1/x" 2>/dev/null || status=$?
[ "$status" -eq 1 ] || fail "init-db without a database exited $status"

"$bin/corio-animals" serve --port 0 --pg "$url" > "$dir/out" 2>"$dir/err" &
pid=$!
for _ in $(seq 200); do grep -q listening "$dir/out" && break; sleep 0.05; done
api=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$dir/out")
[ -n "$api" ] || fail "server did not start"

body=$(curl -s -w ' %{http_code} %{content_type}' "$api/animals/cow")
[ "$body" = '{"animal":"cow","sound":"moo"} 200 application/json' ] || fail "GET /animals/cow: $body"
body=$(curl -s -w ' %{http_code}' "$api/animals/uni%22corn")
[ "$body" = '{"error":"unknown animal","animal":"uni\"corn"} 404' ] || fail "GET unknown: $body"
body=$(curl -s -w ' %{http_code}' "$api/animals")
case "$body" in '["bee","cat",'*'"wolf"] 200') ;; *) fail "GET /animals: $body" ;; esac

pg_ctl -m fast stop
body=$(curl -s -m 10 -w ' %{http_code}' "$api/animals/cow")
[ "$body" = '{"error":"database unavailable"} 503' ] || fail "database down: $body"
body=$(curl -s -m 10 -w ' %{http_code}' "$api/animals")
[ "$body" = '{"error":"database unavailable"} 503' ] || fail "database down, list: $body"

pg_ctl -o "$opts" start
body=$(curl -s -m 10 -w ' %{http_code}' "$api/animals/pig")
[ "$body" = '{"animal":"pig","sound":"oink"} 200' ] || fail "database back: $body"

kill -TERM "$pid"
wait "$pid" || fail "server exited $? after SIGTERM"
pid=
echo "animals_pg_smoke: from the table, 503 while down, back by itself"
