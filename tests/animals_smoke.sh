#!/bin/sh
# corio-animals on loopback: exact JSON bodies and status codes (404 with a
# JSON error), the client's lines in the order given, exit status 1 after the
# others for an unknown animal, and 20 names fetched all at once in about one
# --delay but one at a time in about 20.
set -eu
bin=$1
delay=100
out=$(mktemp)
trap 'rm -f "$out" "$out".*; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
fail() { echo "animals_smoke: $*" >&2; exit 1; }
"$bin/corio-animals" serve --port 0 --delay $delay > "$out" &
pid=$!
for _ in $(seq 200); do grep -q listening "$out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$out")
[ -n "$url" ] || fail "server did not start"

body=$(curl -s -w ' %{http_code} %{content_type}' "$url/animals/cow")
[ "$body" = '{"animal":"cow","sound":"moo"} 200 application/json' ] || fail "GET /animals/cow: $body"
body=$(curl -s -w ' %{http_code}' "$url/animals/uni%22corn")
[ "$body" = '{"error":"unknown animal","animal":"uni\"corn"} 404' ] || fail "GET unknown: $body"
body=$(curl -s -w ' %{http_code}' "$url/animals")
case "$body" in '["bee","cat",'*'"wolf"] 200') ;; *) fail "GET /animals: $body" ;; esac
count=$(echo "$body" | tr ',' '\n' | wc -l)
[ "$count" -ge 20 ] || fail "only $count animals"

status=0
"$bin/corio-animals" say --url "$url" pig nessie cow > "$out.say" 2> "$out.err" || status=$?
[ "$status" -eq 1 ] || fail "say with an unknown animal exited $status"
printf 'The pig says "oink".\nThe cow says "moo".\n' > "$out.want"
head -2 "$out.say" | cmp -s - "$out.want" || { cat "$out.say"; fail "say printed the wrong lines"; }
grep -q "no such animal: 'nessie'" "$out.err" || { cat "$out.err"; fail "no line for the unknown"; }

# A bad --url is a usage error (2); a refused one a failure (1) naming the URL.
status=0
"$bin/corio-animals" say --url notaurl cow > /dev/null 2> "$out.err" || status=$?
[ "$status" -eq 2 ] && grep -q "notaurl" "$out.err" || fail "say --url notaurl: $status $(cat "$out.err")"
status=0
"$bin/corio-animals" say --url http://127.0.0.1:9 cow > /dev/null 2> "$out.err" || status=$?
[ "$status" -eq 1 ] || fail "say on a refused URL exited $status"
grep -q "^corio-animals: cow: http://127.0.0.1:9/animals/cow: refused" "$out.err" ||
    fail "the refused URL is not named: $(cat "$out.err")"

names="bee cat chick cow crow dog donkey duck elephant fox frog goat goose horse lion mouse owl pig rooster seal"
for mode in "" --sequential; do
    # shellcheck disable=SC2086
    "$bin/corio-animals" say --url "$url" $mode $names > "$out.say"
    [ "$(grep -c '^The .* says ".*"\.$' "$out.say")" -eq 20 ] || { cat "$out.say"; fail "say $mode: not 20 lines"; }
    [ "$(sed -n '1p;20p' "$out.say" | tr '\n' ' ')" = 'The bee says "buzz". The seal says "ork". ' ] ||
        fail "say $mode: out of order"
    ms=$(sed -n 's/^20 animals in \([0-9.]*\) s.*/\1/p' "$out.say" | awk '{ printf "%d", $1 * 1000 }')
    if [ -z "$mode" ]; then lo=$delay; hi=$((2 * delay)); else lo=$((20 * delay)); hi=$((25 * delay)); fi
    [ "$ms" -ge $lo ] && [ "$ms" -le $hi ] || fail "say $mode took $ms ms, expected $lo..$hi"
done
kill -TERM "$pid"
wait "$pid" || fail "server exited $? after SIGTERM"
pid=
echo "animals_smoke: JSON, 404, order, exit status and timings as expected"
