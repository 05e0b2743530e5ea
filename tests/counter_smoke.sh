#!/bin/sh
# Smoke test of corio-counter and its three clients (seed 000): a server on a
# kernel-chosen port with a short wait; each client must print five distinct
# counts (no update lost between concurrent requests) and its time: the
# naive one about 5 waits, the threaded and async ones about 1.
set -eu
bin=$1
delay=200
out=$(mktemp)
trap 'rm -f "$out" "$out".*; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
"$bin/corio-counter" --port 0 --delay $delay > "$out" &
pid=$!
for _ in $(seq 200); do grep -q listening "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on http:.*:\([0-9]*\)$/\1/p' "$out")
[ -n "$port" ] || { echo "counter_smoke: server did not start" >&2; exit 1; }
expect=1
for client in counter_naive counter_threads counter_async; do
    "$bin/$client" "http://127.0.0.1:$port/" > "$out.c"
    cat "$out.c"
    counts=$(grep -E '^[0-9]+$' "$out.c" | sort -n | tr '\n' ' ')
    want=$(seq $expect $((expect + 4)) | tr '\n' ' ')
    [ "$counts" = "$want" ] || { echo "counter_smoke: $client: got '$counts', want '$want'" >&2; exit 1; }
    expect=$((expect + 5))
    secs=$(sed -n "s/^$client: 5 requests in \([0-9.]*\) s$/\1/p" "$out.c")
    [ -n "$secs" ] || { echo "counter_smoke: $client: no timing line" >&2; exit 1; }
    ms=$(echo "$secs" | awk '{ printf "%d", $1 * 1000 }')
    if [ $client = counter_naive ]; then lo=$((5 * delay)); hi=$((5 * delay + 600)); else lo=$delay; hi=$((delay + 600)); fi
    [ "$ms" -ge "$lo" ] && [ "$ms" -le "$hi" ] ||
        { echo "counter_smoke: $client took $ms ms, expected $lo..$hi" >&2; exit 1; }
done
kill -TERM "$pid"
wait "$pid"
status=$?
pid=
[ "$status" -eq 0 ] || { echo "counter_smoke: server exited $status after SIGTERM" >&2; exit 1; }
echo "counter_smoke: naive, threads and async clients counted; server stopped on SIGTERM"
