#!/bin/sh
# corio-crawl --redis: a fleet of three workers on one redis-server (a Unix
# socket in a temp dir, no persistence) against corio-fakeweb's link graph.
#  1. Their outputs together are exactly the single-process crawl's pages,
#     each once, and --status says so.
#  2. Again after --reset, with one worker SIGKILLed part-way: every page is
#     still crawled; the only pages written twice are ones the killed worker
#     had written (it held their lease when it died).
#  3. --max-pages 40 across the three: 40 pages in all.
#  4. An unreachable Redis: exit 1 after the lease's time, naming the URL.
set -eu
bin=$1
dir=$(mktemp -d)
. "$(dirname "$0")/fakeweb_lib.sh"
pids=""
trap 'for p in $pids; do kill -9 "$p" 2>/dev/null || true; done; fw_cleanup; rm -rf "$dir"' EXIT
sock=$dir/redis.sock
redis-server --port 0 --unixsocket "$sock" --unixsocketperm 700 --save '' --appendonly no \
    --dir "$dir" --logfile "$dir/redis.log" &
pids="$!"
for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done
[ -S "$sock" ] || fail "redis-server did not start"
start_fakeweb --pages 400 --page-delay 30
start=$base/site/0/page/0
redis=unix://$sock

urls() { # the URLs of JSON Lines files, one a line
    cat "$@" | sed -n 's/^{"url":"\([^"]*\)".*/\1/p'
}

"$bin/corio-crawl" --no-progress -n 100000 -w 8 -o "$dir/single" "$start" 2> "$dir/single.err" ||
    fail "the single-process crawl failed: $(cat "$dir/single.err")"
urls "$dir/single" | sort > "$dir/want"
[ "$(wc -l < "$dir/want")" -eq 400 ] || fail "the single-process crawl has $(wc -l < "$dir/want") pages"

fleet() { # $1: a tag; the rest: options. Starts three workers; their pids in $workers
    tag=$1
    shift
    workers=""
    for n in 1 2 3; do
        "$bin/corio-crawl" --no-progress --redis "$redis" -w 3 -o "$dir/$tag$n" "$@" "$start" \
            2> "$dir/$tag$n.err" &
        workers="$workers $!"
        pids="$pids $!"
    done
}
wait_all() {
    for p in $workers; do wait "$p" || fail "a worker exited $?: $(cat "$dir"/*.err)"; done
}

# 1.
fleet a -n 100000
wait_all
urls "$dir"/a? | sort > "$dir/got"
cmp -s "$dir/want" "$dir/got" || fail "3 workers: $(wc -l < "$dir/got") records, not the 400 pages each once"
"$bin/corio-crawl" --redis "$redis" --status "$start" > "$dir/status"
grep -q '"queued":0,"leased":0,"done":400,"failed":0' "$dir/status" ||
    fail "--status after the crawl: $(cat "$dir/status")"

# 2.
"$bin/corio-crawl" --redis "$redis" --reset "$start"
"$bin/corio-crawl" --redis "$redis" --status "$start" > "$dir/status"
grep -q '"seen":0' "$dir/status" || fail "--reset left $(cat "$dir/status")"
fleet b -n 100000 --lease 3
set -- $workers
victim=$1
workers="$2 $3"
for _ in $(seq 400); do [ -f "$dir/b1" ] && [ "$(wc -l < "$dir/b1")" -ge 10 ] && break; sleep 0.01; done
kill -9 "$victim"
wait "$victim" 2>/dev/null || true
"$bin/corio-crawl" --redis "$redis" --status "$start" > "$dir/status"
grep -q '"queued":0,"leased":0' "$dir/status" && fail "the crawl was over before the SIGKILL"
wait_all
urls "$dir"/b? | sort -u > "$dir/got"
cmp -s "$dir/want" "$dir/got" || fail "after a SIGKILL: $(wc -l < "$dir/got") pages, not the 400"
urls "$dir"/b? | sort | uniq -d > "$dir/dups"
urls "$dir/b1" | sort > "$dir/victim"
[ -z "$(comm -23 "$dir/dups" "$dir/victim")" ] ||
    fail "pages written twice that the killed worker never had: $(comm -23 "$dir/dups" "$dir/victim")"
[ "$(wc -l < "$dir/dups")" -le 3 ] || fail "more pages repeated ($(wc -l < "$dir/dups")) than the killed worker's -w"
"$bin/corio-crawl" --redis "$redis" --status "$start" > "$dir/status"
grep -q '"queued":0,"leased":0' "$dir/status" || fail "--status after the SIGKILL run: $(cat "$dir/status")"

# 3.
"$bin/corio-crawl" --redis "$redis" --reset "$start"
fleet c -n 40
wait_all
[ "$(urls "$dir"/c? | wc -l)" -eq 40 ] || fail "--max-pages 40: $(urls "$dir"/c? | wc -l) pages"
[ "$(urls "$dir"/c? | sort -u | wc -l)" -eq 40 ] || fail "--max-pages 40: a page twice"

# 4.
rc=0
"$bin/corio-crawl" --no-progress --redis "unix://$dir/none.sock" --lease 1 "$start" 2> "$dir/err" || rc=$?
[ "$rc" -eq 1 ] || fail "without its Redis: exit $rc, not 1"
grep -q "none.sock" "$dir/err" || fail "no error naming the Redis URL: $(cat "$dir/err")"
echo "crawl_fleet_smoke: 3 workers crawled the 400 pages once each, survived a SIGKILL, kept --max-pages"
