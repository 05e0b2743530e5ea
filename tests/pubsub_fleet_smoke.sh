#!/bin/sh
# corio-pubsub --redis: three instances on one redis-server (a Unix socket in
# a temp dir, no persistence) are one service.
#  1. Subscribers on every instance, publishers on every instance: every
#     subscriber gets every message, in one order, with the same ids.
#  2. Last-Event-ID on another instance replays exactly what followed.
#  3. An instance SIGKILLed mid-stream: its subscribers reconnect to another
#     one with their last id and lose nothing, repeat nothing.
#  4. Redis restarted mid-stream: publishing answers 503 JSON meanwhile, open
#     streams stay open and then get every message published after.
set -eu
bin=$1
dir=$(mktemp -d)
pids=""
redis_pid=""
trap 'for p in $pids $redis_pid; do kill -9 "$p" 2>/dev/null || true; done; rm -rf "$dir"' EXIT
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
sock=$dir/redis.sock
start_redis() {
    rm -f "$sock"
    redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' --appendonly no \
        --dir "$dir" --logfile "$dir/redis.log" &
    redis_pid=$!
    for _ in $(seq 200); do [ -S "$sock" ] && return; sleep 0.05; done
    fail "redis-server did not start"
}
start_redis
for n in 1 2 3; do
    "$bin/corio-pubsub" --port 0 --redis "unix://$sock" --channel t > "$dir/out$n" 2> "$dir/err$n" &
    eval "inst$n=$!"
    pids="$pids $!"
    for _ in $(seq 200); do grep -q listening "$dir/out$n" && break; sleep 0.05; done
    p=$(sed -n 's/^listening on http:.*:\([0-9]*\)$/\1/p' "$dir/out$n")
    [ -n "$p" ] || fail "instance $n did not start: $(cat "$dir/err$n")"
    eval "port$n=$p"
done
subscribe() { # $1: name, $2: instance, [$3: Last-Event-ID]
    if [ $# -gt 2 ]; then
        curl -sN -m 60 -H "Last-Event-ID: $3" "http://127.0.0.1:$(eval echo \$port$2)/" > "$dir/$1" &
    else
        curl -sN -m 60 "http://127.0.0.1:$(eval echo \$port$2)/" > "$dir/$1" &
    fi
    pids="$pids $!"
    eval "sub_$1=$!"
}
events() { # "ID DATA" for each event of the stream files
    cat "$@" 2> /dev/null | awk '/^id: /{id=$2} /^data: /{print id, substr($0, 7)}'
}
publish() { # $1: instance, $2: message; prints the id, or fails (a 503 too)
    answer=$(curl -sf -m 10 -w '\n' -X POST "http://127.0.0.1:$(eval echo \$port$1)/?msg=$2") ||
        return 1
    printf '%s\n' "$answer" | sed -n 's/^{"id":"\([0-9-]*\)"}$/\1/p'
}
publish_soon() { # the same, retried while the instance answers 503 (Redis just came back)
    for _ in $(seq 100); do publish "$@" && return; sleep 0.1; done
    return 1
}
wait_count() { # $1: count; the rest: stream files that must reach it
    want=$1
    shift
    for _ in $(seq 400); do
        ok=1
        for f in "$@"; do [ "$(events "$f" | wc -l)" -ge "$want" ] || ok=0; done
        [ $ok = 1 ] && return
        sleep 0.05
    done
    for f in "$@"; do echo "$f: $(events "$f" | wc -l) events" >&2; done
    fail "not every subscriber got $want messages"
}
connected() { # waits until instance $1 has $2 subscribers
    for _ in $(seq 200); do
        curl -sf "http://127.0.0.1:$(eval echo \$port$1)/stats" | grep -q "\"subscribers\":$2," && return
        sleep 0.05
    done
    fail "instance $1 does not have $2 subscribers"
}

# 1.
for n in 1 2 3; do subscribe "a$n" $n; subscribe "b$n" $n; done
for n in 1 2 3; do connected $n 2; done
for i in $(seq 1 20); do
    batch=""
    for n in 1 2 3; do
        publish $n "m$i.$n" > "$dir/pub$i.$n" &
        batch="$batch $!"
    done
    for p in $batch; do wait "$p"; done
done
cat "$dir"/pub* > "$dir/pubs"; [ "$(grep -c . "$dir/pubs")" -eq 60 ] || fail "not every publish answered an id: $(grep -c . "$dir/pubs")"
wait_count 60 "$dir"/a? "$dir"/b?
events "$dir/a1" > "$dir/want"
for f in "$dir"/a? "$dir"/b?; do
    events "$f" | cmp -s - "$dir/want" || fail "$f differs from a1's stream"
done
awk '{split($1, p, "-"); if (p[1] + 0 < ms || (p[1] + 0 == ms && p[2] + 0 <= seq)) exit 1
      ms = p[1] + 0; seq = p[2] + 0}' "$dir/want" ||
    fail "ids not increasing"
[ "$(cut -d' ' -f2 "$dir/want" | sort -u | wc -l)" -eq 60 ] || fail "a message twice or missing"
curl -sf "http://127.0.0.1:$port2/stats" | grep -q '"published":60' || fail "/stats: $(curl -s "http://127.0.0.1:$port2/stats")"

# 2.
from=$(sed -n 20p "$dir/want" | cut -d' ' -f1)
subscribe r 3 "$from"
wait_count 40 "$dir/r"
events "$dir/r" | cmp -s - "$(tail -n 40 "$dir/want" > "$dir/want40"; echo "$dir/want40")" ||
    fail "the replay on instance 3 is not messages 21..60"

# 3.
for i in $(seq 61 90); do
    publish $((2 + i % 2)) "m$i" > /dev/null || fail "publish $i"
    if [ "$i" = 70 ]; then kill -9 "$inst1"; fi
done
for n in 1; do
    for s in a b; do
        last=$(events "$dir/$s$n" | tail -n 1 | cut -d' ' -f1)
        subscribe "${s}${n}x" 2 "$last"
    done
done
wait_count 90 "$dir"/a2
events "$dir"/a2 > "$dir/want"
wait_count 70 "$dir/r"
for s in a b; do
    for _ in $(seq 200); do
        [ "$(events "$dir/${s}1" "$dir/${s}1x" | wc -l)" -ge 90 ] && break
        sleep 0.05
    done
    events "$dir/${s}1" "$dir/${s}1x" | cmp -s - "$dir/want" ||
        fail "${s}1 reconnected to instance 2: not the 90 messages once each"
done

# 4.
kill -9 "$redis_pid"
wait "$redis_pid" 2> /dev/null || true
code=$(curl -s -o "$dir/down" -w '%{http_code}' -X POST "http://127.0.0.1:$port2/?msg=lost")
[ "$code" = 503 ] && grep -q '"error"' "$dir/down" || fail "publishing without Redis: $code $(cat "$dir/down")"
start_redis
publish_soon 3 "m91" > "$dir/id91" && [ -s "$dir/id91" ] || fail "publishing after Redis came back"
# Each instance's pooled connections learn of the restart on their next
# call, which answers 503: the publisher is told, and retries.
for i in $(seq 92 100); do publish_soon $((2 + i % 2)) "m$i" > /dev/null || fail "publish $i"; done
wait_count 100 "$dir"/a2 "$dir"/b2 "$dir"/a3 "$dir"/b3
events "$dir"/a2 > "$dir/want"
for f in "$dir"/b2 "$dir"/a3 "$dir"/b3; do
    events "$f" | cmp -s - "$dir/want" || fail "$f differs from a2's stream after the restart"
done
for s in a b; do
    for _ in $(seq 200); do
        [ "$(events "$dir/${s}1" "$dir/${s}1x" | wc -l)" -ge 100 ] && break
        sleep 0.05
    done
    events "$dir/${s}1" "$dir/${s}1x" | cmp -s - "$dir/want" ||
        fail "${s}1, reconnected to instance 2, after the restart: not the 100 messages once each"
done
[ "$(cut -d' ' -f2 "$dir/want" | grep -c '^m9[1-9]$\|^m100$')" -eq 10 ] || fail "messages lost after the restart"
echo "pubsub_fleet_smoke: 3 instances, one order; replay elsewhere; a SIGKILL and a Redis restart lost nothing"
