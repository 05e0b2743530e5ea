#!/bin/sh
# corio-check end to end on a local corio-fakeweb: exact counts in every
# mode, timeouts, refused/reset/invalid URLs, redirects with and without -L,
# JSONL in input order (and on stdout), --compare, stdin, unreadable input,
# usage errors.
set -eu
bin=$1
. "$(dirname "$0")/fakeweb_lib.sh"
start_fakeweb
check() { "$bin/corio-check" --no-progress "$@"; }
list=$fw_out.list

# Exact counts, identical in every mode.
"$bin/corio-fakeweb" urls --count 63 --base "$base" --delay 10-50 \
    --mix "200:40,404:10,500:5,hang:2,refused:2,reset:2,invalid:2" > "$list"
want='{"200": 40, "404": 10, "500": 5, "error:invalid-url": 2, "error:refused": 2, "error:reset": 2, "error:timeout": 2}'
for m in async threads processes sequential; do
    got=$(check -m "$m" -t 0.5 "$list" 2> "$fw_out.err")
    [ "$got" = "$want" ] || fail "$m: $got"
    grep -q '^getting website statuses took [0-9]*\.[0-9] seconds$' "$fw_out.err" ||
        fail "$m: no timing line: $(cat "$fw_out.err")"
done

# A hanging URL times out after -t, in ~0.5 s (loose bounds).
echo "$base/hang" > "$list"
for m in async threads; do
    t0=$(date +%s.%N)
    got=$(check -m "$m" -t 0.5 "$list" 2>/dev/null)
    t=$(awk "BEGIN { print $(date +%s.%N) - $t0 }")
    [ "$got" = '{"error:timeout": 1}' ] || fail "$m /hang: $got"
    awk "BEGIN { exit !($t >= 0.45 && $t < 3) }" || fail "$m /hang took $t s"
done

# Redirects: reported as they are, followed with -L (at most 10 hops).
printf '%s\n' "$base/redirect/2" "$base/redirect/11" "$base/status/301" > "$list"
for m in async sequential threads processes; do
    [ "$(check -m "$m" "$list" 2>/dev/null)" = '{"301": 1, "302": 2}' ] || fail "$m no -L"
    [ "$(check -m "$m" -L "$list" 2>/dev/null)" = '{"200": 2, "302": 1}' ] || fail "$m -L"
done
[ "$(check --method HEAD -L "$list" 2>/dev/null)" = '{"200": 2, "302": 1}' ] || fail "HEAD -L"

# JSONL in input order although the answers come back in reverse, and stdin.
printf '# slowest first\n\n  %s/delay/400  \n%s/delay/200\n%s/status/404\nnot a url\n' \
    "$base" "$base" "$base" > "$list"
for m in async threads processes; do
    check -m "$m" -c 4 --jsonl "$fw_out.jsonl" - < "$list" > /dev/null 2>&1
    sed -n 's/^{"url":"\([^"]*\)".*/\1/p' "$fw_out.jsonl" > "$fw_out.order"
    printf '%s\n' "$base/delay/400" "$base/delay/200" "$base/status/404" "not a url" |
        cmp -s - "$fw_out.order" || fail "$m: JSONL order: $(cat "$fw_out.jsonl")"
    grep -q '^{"url":"not a url","status":null,"error":"error:invalid-url","ms":[0-9.]*,"bytes":0}$' \
        "$fw_out.jsonl" || fail "$m: JSONL invalid-url line: $(cat "$fw_out.jsonl")"
    grep -q "^{\"url\":\"$base/delay/200\",\"status\":200,\"error\":null,\"ms\":[0-9.]*,\"bytes\":8}\$" \
        "$fw_out.jsonl" || fail "$m: JSONL 200 line: $(cat "$fw_out.jsonl")"
done
[ "$(cat "$list" | check 2>/dev/null)" = '{"200": 2, "404": 1, "error:invalid-url": 1}' ] ||
    fail "stdin without FILE"

# --compare: a table of the four modes that agree.
"$bin/corio-fakeweb" urls --count 12 --base "$base" --mix "200:9,404:3" > "$list"
check --compare -t 2 "$list" > "$fw_out.table" 2>/dev/null || fail "--compare: exit status"
grep -q '^mode  *seconds  *speedup  *counts$' "$fw_out.table" || fail "--compare header"
for m in sequential processes threads async; do
    grep -q "^$m  *[0-9.]*  *[0-9.]*x  {\"200\": 9, \"404\": 3}\$" "$fw_out.table" ||
        fail "--compare $m row: $(cat "$fw_out.table")"
done
grep -q '^all modes agree on 12 URLs$' "$fw_out.table" || fail "--compare: agreement line"

# --jsonl -: the lines on stdout, the counts on stderr.
printf '%s\n' "$base/status/404" "$base/status/200" > "$list"
check --jsonl - "$list" > "$fw_out.jsonl" 2> "$fw_out.err" || fail "--jsonl -: exit status"
[ "$(grep -c '^{"url":' "$fw_out.jsonl")" = 2 ] || fail "--jsonl -: stdout: $(cat "$fw_out.jsonl")"
[ "$(wc -l < "$fw_out.jsonl")" = 2 ] || fail "--jsonl -: more than JSONL: $(cat "$fw_out.jsonl")"
grep -q '^{"200": 1, "404": 1}$' "$fw_out.err" || fail "--jsonl -: counts: $(cat "$fw_out.err")"
[ ! -e ./- ] || fail "--jsonl - wrote a file named '-'"

# An input that cannot be read is a failure (1), one line naming it, no JSON.
for f in /no/such/file /proc/self/mem /; do
    rc=0
    "$bin/corio-check" "$f" > "$fw_out.jsonl" 2> "$fw_out.err" || rc=$?
    [ "$rc" = 1 ] || fail "'$f': exit $rc"
    [ "$(wc -l < "$fw_out.err")" = 1 ] && grep -q "^corio-check: $f: " "$fw_out.err" &&
        ! grep -q 'try --help' "$fw_out.err" || fail "'$f': $(cat "$fw_out.err")"
    [ ! -s "$fw_out.jsonl" ] || fail "'$f' printed $(cat "$fw_out.jsonl")"
done

# Usage errors: exit 2 and one line on stderr.
for args in "--bogus" "-c 0" "-c x" "-t abc" "-t -1" "--mode fast" "--method POST" \
    "--plot x.png" "--compare --plot x.gif" "-c"; do
    rc=0
    # shellcheck disable=SC2086
    "$bin/corio-check" $args < /dev/null > /dev/null 2> "$fw_out.err" || rc=$?
    [ "$rc" = 2 ] || fail "'$args': exit $rc"
    [ "$(wc -l < "$fw_out.err")" = 1 ] || fail "'$args': $(cat "$fw_out.err")"
done
"$bin/corio-check" --help | grep -q '^usage: corio-check' || fail "--help"
"$bin/corio-check" --version | grep -q '^corio-check (corio) ' || fail "--version"
rm -f "$list" "$fw_out.err" "$fw_out.jsonl" "$fw_out.order" "$fw_out.table"
echo "check_smoke: ok"
