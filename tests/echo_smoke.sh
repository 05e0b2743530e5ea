#!/bin/sh
# Smoke test of the echo examples: a server on a kernel-chosen port, a client
# that sends three messages and sees them echoed, then SIGTERM stops the
# server cleanly (exit 0).
set -eu
bin=$1
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
"$bin/echo_server" --port 0 > "$out" &
pid=$!
for _ in $(seq 200); do grep -q listening "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
[ -n "$port" ] || { echo "echo_smoke: server did not start" >&2; exit 1; }
"$bin/echo_client" --port "$port" --count 3 --unit-ms 10 > "$out.client"
n=$(grep -c "receiver: got data" "$out.client" || true)
grep -q "receiver: connection closed" "$out.client" || { cat "$out.client"; exit 1; }
rm -f "$out.client"
[ "$n" -ge 1 ] || { echo "echo_smoke: no echo" >&2; exit 1; }
kill -TERM "$pid"
wait "$pid"
status=$?
pid=
[ "$status" -eq 0 ] || { echo "echo_smoke: server exited $status after SIGTERM" >&2; exit 1; }
echo "echo_smoke: echoed, server stopped on SIGTERM"
