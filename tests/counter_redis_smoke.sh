#!/bin/sh
# corio-counter --redis: two counter servers on one redis-server (a Unix
# socket in a temp dir, no persistence) answer 40 concurrent requests
# between them; the counts must be 1..40, each once (no lost update across
# servers), and stop cleanly on SIGTERM. Then an unreachable Redis stops a
# server at startup with exit 1.
set -eu
bin=$1
dir=$(mktemp -d)
sock=$dir/redis.sock
pids=""
# Waited for before the directory goes: a redis-server stopping on SIGTERM
# writes its log and removes its socket there, racing the rm.
trap 'for p in $pids; do kill "$p" 2>/dev/null || true; done
      for p in $pids; do wait "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" &
pids="$!"
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || { echo "counter_redis_smoke: redis-server did not start" >&2; exit 1; }
ports=""
counters=""
for n in 1 2; do
    "$bin/corio-counter" --port 0 --delay 50 --redis "unix://$sock" > "$dir/out$n" &
    pids="$pids $!"
    counters="$counters $!"
    for _ in $(seq 200); do grep -q listening "$dir/out$n" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on http:.*:\([0-9]*\)$/\1/p' "$dir/out$n")
    [ -n "$port" ] || { echo "counter_redis_smoke: server $n did not start" >&2; exit 1; }
    ports="$ports $port"
done
i=0
curls=""
for _ in $(seq 20); do
    for port in $ports; do
        i=$((i + 1))
        curl -sf -m 20 "http://127.0.0.1:$port/" > "$dir/c$i" &
        curls="$curls $!"
    done
done
for p in $curls; do wait "$p" || { echo "counter_redis_smoke: a request failed" >&2; exit 1; }; done
counts=$(for f in "$dir"/c*; do cat "$f"; echo; done | sort -n | tr '\n' ' ')
want=$(seq 1 40 | tr '\n' ' ')
[ "$counts" = "$want" ] || { echo "counter_redis_smoke: got '$counts', want '$want'" >&2; exit 1; }
for p in $counters; do
    kill -TERM "$p"
    wait "$p" || { echo "counter_redis_smoke: a server did not exit 0 after SIGTERM" >&2; exit 1; }
done
if "$bin/corio-counter" --port 0 --redis "unix://$dir/none.sock" > /dev/null 2> "$dir/err"; then
    echo "counter_redis_smoke: started without its Redis" >&2; exit 1
fi
grep -q "none.sock" "$dir/err" || { echo "counter_redis_smoke: no error naming the URL" >&2; exit 1; }
echo "counter_redis_smoke: two servers counted 1..40 together on one Redis"
