#!/usr/bin/env python3
"""bench-http: corio's HTTP server against nginx and aiohttp+uvloop, same run.

Each server is pinned to CPU 0 and wrk to CPU 1; the server's cost is the
busy time of CPU 0 (user+system+irq+softirq from /proc/stat) divided by the
requests wrk completed. Runs: keep-alive (-c256), pipelined (depth 16),
Connection: close (-c16), each server --runs times in alternated rounds
(the median run by CPU per request counts; the spread is printed); then
the corio server on two loops, idle keep-alive memory (10,000 connections,
corio's and nginx's), and the client (10,000 GETs over 100 connections to
nginx: corio's bench-http-client against Python aiohttp's). CORIO_BACKEND
chooses corio's backend. The last line is one JSON object.

usage: bench-http [--seconds N] [--connections N] [--runs N] [--idle N]
"""
import argparse
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

BIN = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("CORIO_SOURCE_DIR", "@PROJECT_SOURCE_DIR@")
PY = "/usr/bin/python3"  # Debian's, which has aiohttp and uvloop
BODY = "Hello, World!"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise SystemExit(f"bench-http: server exited early ({proc.args[0]})")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"bench-http: nothing listening on port {port}")


def cpu_busy(cpu):
    """Busy jiffies of one CPU: user, nice, system, irq, softirq. Steal (the
    hypervisor running someone else) is no one's work here: left out."""
    with open("/proc/stat") as f:
        for line in f:
            if line.startswith(f"cpu{cpu} "):
                v = [int(x) for x in line.split()[1:]]
                return sum(v[:3]) + sum(v[5:7])  # user nice system | irq softirq
    raise SystemExit("bench-http: no /proc/stat line for cpu%d" % cpu)


HZ = os.sysconf("SC_CLK_TCK")


def wrk(url, conns, seconds, extra=(), script=None, pin=True):
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{seconds}s"] + list(extra)
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    if pin:
        cmd = ["taskset", "-c", "1"] + cmd
    before = cpu_busy(0)
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    busy = (cpu_busy(0) - before) / HZ
    m = re.search(r"(\d+) requests in", out)
    reqs = int(m.group(1)) if m else 0
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sock = re.search(r"Socket errors: (.*)", out)
    return {
        "rps": rps,
        "requests": reqs,
        "cpu_us_per_req": busy / reqs * 1e6 if reqs else float("inf"),
        "non2xx": int(errors.group(1)) if errors else 0,
        "socket_errors": sock.group(1).strip() if sock else "",
    }


def median_of(samples):
    """The median run by CPU per request, its figures, and the spread of CPU
    per request over the runs ((max - min) / median)."""
    ordered = sorted(samples, key=lambda f: f["cpu_us_per_req"])
    mid = dict(ordered[len(ordered) // 2])
    cpu = [f["cpu_us_per_req"] for f in ordered]
    mid["cpu_spread"] = (cpu[-1] - cpu[0]) / cpu[len(cpu) // 2] if cpu[len(cpu) // 2] else 0.0
    mid["runs"] = len(ordered)
    return mid


class Server:
    def __init__(self, name, cmd, port, cwd=None):
        self.name, self.port = name, port
        self.proc = subprocess.Popen(["taskset", "-c", "0"] + cmd, cwd=cwd,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_port(port, self.proc)
        check = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/"],
                               capture_output=True, text=True)
        if check.stdout.strip() != BODY:
            self.stop()
            raise SystemExit(f"bench-http: {name} answered {check.stdout!r}")

    def rss_kib(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def nginx(tmp, port):
    conf = os.path.join(tmp, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""daemon off; master_process off; worker_processes 1;
pid {tmp}/nginx.pid; error_log {tmp}/error.log error;
events {{ worker_connections 20000; }}
http {{
  access_log off; keepalive_requests 100000000; keepalive_timeout 60s;
  client_body_temp_path {tmp}; proxy_temp_path {tmp}; fastcgi_temp_path {tmp};
  uwsgi_temp_path {tmp}; scgi_temp_path {tmp};
  server {{ listen 127.0.0.1:{port} reuseport backlog=4096;
    location / {{ default_type text/plain; return 200 "{BODY}"; }} }}
}}
""")
    return Server("nginx", ["nginx", "-c", conf, "-p", tmp], port)


def pipeline_script(tmp, depth):
    path = os.path.join(tmp, "pipeline.lua")
    with open(path, "w") as f:
        f.write(f"""init = function(args)
  local r = {{}}
  for i = 1, {depth} do r[i] = wrk.format(nil, "/") end
  req = table.concat(r)
end
request = function() return req end
""")
    return path


def idle_memory(server, n):
    """RSS growth per idle keep-alive connection (each served one request),
    half a second after the last answer: corio parks a connection after 20 ms
    without a request."""
    base = server.rss_kib()
    socks = []
    try:
        for _ in range(n):
            s = socket.create_connection(("127.0.0.1", server.port))
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            socks.append(s)
        for s in socks:
            s.recv(4096)
        time.sleep(0.5)
        return (server.rss_kib() - base) * 1024 / n
    finally:
        for s in socks:
            s.close()


def client_bench(url, tmp):
    res = {}
    cmd = ["taskset", "-c", "1", os.path.join(BIN, "bench-http-client"), url, "10000", "100"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    res["corio"] = json.loads(out.strip().splitlines()[-1])
    script = os.path.join(SRC, "bench", "anchors", "aiohttp_client.py")
    out = subprocess.run(["taskset", "-c", "1", PY, script, url, "10000", "100"],
                         capture_output=True, text=True, check=True).stdout
    res["aiohttp"] = json.loads(out.strip().splitlines()[-1])
    return res


def main():
    ap = argparse.ArgumentParser(prog="bench-http", description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=256)
    ap.add_argument("--runs", type=int, default=3, help="rounds of every server, alternated")
    ap.add_argument("--idle", type=int, default=10000, help="idle connections for the memory figure")
    a = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # the idle connections' client side
    if soft < a.idle + 100 <= hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (a.idle + 100, hard))
    for tool in ("wrk", "nginx", "taskset", "curl"):
        if not shutil.which(tool):
            raise SystemExit(f"bench-http: {tool} not found (make deps installs it)")
    tmp = tempfile.mkdtemp(prefix="bench-http-")
    result, figures = {}, {}
    try:
        runs = [
            ("corio", lambda p: Server("corio", [os.path.join(BIN, "hello-server"), "--port", str(p)], p)),
            ("nginx", lambda p: nginx(tmp, p)),
            ("aiohttp", lambda p: Server("aiohttp", [PY, os.path.join(SRC, "bench", "anchors", "aiohttp_hello.py"), str(p)], p)),
        ]
        pipe = pipeline_script(tmp, 16)
        # Rounds alternate the servers (each round starts one later), so that
        # a disturbance of the shared machine does not fall on one of them.
        samples = {}
        for rnd in range(a.runs):
            for name, start in runs[rnd % len(runs):] + runs[:rnd % len(runs)]:
                port = free_port()
                srv = start(port)
                url = f"http://127.0.0.1:{port}/"
                kinds = samples.setdefault(name, {})
                try:
                    wrk(url, a.connections, 1)  # warm-up
                    kinds.setdefault("keepalive", []).append(wrk(url, a.connections, a.seconds))
                    if name != "aiohttp":
                        kinds.setdefault("pipelined", []).append(wrk(url, a.connections, a.seconds, script=pipe))
                        kinds.setdefault("close", []).append(
                            wrk(url, 16, a.seconds, extra=["-H", "Connection: close"]))
                    if rnd == 0 and name in ("corio", "nginx"):
                        figures.setdefault(name, {})["idle_bytes_per_conn"] = idle_memory(srv, a.idle)
                    if rnd == 0 and name == "nginx":
                        figures["client"] = client_bench(url, tmp)
                finally:
                    srv.stop()
        for name, kinds in samples.items():
            for kind, runs_of in kinds.items():
                figures.setdefault(name, {})[kind] = median_of(runs_of)
        port = free_port()
        two = subprocess.Popen([os.path.join(BIN, "hello-server"), "--port", str(port), "--threads", "2"],
                               stdout=subprocess.DEVNULL)
        wait_port(port, two)
        figures["corio"]["two_loops"] = wrk(f"http://127.0.0.1:{port}/", a.connections, a.seconds, pin=False)
        two.terminate()
        two.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    def line(name, kind):
        f = figures[name][kind]
        print(f"{name:8} {kind:10} {f['rps']:>10.0f} req/s  {f['cpu_us_per_req']:6.2f} us server CPU/req"
              + f"  (spread {f['cpu_spread'] * 100:.0f}% of {f['runs']} runs)"
              + (f"  non-2xx {f['non2xx']}" if f["non2xx"] else "")
              + (f"  socket errors: {f['socket_errors']}" if f["socket_errors"] else ""))

    print(f"wrk -t1, server on CPU 0, wrk on CPU 1, {a.seconds} s per run, median of {a.runs} "
          f"alternated runs (CORIO_BACKEND={os.environ.get('CORIO_BACKEND', 'default')})")
    for name in ("corio", "nginx"):
        for kind in ("keepalive", "pipelined", "close"):
            line(name, kind)
    line("aiohttp", "keepalive")
    print(f"corio    2 loops    {figures['corio']['two_loops']['rps']:>10.0f} req/s (unpinned, wrk sharing the cores)")
    for k in ("corio", "nginx"):
        print(f"{k:8} idle keep-alive connection: {figures[k]['idle_bytes_per_conn']:.0f} bytes RSS ({a.idle} connections)")
    cl = figures["client"]
    for k in ("corio", "aiohttp"):
        print(f"client {k:8} 10000 GETs / 100 conns to nginx: {cl[k]['rps']:.0f} req/s, "
              f"{cl[k]['cpu_us_per_req']:.1f} us CPU/req")
    c, n, h = figures["corio"], figures["nginx"], figures["aiohttp"]
    result = {
        "bench": "http",
        "corio_rps": round(c["keepalive"]["rps"]),
        "nginx_rps": round(n["keepalive"]["rps"]),
        "aiohttp_rps": round(h["keepalive"]["rps"]),
        "ratio_vs_nginx": round(c["keepalive"]["rps"] / n["keepalive"]["rps"], 3),
        "ratio_vs_aiohttp": round(c["keepalive"]["rps"] / h["keepalive"]["rps"], 3),
        "cpu_us_per_req": round(c["keepalive"]["cpu_us_per_req"], 2),
        "nginx_cpu_us_per_req": round(n["keepalive"]["cpu_us_per_req"], 2),
        "runs": a.runs,
        "backend": os.environ.get("CORIO_BACKEND", "default"),
        "cpu_spread": round(c["keepalive"]["cpu_spread"], 3),
        "nginx_cpu_spread": round(n["keepalive"]["cpu_spread"], 3),
        "cpu_ratio_vs_nginx": round(n["keepalive"]["cpu_us_per_req"] / c["keepalive"]["cpu_us_per_req"], 3),
        "pipelined_ratio_vs_nginx": round(c["pipelined"]["rps"] / n["pipelined"]["rps"], 3),
        "pipelined_cpu_ratio_vs_nginx": round(n["pipelined"]["cpu_us_per_req"] / c["pipelined"]["cpu_us_per_req"], 3),
        "close_cpu_ratio_vs_nginx": round(n["close"]["cpu_us_per_req"] / c["close"]["cpu_us_per_req"], 3),
        "two_loops_rps": round(c["two_loops"]["rps"]),
        "idle_bytes_per_conn": round(c["idle_bytes_per_conn"]),
        "nginx_idle_bytes_per_conn": round(n["idle_bytes_per_conn"]),
        "client_rps": round(cl["corio"]["rps"]),
        "client_ratio_vs_aiohttp": round(cl["corio"]["rps"] / cl["aiohttp"]["rps"], 2),
        "client_cpu_ratio_vs_aiohttp": round(cl["aiohttp"]["cpu_us_per_req"] / cl["corio"]["cpu_us_per_req"], 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
