#!/bin/sh
# corio-check streams its list: 100,000 URLs of ~600 bytes (a 60 MB list),
# with --jsonl, must not be held in memory even once (peak RSS well under
# the list's size), and the JSONL has a line per URL.
set -eu
bin=$1
. "$(dirname "$0")/fakeweb_lib.sh"
start_fakeweb --threads 2
pad=$(head -c 560 /dev/zero | tr '\0' x)
"$bin/corio-fakeweb" urls --count 100000 --base "$base" --mix "200:99,404:1" |
    sed "s/\$/?pad=$pad/" > "$fw_out.list"
/usr/bin/time -f '%M' -o "$fw_out.rss" "$bin/corio-check" --no-progress -c 100 \
    --jsonl "$fw_out.jsonl" "$fw_out.list" > "$fw_out.counts" 2>/dev/null
[ "$(cat "$fw_out.counts")" = '{"200": 99000, "404": 1000}' ] || fail "counts: $(cat "$fw_out.counts")"
[ "$(wc -l < "$fw_out.jsonl")" -eq 100000 ] || fail "JSONL lines"
rss=$(tail -1 "$fw_out.rss")
list_kib=$(($(wc -c < "$fw_out.list") / 1024))
rm -f "$fw_out.list" "$fw_out.jsonl" "$fw_out.counts" "$fw_out.rss"
[ "$rss" -lt $((list_kib / 2)) ] || fail "peak RSS $rss KiB for a $list_kib KiB list"
echo "check_memory: peak RSS $rss KiB for a $list_kib KiB list"
