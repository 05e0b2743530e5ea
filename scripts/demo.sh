#!/bin/sh
# make demo: the seed's website checker, four ways, on a local fake web.
# Starts corio-fakeweb on a free port, writes ~100 URLs (mixed statuses,
# 50-300 ms delays, a few that hang or are refused), runs
# `corio-check --compare` and draws build/demo/compare.png.
set -eu
build=${1:-build}
bin=$build/bin
out=$build/demo
mkdir -p "$out"
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true' EXIT INT TERM
"$bin/corio-fakeweb" --port 0 --threads 2 > "$out/fakeweb.out" &
pid=$!
for _ in $(seq 100); do grep -q listening "$out/fakeweb.out" 2>/dev/null && break; sleep 0.05; done
base=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$out/fakeweb.out")
[ -n "$base" ] || { echo "demo: corio-fakeweb did not start" >&2; exit 1; }
"$bin/corio-fakeweb" urls --count 100 --base "$base" --delay 50-300 \
    --mix "200:80,404:8,500:5,301:2,hang:3,refused:2" > "$out/urls.txt"
echo "corio-check --compare: 100 URLs on corio-fakeweb ($base), 50-300 ms each,"
echo "3 that hang (timeout 2 s) and 2 refused; the seed's four ways:"
echo
"$bin/corio-check" --compare --no-progress --plot "$out/compare.png" -t 2 "$out/urls.txt"
echo
echo "chart: $out/compare.png"
kill "$pid"
wait "$pid" || true
pid=
