#!/bin/sh
# bench-animals: issue 7's animals target. corio-animals serve --delay 200,
# then `say` with 20 names all at once (target: at most 1.3 delays) and one
# at a time (about 20 delays). The last line is one JSON object.
set -eu
bin=$(cd "$(dirname "$0")" && pwd)
delay=${1:-200}
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
"$bin/corio-animals" serve --port 0 --delay "$delay" > "$out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$out")
names="bee cat chick cow crow dog donkey duck elephant fox frog goat goose horse lion mouse owl pig rooster seal"
# shellcheck disable=SC2086
conc=$("$bin/corio-animals" say --url "$url" $names | sed -n 's/^20 animals in \([0-9.]*\) s.*/\1/p')
# shellcheck disable=SC2086
seq=$("$bin/corio-animals" say --url "$url" --sequential $names | sed -n 's/^20 animals in \([0-9.]*\) s.*/\1/p')
awk -v c="$conc" -v s="$seq" -v d="$delay" 'BEGIN {
    printf "20 animals, --delay %d ms: all at once %.3f s (%.2f delays), one at a time %.3f s (%.2f delays)\n", d, c, c * 1000 / d, s, s * 1000 / d
    printf "{\"bench\":\"animals\",\"delay_ms\":%d,\"concurrent_s\":%.3f,\"concurrent_delays\":%.2f,\"sequential_s\":%.3f,\"sequential_delays\":%.2f,\"speedup\":%.1f}\n", d, c, c * 1000 / d, s, s * 1000 / d, s / c
}'
