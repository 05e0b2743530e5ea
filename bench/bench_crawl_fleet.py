#!/usr/bin/python3
"""bench_crawl_fleet: corio-crawl --redis, a fleet of 1, 2 and 4 worker
processes sharing one redis-server (a Unix socket in a temp dir, no
persistence), against corio-fakeweb's 10,000-page graph with a 20 ms page
delay. Every worker has the same -w (default 16, with --per-host as large),
so one worker is limited by its -w: at most w / delay pages per second. The
runs alternate 1, 2, 4 workers, 3 rounds; figures: pages/s (median and
spread), the speed-up over one worker, and Redis's CPU time per page (from
/proc/PID/stat). Each run checks that the workers' outputs together hold
every page exactly once. The last line is one JSON object.

usage: bench/bench_crawl_fleet.py [BUILD_DIR] [--pages N] [--workers W] [--delay MS] [--rounds R]"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_crawl import arg, start_fakeweb  # noqa: E402


def cpu_seconds(pid):
    """utime + stime of a process, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_redis(tmp):
    sock = os.path.join(tmp, "redis.sock")
    p = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", sock, "--save", "",
                          "--appendonly", "no", "--dir", tmp, "--logfile",
                          os.path.join(tmp, "redis.log")])
    deadline = time.monotonic() + 10
    while not os.path.exists(sock):
        if time.monotonic() > deadline:
            p.kill()
            sys.exit("bench_crawl_fleet: redis-server did not start")
        time.sleep(0.05)
    return p, "unix://" + sock


def crawl(crawler, redis, start, procs, workers, pages, job, tmp):
    """One fleet run: (pages/s, pages, Redis CPU seconds, wall seconds)."""
    outs = [os.path.join(tmp, "%s.%d" % (job, i)) for i in range(procs)]
    url, redis_pid = redis
    argv = [crawler, "--redis", url, "--job", job, "-w", str(workers), "--per-host",
            str(workers), "-n", str(pages), "--no-progress"]
    cpu0, t0 = cpu_seconds(redis_pid), time.monotonic()
    ps = [subprocess.Popen(argv + ["-o", out, start], stderr=subprocess.DEVNULL) for out in outs]
    for p in ps:
        if p.wait() != 0:
            sys.exit("bench_crawl_fleet: a worker exited %d" % p.returncode)
    wall, cpu = time.monotonic() - t0, cpu_seconds(redis_pid) - cpu0
    urls = []
    for out in outs:
        with open(out) as f:
            urls += [json.loads(line)["url"] for line in f]
    if len(urls) != pages or len(set(urls)) != pages:
        sys.exit("bench_crawl_fleet: %d workers wrote %d records, %d pages (want %d once each)"
                 % (procs, len(urls), len(set(urls)), pages))
    return len(urls) / wall, cpu, wall


def main():
    build = next((a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()),
                 os.path.join(HERE, "..", "build"))
    pages, workers, delay = arg("--pages", 10000), arg("--workers", 16), arg("--delay", 20)
    rounds = arg("--rounds", 3)
    bindir = os.path.join(build, "bin")
    tmp = tempfile.mkdtemp()
    web, root = start_fakeweb(os.path.join(bindir, "corio-fakeweb"), pages, delay)
    redis, url = start_redis(tmp)
    try:
        start = root + "/site/0/page/0"
        rates = {1: [], 2: [], 4: []}
        cpu = {1: [], 2: [], 4: []}
        for r in range(rounds):
            for procs in (1, 2, 4):
                rate, c, wall = crawl(os.path.join(bindir, "corio-crawl"), (url, redis.pid),
                                      start, procs, workers, pages, "b%d-%d" % (r, procs), tmp)
                rates[procs].append(rate)
                cpu[procs].append(c / pages * 1e6)
                print("round %d: %d worker(s) x -w %d: %d pages in %.2f s, %.0f pages/s, "
                      "Redis CPU %.0f us/page" % (r + 1, procs, workers, pages, wall, rate,
                                                  cpu[procs][-1]))
        ceiling = workers * 1000 / delay
        result = {"bench": "crawl_fleet", "pages": pages, "w": workers, "delay_ms": delay,
                  "rounds": rounds, "one_worker_ceiling_pages_per_s": ceiling}
        base = statistics.median(rates[1])
        for procs in (1, 2, 4):
            med = statistics.median(rates[procs])
            print("%d worker(s): median %.0f pages/s (spread %.0f..%.0f), %.2fx one worker, "
                  "Redis CPU %.0f us/page" % (procs, med, min(rates[procs]), max(rates[procs]),
                                              med / base, statistics.median(cpu[procs])))
            result["workers_%d" % procs] = {
                "pages_per_s": round(med), "min": round(min(rates[procs])),
                "max": round(max(rates[procs])), "vs_one": round(med / base, 2),
                "redis_cpu_us_per_page": round(statistics.median(cpu[procs]))}
        print(json.dumps(result, separators=(",", ":")))
    finally:
        web.kill()
        web.wait()
        redis.kill()
        redis.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
