#!/usr/bin/python3
"""make soak: hello-server and corio-pubsub under bounded abuse on loopback.

Both servers start with a low descriptor limit (ulimit -n 128). Then
CYCLES rounds of CYCLE_S seconds each: connection churn (keep-alive,
pipelining, clients that reset before reading their answers), slowloris on
headers and on bodies, a flood of idle connections well past the servers'
descriptor limit, and on corio-pubsub publishers, subscribers that
reconnect with Last-Event-ID, subscribers that never read and ones that
reset mid-stream. Every SAMPLE_S seconds the servers' RSS and open
descriptors are sampled; after each round the pressure stops and new
clients must be served. It fails when new clients are not served, or when
RSS or descriptors keep growing from round to round (the last quiet point
against the first). Prints the series; the last line is one JSON object.

usage: soak.py BINDIR [--cycles N] [--cycle-seconds S]"""
import json
import os
import random
import resource
import socket
import struct
import subprocess
import sys
import threading
import time

SERVER_NOFILE = 128
SAMPLE_S = 3
# Growth allowed from the first quiet point to the last: caches and pools
# settle during the first round, a leak keeps going.
RSS_SLACK_KIB = 16 * 1024
RSS_FACTOR = 1.5
FD_SLACK = 4

stop_all = threading.Event()


def start(cmd, others=()):
    """Starts a server on a free port: (process, port). On failure the
    servers in others are stopped too before exiting."""
    def limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (SERVER_NOFILE, SERVER_NOFILE))
    p = subprocess.Popen(cmd + ["--port", "0", "--log-level", "error"], stdout=subprocess.PIPE,
                         preexec_fn=limit, text=True)
    line = p.stdout.readline().strip()
    if not line.startswith("listening on http://127.0.0.1:"):
        for q in (p,) + tuple(others):
            q.kill()
            q.wait()
        sys.exit("soak: %s did not start: %r" % (cmd[0], line))
    return p, int(line.rsplit(":", 1)[1])


def sample(pid):
    """(RSS KiB, open descriptors) of pid."""
    rss = 0
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    return rss, len(os.listdir("/proc/%d/fd" % pid))


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    return s


def reset(s):
    """Closes s with a RST rather than a FIN."""
    try:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    s.close()


def read_answers(s, n, limit=1 << 20):
    """Reads until n HTTP answers have started (counts status lines)."""
    data = b""
    while data.count(b"HTTP/1.1 ") < n and len(data) < limit:
        got = s.recv(65536)
        if not got:
            break
        data += got
    return data.count(b"HTTP/1.1 ")


# --- the load, each a loop until `until` ------------------------------------

def churn(port, until, stats):
    """Short connections: 1-20 pipelined GETs; a third reset before reading."""
    rnd = random.Random()
    while time.time() < until and not stop_all.is_set():
        try:
            s = connect(port, 2)
            n = rnd.randint(1, 20)
            s.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n" * n)
            if rnd.random() < 0.33:
                reset(s)  # the answers are on their way
                stats["reset"] += 1
                continue
            stats["answers"] += read_answers(s, n)
            s.close()
            stats["conns"] += 1
        except OSError:
            stats["errors"] += 1
            time.sleep(0.05)


def reset_mid_response(port, until, stats):
    """Asks for a lot, reads a little, resets."""
    while time.time() < until and not stop_all.is_set():
        try:
            s = connect(port, 2)
            s.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n" * 500)
            s.recv(100)
            reset(s)
            stats["reset"] += 1
        except OSError:
            stats["errors"] += 1
            time.sleep(0.05)


def slowloris(port, until, n, body):
    """n connections that trickle a head (or, body=True, a body) one byte
    every 2 s, reopened when the server gives up on them."""
    socks = []
    prefix = (b"POST / HTTP/1.1\r\nHost: soak\r\nContent-Length: 1000\r\n\r\n" if body
              else b"GET / HTTP/1.1\r\nHost: soak\r\nX-Slow: ")
    while time.time() < until and not stop_all.is_set():
        while len(socks) < n:
            try:
                s = connect(port, 1)
                s.sendall(prefix)
                socks.append(s)
            except OSError:
                break
        alive = []
        for s in socks:
            try:
                s.sendall(b"a")
                alive.append(s)
            except OSError:
                s.close()
        socks = alive
        time.sleep(2)
    for s in socks:
        s.close()


def flood(port, at, hold, n):
    """At time `at`, n idle connections (far more than the server's
    descriptors) held for `hold` seconds."""
    while time.time() < at:
        if stop_all.wait(0.1):
            return
    socks = []
    for _ in range(n):
        try:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))  # lands in the backlog when the server is full
            socks.append(s)
        except OSError:
            break
    stop_all.wait(hold)
    for s in socks:
        s.close()


def publisher(port, until, stats):
    while time.time() < until and not stop_all.is_set():
        try:
            s = connect(port, 5)
            for i in range(50):
                s.sendall(b"POST /?msg=soak-%d HTTP/1.1\r\nHost: soak\r\nContent-Length: 0\r\n\r\n"
                          % i)
                if read_answers(s, 1, 4096) != 1:
                    break
                stats["published"] += 1
            s.close()
        except OSError:
            stats["errors"] += 1
            time.sleep(0.1)


def subscriber(port, until, stats, mode):
    """mode: "read" (reconnects with Last-Event-ID every few seconds),
    "stall" (never reads), "reset" (resets mid-stream)."""
    last = None
    rnd = random.Random()
    while time.time() < until and not stop_all.is_set():
        try:
            s = connect(port, 5)
            head = b"GET / HTTP/1.1\r\nHost: soak\r\nAccept: text/event-stream\r\n"
            if last:
                head += b"Last-Event-ID: " + last + b"\r\n"
            s.sendall(head + b"\r\n")
            end = time.time() + rnd.uniform(1, 4)
            while time.time() < min(end, until):
                if mode == "stall":
                    time.sleep(0.5)
                    continue
                s.settimeout(1)
                try:
                    got = s.recv(65536)
                except socket.timeout:
                    continue
                if not got:
                    break
                stats["events"] += got.count(b"\ndata: ") + got.startswith(b"data: ")
                ids = [line[4:].strip() for line in got.split(b"\n") if line.startswith(b"id: ")]
                if ids:
                    last = ids[-1]
            if mode == "reset":
                reset(s)
            else:
                s.close()
        except OSError:
            stats["errors"] += 1
            time.sleep(0.1)


# --- after the pressure: are new clients served? ---------------------------

def hello_served(port):
    for _ in range(20):
        s = connect(port, 5)
        s.settimeout(5)
        s.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\n\r\n")
        data = s.recv(4096)
        s.close()
        if not data.startswith(b"HTTP/1.1 200 ") or b"Hello, World!" not in data:
            return "hello-server answered %r" % data[:60]
    return None


def pubsub_served(port):
    sub = connect(port, 5)
    sub.settimeout(5)
    sub.sendall(b"GET / HTTP/1.1\r\nHost: soak\r\nAccept: text/event-stream\r\n\r\n")
    time.sleep(0.3)
    pub = connect(port, 5)
    pub.settimeout(5)
    pub.sendall(b"POST /?msg=after-the-storm HTTP/1.1\r\nHost: soak\r\nContent-Length: 0\r\n\r\n")
    answer = pub.recv(4096)
    pub.close()
    data = b""
    deadline = time.time() + 5
    while b"after-the-storm" not in data and time.time() < deadline:
        got = sub.recv(65536)
        if not got:
            break
        data += got
    sub.close()
    if not answer.startswith(b"HTTP/1.1 2"):
        return "corio-pubsub publish answered %r" % answer[:60]
    if b"after-the-storm" not in data:
        return "a new subscriber did not get the message"
    return None


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    bindir = args[0]
    cycles, cycle_s = 4, 30
    if "--cycles" in args:
        cycles = int(args[args.index("--cycles") + 1])
    if "--cycle-seconds" in args:
        cycle_s = float(args[args.index("--cycle-seconds") + 1])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

    hello, hport = start([os.path.join(bindir, "hello-server")])
    # Subscribers that never read are over the soft limit soon: disconnected
    # after 2 s instead of a minute.
    pubsub, pport = start([os.path.join(bindir, "corio-pubsub"), "--soft-limit", "256k",
                           "--soft-seconds", "2"], (hello,))
    servers = {"hello": hello, "pubsub": pubsub}
    series = []
    phase = ["warm-up"]
    t0 = time.time()

    def sampler():
        while not stop_all.is_set():
            row = {"t": round(time.time() - t0, 1), "phase": phase[0]}
            for name, p in servers.items():
                try:
                    row[name + "_rss_kib"], row[name + "_fds"] = sample(p.pid)
                except OSError:
                    row[name + "_rss_kib"] = row[name + "_fds"] = None
            series.append(row)
            print("%6.1f s  %-9s  hello %7s KiB %4s fds   pubsub %7s KiB %4s fds" % (
                row["t"], row["phase"], row["hello_rss_kib"], row["hello_fds"],
                row["pubsub_rss_kib"], row["pubsub_fds"]), flush=True)
            stop_all.wait(SAMPLE_S)

    quiet = []
    failures = []
    stats = {"answers": 0, "conns": 0, "reset": 0, "errors": 0, "published": 0, "events": 0}
    sampler_thread = threading.Thread(target=sampler, daemon=True)
    try:
        time.sleep(0.5)
        baseline = {n: sample(p.pid) for n, p in servers.items()}
        sampler_thread.start()
        for c in range(cycles):
            phase[0] = "storm %d" % (c + 1)
            until = time.time() + cycle_s
            jobs = []
            for port in (hport, pport):
                jobs += [(churn, (port, until, stats))] * 3
                jobs += [(reset_mid_response, (port, until, stats))]
                jobs += [(slowloris, (port, until, 40, False)), (slowloris, (port, until, 40, True))]
                jobs += [(flood, (port, time.time() + cycle_s / 3, cycle_s / 4, 300))]
            jobs += [(publisher, (pport, until, stats))] * 2
            jobs += [(subscriber, (pport, until, stats, "read"))] * 8
            jobs += [(subscriber, (pport, until, stats, "stall"))] * 3
            jobs += [(subscriber, (pport, until, stats, "reset"))] * 3
            threads = [threading.Thread(target=f, args=a, daemon=True) for f, a in jobs]
            for t in threads:
                t.start()
            for t in threads:
                t.join(cycle_s + 30)
            phase[0] = "quiet %d" % (c + 1)
            time.sleep(3)  # the servers see the closes
            for check in (lambda: hello_served(hport), lambda: pubsub_served(pport)):
                try:
                    err = check()
                except OSError as e:
                    err = "new client: %s" % e
                if err:
                    failures.append("after storm %d: %s" % (c + 1, err))
            quiet.append({n: sample(p.pid) for n, p in servers.items()})
            for name, p in servers.items():
                if p.poll() is not None:
                    failures.append("%s exited with %s" % (name, p.returncode))
            if failures:
                break
    finally:
        stop_all.set()
        for p in servers.values():
            p.terminate()
        for p in servers.values():
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()

    print("quiet points (after each storm, pressure off):")
    for i, q in enumerate(quiet):
        print("  storm %d: hello %d KiB %d fds, pubsub %d KiB %d fds" % (
            i + 1, q["hello"][0], q["hello"][1], q["pubsub"][0], q["pubsub"][1]))
    if len(quiet) >= 2:
        for name in servers:
            (rss1, fd1), (rssn, fdn) = quiet[0][name], quiet[-1][name]
            if rssn > rss1 * RSS_FACTOR + RSS_SLACK_KIB:
                failures.append("%s RSS grew from %d to %d KiB" % (name, rss1, rssn))
            if fdn > max(fd1, baseline[name][1]) + FD_SLACK:
                failures.append("%s descriptors grew from %d to %d" % (name, fd1, fdn))
    print("load: %(conns)d churn connections (%(answers)d answers), %(reset)d resets, "
          "%(published)d published, %(events)d events received, %(errors)d client errors "
          "(refusals and timeouts are expected under the flood)" % stats)
    for f in failures:
        print("soak: FAIL: " + f)
    print("soak: %s" % ("ok" if not failures else "FAILED"))
    print(json.dumps({"bench": "soak", "ok": not failures, "cycles": len(quiet),
                      "baseline": baseline, "quiet": quiet, "stats": stats,
                      "failures": failures}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
