#!/bin/sh
# Smoke test of the HTTP example servers: each starts on a kernel-chosen
# port, answers what it is for (checked with curl), and stops with exit 0 on
# SIGTERM.
set -eu
bin=$1
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT

start() { # name args...
    name=$1
    shift
    # Emptied here, not by the redirection: that runs in the child, which a
    # fast parent can overtake and read the previous server's port.
    : > "$tmp/out"
    "$bin/$name" "$@" --port 0 > "$tmp/out" &
    pid=$!
    for _ in $(seq 200); do grep -q listening "$tmp/out" && break; sleep 0.05; done
    port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$tmp/out")
    [ -n "$port" ] || { echo "http_smoke: $name did not start" >&2; exit 1; }
    base=http://127.0.0.1:$port
}

stop() {
    kill -TERM "$pid"
    status=0
    wait "$pid" || status=$?
    pid=
    [ "$status" -eq 0 ] || { echo "http_smoke: $name exited $status after SIGTERM" >&2; exit 1; }
}

expect() { # what got want
    [ "$2" = "$3" ] || { printf 'http_smoke: %s: got [%s], want [%s]\n' "$1" "$2" "$3" >&2; exit 1; }
}

start hello-server
expect hello "$(curl -s "$base/")" "Hello, World!"
expect hello-404 "$(curl -s -o /dev/null -w '%{http_code}' "$base/nope")" 404
stop

mkdir -p "$tmp/root/sub"
echo '<h1>home</h1>' > "$tmp/root/index.html"
echo 'body { }' > "$tmp/root/sub/site.css"
echo secret > "$tmp/secret"
start static_server --root "$tmp/root"
expect static-index "$(curl -s "$base/")" "<h1>home</h1>"
expect static-type "$(curl -s -o /dev/null -w '%{content_type}' "$base/sub/site.css")" "text/css"
expect static-404 "$(curl -s -o /dev/null -w '%{http_code}' "$base/missing.txt")" 404
expect static-escape "$(curl -s --path-as-is -o /dev/null -w '%{http_code}' "$base/../secret")" 403
ln -s "$tmp/secret" "$tmp/root/link_out"
ln -s index.html "$tmp/root/link_in.html"
expect static-symlink-out "$(curl -s -o /dev/null -w '%{http_code}' "$base/link_out")" 403
expect static-symlink-in "$(curl -s "$base/link_in.html")" "<h1>home</h1>"
# Any size, streamed: a 96 MiB file (sparse) whole, and five slow readers
# of it at once cost the server little memory.
truncate -s 96M "$tmp/root/big.bin"
expect static-big "$(curl -s -o /dev/null -w '%{http_code} %{size_download}' "$base/big.bin")" "200 100663296"
slow=
for _ in 1 2 3 4 5; do
    curl -s --limit-rate 2M -o /dev/null --max-time 3 "$base/big.bin" &
    slow="$slow $!"
done
sleep 1.5
rss_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
wait $slow || true
[ "$rss_kb" -lt 65536 ] || { echo "http_smoke: static_server holds $rss_kb KiB with 5 slow readers" >&2; exit 1; }
stop

start json_api
expect json-sum "$(curl -s -d '{"numbers":[1,2,3.5]}' "$base/api/sum")" '{"sum":6.5,"count":3}'
expect json-bad "$(curl -s -o /dev/null -w '%{http_code}' -d '{"numbers":' "$base/api/sum")" 400
expect json-item "$(curl -s "$base/api/items/1")" '{"id":1,"name":"banana"}'
expect json-404 "$(curl -s "$base/api/items/9")" '{"error":"no such item"}'
stop

start chunked_stream
got=$(curl -s --raw "$base/count?n=3&ms=10")
expect chunked "$(printf '%s' "$got" | tr -d '\r' | tr '\n' '|')" "c|line 1 of 3||c|line 2 of 3||c|line 3 of 3||0|"
stop

"$bin/http_gather" --unit-ms 20 > "$tmp/gather"
grep -q "5 requests in 0\.[01]" "$tmp/gather" || { cat "$tmp/gather"; exit 1; }
echo "http_smoke: hello-server, static_server, json_api, chunked_stream, http_gather"
