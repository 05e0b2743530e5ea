#!/bin/sh
# Smoke test of the line chat: two clients (Python sockets on loopback); a
# line from one reaches the other; SIGINT stops the server cleanly.
set -eu
bin=$1
out=$(mktemp)
trap 'rm -f "$out"; [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true' EXIT
"$bin/line_chat" --port 0 > "$out" &
pid=$!
for _ in $(seq 200); do grep -q listening "$out" && break; sleep 0.05; done
port=$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$out")
[ -n "$port" ] || { echo "chat_smoke: server did not start" >&2; exit 1; }
/usr/bin/python3 - "$port" <<'PY'
import socket, sys, time
port = int(sys.argv[1])
a = socket.create_connection(("127.0.0.1", port), timeout=5)
b = socket.create_connection(("127.0.0.1", port), timeout=5)
time.sleep(0.2)
a.sendall(b"hello room\n")
data = b""
deadline = time.time() + 5
while b"hello room" not in data and time.time() < deadline:
    data += b.recv(4096)
assert b": hello room\n" in data, data
print("chat_smoke: the line reached the other client")
PY
kill -INT "$pid"
wait "$pid"
status=$?
pid=
[ "$status" -eq 0 ] || { echo "chat_smoke: server exited $status after SIGINT" >&2; exit 1; }
