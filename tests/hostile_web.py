#!/usr/bin/python3
"""A web of malformed and hostile HTTP answers on loopback, for
check_hostile.sh: one listener per case on a kernel-chosen port of
127.0.0.1 (so that no keep-alive connection carries one case's leftovers
into another), each answering every request with its raw bytes. Prints one
line per case, "URL CLASS" (CLASS: what corio-check must count, or "-" when
any class will do as long as every mode agrees), or "URL CLASS ASYNC" for
an answer that corio's HTTP client (async mode) still gets wrong, counting
it as ASYNC; then "ready". Stops after
--lifetime seconds (default 600) if not killed before."""
import socket
import struct
import sys
import threading
import time

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"


def endless(head, piece):
    def run(conn):
        conn.sendall(head)
        block = piece * (65536 // len(piece))
        for _ in range(4096):  # 256 MiB at most, well past the 64 MiB limit
            conn.sendall(block)
    return run


def trickle(head, seconds):
    def run(conn):
        conn.sendall(head)
        for _ in range(seconds):
            conn.sendall(b"x")
            time.sleep(1)
    return run


def hang(seconds):
    def run(conn):
        time.sleep(seconds)
    return run


def then_reset(data):
    def run(conn):
        conn.sendall(data)
        time.sleep(0.05)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    return run


# (name, what to send or do, class expected[, what the client says for now])
CASES = [
    ("ok", OK, "200"),
    # A body that ends where the stream does (llhttp_finish pauses at that
    # message's end, as at any other).
    ("http10-close-delimited", b"HTTP/1.0 200 OK\r\n\r\nhi there", "200"),
    ("close-delimited", b"HTTP/1.1 200 OK\r\n\r\nbody until the end", "200"),
    ("bytes-after-body", OK + b"EXTRA BYTES NOBODY ASKED FOR", "200"),
    ("interim-100", b"HTTP/1.1 100 Continue\r\n\r\n" + OK, "200"),
    ("no-reason", b"HTTP/1.1 204\r\n\r\n", "204"),
    # A 304's Content-Length is the size it would have had, not a body (llhttp
    # 8 unless told would wait for it).
    ("304-with-length", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n", "304"),
    ("cl-and-te", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"5\r\nhello\r\n0\r\n\r\n", "error:protocol"),
    ("two-lengths", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
     "error:protocol"),
    ("negative-length", b"HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\nhello", "error:protocol"),
    ("bad-chunk-size", CHUNKED + b"zz\r\nhello\r\n0\r\n\r\n", "error:protocol"),
    # llhttp 8 unless built strict skips the two bytes after a chunk's data
    # unread, taking "XX" for the CRLF (request smuggling's favourite).
    ("chunk-data-no-crlf", CHUNKED + b"5\r\nhelloXX0\r\n\r\n", "error:protocol"),
    ("chunk-size-space", CHUNKED + b"5 \r\nhello\r\n0\r\n\r\n", "-"),
    ("chunk-bare-lf", CHUNKED + b"5\r\nhello\n0\r\n\r\n", "-"),
    ("bad-status", b"HTTP/1.1 abc OK\r\nContent-Length: 0\r\n\r\n", "error:protocol"),
    ("status-2000", b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n", "error:protocol"),
    ("not-http", b"ICY 200 OK\r\n\r\n", "error:protocol"),
    ("garbage", bytes(range(256)) * 4, "error:protocol"),
    ("bare-lf-head", b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello", "-"),
    ("header-no-colon", b"HTTP/1.1 200 OK\r\nNoColonHere\r\nContent-Length: 0\r\n\r\n",
     "error:protocol"),
    ("control-in-header", b"HTTP/1.1 200 OK\r\nX: a\x01b\r\nContent-Length: 0\r\n\r\n",
     "error:protocol"),
    ("head-over-64k", b"HTTP/1.1 200 OK\r\n" + b"X-Pad: " + b"p" * 70000 + b"\r\n\r\n",
     "error:protocol"),
    ("te-chunked-not-last", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\nraw",
     "200"),
    ("empty-answer", b"", "error:reset"),
    ("truncated-head", b"HTTP/1.1 200 OK\r\nContent-Len", "error:protocol"),
    ("truncated-length-body", b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhello", "-"),
    ("truncated-chunk", CHUNKED + b"10\r\nhel", "-"),
    ("reset-after-head", then_reset(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhel"),
     "error:reset"),
    ("endless-close-delimited", endless(b"HTTP/1.1 200 OK\r\n\r\n", b"x"), "error:too-large"),
    ("endless-chunked", endless(CHUNKED, b"4000\r\n" + b"x" * 0x4000 + b"\r\n"),
     "error:too-large"),
    ("endless-huge-length", endless(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n",
                                    b"x"), "error:too-large"),
    ("head-never-ends", trickle(b"HTTP/1.1 200 OK\r\n", 30), "error:timeout"),
    ("no-answer", hang(30), "error:timeout"),
]
# Redirects, followed with -L: where they lead is judged the same way too.
REDIRECTS = [
    ("redirect-to-file", "file:///etc/passwd", "error:invalid-url"),
    ("redirect-to-ftp", "ftp://127.0.0.1/x", "error:invalid-url"),
    ("redirect-unresolvable", "http://[::1", "-"),
    ("redirect-to-ok", None, "200"),
    ("redirect-to-self", "/", "302"),  # followed 10 times, then the answer
]


def serve(listener, action, lifetime_end):
    listener.settimeout(1)
    while time.time() < lifetime_end:
        try:
            conn, _ = listener.accept()
        except socket.timeout:
            continue
        threading.Thread(target=answer, args=(conn, action), daemon=True).start()


def answer(conn, action):
    try:
        conn.settimeout(10)
        req = b""
        while b"\r\n\r\n" not in req and len(req) < 65536:
            got = conn.recv(4096)
            if not got:
                return
            req += got
        if callable(action):
            action(conn)
        else:
            conn.sendall(action)
        conn.shutdown(socket.SHUT_WR)
        time.sleep(0.05)
    except OSError:
        pass
    finally:
        conn.close()


def listen():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    return s, "http://127.0.0.1:%d" % s.getsockname()[1]


def main():
    lifetime = 600
    if len(sys.argv) > 2 and sys.argv[1] == "--lifetime":
        lifetime = float(sys.argv[2])
    end = time.time() + lifetime
    ok_url = None
    lines = []
    for name, action, *want in CASES:
        s, base = listen()
        ok_url = ok_url or base + "/ok"
        threading.Thread(target=serve, args=(s, action, end), daemon=True).start()
        lines.append("%s/%s %s" % (base, name, " ".join(want)))
    for name, target, want in REDIRECTS:
        s, base = listen()
        head = "HTTP/1.1 302 Found\r\nLocation: %s\r\nContent-Length: 0\r\n\r\n" % (target or ok_url)
        threading.Thread(target=serve, args=(s, head.encode(), end), daemon=True).start()
        lines.append("%s/%s %s" % (base, name, want))
    print("\n".join(lines))
    print("ready", flush=True)
    time.sleep(lifetime)


if __name__ == "__main__":
    main()
