#!/bin/sh
# corio-fakeweb: the endpoints, the link graph contract shared with
# corio-crawl (links exactly as specified, deterministic by seed, 404 beyond
# --pages), URL lists with exact mixes, and a clean stop on SIGTERM.
set -eu
bin=$1
. "$(dirname "$0")/fakeweb_lib.sh"
start_fakeweb --pages 50 --seed 7
host=${base#http://}
get() { curl -s -m 5 -o /dev/null -w '%{http_code}' "$@"; }

[ "$(get "$base/status/418")" = 418 ] || fail "/status/418"
[ "$(get "$base/status/302")" = 302 ] || fail "/status/302"
[ "$(get -L "$base/status/302")" = 200 ] || fail "/status/302 followed"
[ "$(curl -s -m 5 "$base/bytes/1000" | wc -c)" -eq 1000 ] || fail "/bytes/1000"
[ "$(get "$base/redirect/3")" = 302 ] || fail "/redirect/3"
[ "$(curl -s -m 5 -L -o /dev/null -w '%{http_code} %{num_redirects}' "$base/redirect/3")" = "200 3" ] ||
    fail "/redirect/3 followed"
[ "$(curl -s -m 5 "$base/chunked/3")" = "$(printf 'chunk 0\nchunk 1\nchunk 2')" ] || fail "/chunked/3"
curl -s -m 5 -D - -o /dev/null "$base/chunked/1" | grep -qi '^transfer-encoding: chunked' ||
    fail "/chunked is not chunked"
t=$(curl -s -m 5 -o /dev/null -w '%{time_total}' "$base/delay/300")
awk "BEGIN { exit !($t >= 0.29) }" || fail "/delay/300 took $t s"
t=$(curl -s -m 5 -o /dev/null -w '%{time_total}' "$base/status/404?delay=200")
awk "BEGIN { exit !($t >= 0.19) }" || fail "?delay=200 took $t s"
rc=0; curl -s -m 0.5 "$base/hang" > /dev/null || rc=$?
[ "$rc" = 28 ] || fail "/hang answered (curl $rc)"
rc=0; curl -s -m 5 "$base/reset" > /dev/null || rc=$?
[ "$rc" = 56 ] || fail "/reset: curl $rc, not a connection reset (56)"
[ "$(curl -s -m 5 "$base/robots.txt")" = "$(printf 'User-agent: *\nDisallow: /private/')" ] ||
    fail "/robots.txt"
[ "$(get "$base/private/secret")" = 200 ] || fail "/private/secret"
[ "$(get "$base/no/such/thing")" = 404 ] || fail "unknown path"

# The link graph.
[ "$(get "$base/site/3/page/49")" = 200 ] || fail "last page"
[ "$(get "$base/site/3/page/50")" = 404 ] || fail "page beyond --pages"
curl -s -m 5 -D - -o /dev/null "$base/site/0/page/0" |
    grep -qi '^content-type: text/html; charset=utf-8' || fail "graph content type"
links() { curl -s -m 5 "$base/site/$1/page/$2" | sed -n 's/.*<a href="\([^"]*\)".*/\1/p'; }
links 2 49 > "$fw_out.links"
n=$(wc -l < "$fw_out.links")
[ "$n" -eq 8 ] || fail "8 links expected, got $n"
k1=$(sed -n 2p "$fw_out.links" | sed -n 's|^\.\./page/\([0-9]*\)$|\1|p')
k2=$(sed -n 3p "$fw_out.links" | sed -n "s|^http://$host/site/2/page/\([0-9]*\)\$|\1|p")
k3=$(sed -n 4p "$fw_out.links" | sed -n "s|^//$host/site/2/page/\([0-9]*\)#sec\$|\1|p")
k4=$(sed -n 6p "$fw_out.links" | sed -n 's|^https://offsite.example/page/\([0-9]*\)$|\1|p')
[ "$(sed -n 1p "$fw_out.links")" = /site/2/page/0 ] || fail "link 1 (wraps to page 0)"
[ "$(sed -n 5p "$fw_out.links")" = "#top" ] || fail "link 5"
[ "$(sed -n 7p "$fw_out.links")" = mailto:someone@example.com ] || fail "link 7"
[ "$(sed -n 8p "$fw_out.links")" = /site/2/page/0 ] || fail "link 8 (duplicate of 1)"
for k in "$k1" "$k2" "$k3" "$k4"; do
    [ -n "$k" ] && [ "$k" -lt 50 ] || fail "links 2-4, 6 malformed: $(cat "$fw_out.links")"
done
links 2 49 | cmp -s - "$fw_out.links" || fail "the same page changed"
links 1 49 | cmp -s - "$fw_out.links" && fail "site 1 links like site 2"
# Across restarts only the Host (the port) may differ.
same_site() { links 0 5 | sed "s|${base#http://}|HOST|" | tr '\n' ' '; }
first=$(same_site)
kill "$fw_pid"; wait "$fw_pid" || fail "exit status after SIGTERM"; fw_pid=
start_fakeweb --pages 50 --seed 7
[ "$(same_site)" = "$first" ] || fail "same seed, other links"
kill "$fw_pid"; wait "$fw_pid" || true; fw_pid=
start_fakeweb --pages 50 --seed 8
[ "$(same_site)" != "$first" ] || fail "another seed, same links"

# URL lists: exact shares, deterministic by seed.
"$bin/corio-fakeweb" urls --count 100 --base "$base" --mix "200:50,404:30,hang:20" \
    --delay 10-20 > "$fw_out.urls"
[ "$(grep -c '/status/200?delay=1[0-9]$\|/status/200?delay=20$' "$fw_out.urls")" -eq 50 ] ||
    fail "urls: 50 x 200"
[ "$(grep -c /status/404 "$fw_out.urls")" -eq 30 ] || fail "urls: 30 x 404"
[ "$(grep -c /hang "$fw_out.urls")" -eq 20 ] || fail "urls: 20 x hang"
"$bin/corio-fakeweb" urls --count 100 --base "$base" --mix "200:50,404:30,hang:20" \
    --delay 10-20 | cmp -s - "$fw_out.urls" || fail "urls: not deterministic"
rc=0; "$bin/corio-fakeweb" urls --count 5 2>/dev/null || rc=$?
[ "$rc" = 2 ] || fail "urls without --base: exit $rc"
rm -f "$fw_out.links" "$fw_out.urls"
echo "fakeweb_smoke: ok"
