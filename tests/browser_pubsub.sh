#!/bin/sh
# The browser test: corio-pubsub on a kernel-chosen port, its page driven by
# headless Chromium (playwright-core from tests/browser, installed there with
# `npm ci` when missing), a screenshot left in the build dir.
set -eu
bin=$1
builddir=$2
here=$(cd "$(dirname "$0")" && pwd)
[ -d "$here/browser/node_modules/playwright-core" ] || npm ci --prefix "$here/browser" --no-audit --no-fund
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
"$bin/corio-pubsub" --port 0 > "$out" &
pid=$!
for _ in $(seq 200); do grep -q listening "$out" && break; sleep 0.05; done
url=$(sed -n 's/^listening on \(http:.*\)$/\1/p' "$out")
[ -n "$url" ] || { echo "browser_pubsub: server did not start" >&2; exit 1; }
node "$here/browser/pubsub_page.test.js" "$url/" "$builddir/pubsub_page.png"
