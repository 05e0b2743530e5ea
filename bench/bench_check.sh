#!/bin/sh
# corio-check's target: 10,000 URLs on corio-fakeweb, each answered after
# 100 ms, checked with 1000 in flight. The ideal is 10 waves x 100 ms = 1 s.
# Reports wall time vs ideal, CPU time per URL and peak RSS, against two
# anchors measured in the same run on the same list: Python aiohttp
# (bench/anchors/aiohttp_checker.py, after seed 003's asyncio checker) and
# `curl --parallel --parallel-max 1000`. corio-fakeweb runs on 2 loops
# (--threads 2) in the background so that it is not the bottleneck; on a
# 2-core machine it still shares the cores with the checker under test.
# Last line: one JSON object.
set -eu
bin=${1:-build/bin}
here=$(dirname "$0")
n=${BENCH_CHECK_URLS:-10000}
c=1000
delay=100
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$work"' EXIT INT TERM
ulimit -n 8192 2>/dev/null || true
"$bin/corio-fakeweb" --port 0 --threads 2 > "$work/fw.out" &
pid=$!
for _ in $(seq 200); do grep -q listening "$work/fw.out" && break; sleep 0.05; done
base=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$work/fw.out")
[ -n "$base" ] || { echo "bench_check: corio-fakeweb did not start" >&2; exit 1; }
"$bin/corio-fakeweb" urls --count "$n" --base "$base" --mix 200:1 --delay "$delay-$delay" \
    > "$work/urls.txt"
sed 's/.*/url = "&"\noutput = "\/dev\/null"/' "$work/urls.txt" > "$work/curl.cfg"
ideal=$(awk "BEGIN { print ($n / $c) * $delay / 1000 }")

# measure NAME CMD...: wall s, user+sys s, peak RSS KiB into $NAME_*.
measure() {
    name=$1
    shift
    /usr/bin/time -f '%e %U %S %M' -o "$work/$name.time" "$@" > "$work/$name.out" 2>/dev/null
    read -r wall user sys rss < "$work/$name.time"
    cpu=$(awk "BEGIN { print $user + $sys }")
    eval "${name}_wall=$wall ${name}_cpu=$cpu ${name}_rss=$rss"
    printf '%-8s wall %6.2f s (%.2fx ideal)  cpu %6.2f s (%6.1f us/URL)  peak RSS %6.1f MiB  %s\n' \
        "$name" "$wall" "$(awk "BEGIN { print $wall / $ideal }")" "$cpu" \
        "$(awk "BEGIN { print $cpu * 1e6 / $n }")" "$(awk "BEGIN { print $rss / 1024 }")" \
        "$(head -c 80 "$work/$name.out" | tr -d '\n')"
}

echo "bench_check: $n URLs, ${delay} ms each, $c in flight; ideal $ideal s"
measure corio "$bin/corio-check" --no-progress -c "$c" -t 30 "$work/urls.txt"
measure aiohttp /usr/bin/python3 "$here/anchors/aiohttp_checker.py" "$work/urls.txt" "$c"
measure curl curl -s --parallel --parallel-max "$c" -K "$work/curl.cfg"
r() { awk "BEGIN { printf \"%.2f\", $1 / $2 }"; }
echo "corio vs aiohttp: $(r "$aiohttp_wall" "$corio_wall")x wall, $(r "$aiohttp_cpu" "$corio_cpu")x less CPU"
echo "corio vs curl:    $(r "$curl_wall" "$corio_wall")x wall, $(r "$curl_cpu" "$corio_cpu")x less CPU"
printf '{"bench":"check","urls":%s,"concurrency":%s,"delay_ms":%s,"ideal_s":%s,' "$n" "$c" "$delay" "$ideal"
printf '"corio_wall_s":%s,"corio_vs_ideal":%s,"corio_cpu_us_per_url":%s,"corio_rss_mib":%s,' \
    "$corio_wall" "$(r "$corio_wall" "$ideal")" "$(awk "BEGIN { printf \"%.1f\", $corio_cpu * 1e6 / $n }")" \
    "$(awk "BEGIN { printf \"%.1f\", $corio_rss / 1024 }")"
printf '"aiohttp_wall_s":%s,"aiohttp_cpu_s":%s,"curl_wall_s":%s,"curl_cpu_s":%s,' \
    "$aiohttp_wall" "$aiohttp_cpu" "$curl_wall" "$curl_cpu"
printf '"wall_ratio_aiohttp":%s,"cpu_ratio_aiohttp":%s,"wall_ratio_curl":%s,"cpu_ratio_curl":%s}\n' \
    "$(r "$aiohttp_wall" "$corio_wall")" "$(r "$aiohttp_cpu" "$corio_cpu")" \
    "$(r "$curl_wall" "$corio_wall")" "$(r "$curl_cpu" "$corio_cpu")"
