#!/usr/bin/python3
"""bench_crawl: corio-crawl against corio-fakeweb's 10,000-page graph with a
20 ms page delay, 256 workers; then, in the same run and on the same graph,
the anchor: seed 001's crawler in Python (bench/anchors/crawl_seed.py).
Figures: pages, wall time against the ideal (pages x delay / workers), peak
RSS, and how much faster corio is. The last line is one JSON object.

usage: bench/bench_crawl.py [BUILD_DIR] [--pages N] [--workers W] [--delay MS] [--no-anchor]"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def arg(name, default):
    if name in sys.argv:
        return int(sys.argv[sys.argv.index(name) + 1])
    return default


def start_fakeweb(binary, pages, delay):
    if not os.access(binary, os.X_OK):
        sys.exit("bench_crawl: %s is missing: build corio-fakeweb first (the checker issue's tool)"
                 % binary)
    p = subprocess.Popen([binary, "--port", "0", "--pages", str(pages), "--page-delay", str(delay)],
                         stdout=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = p.stdout.readline()
        if not line:
            break
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", line)
        if m:
            return p, m.group(1)
    p.kill()
    sys.exit("bench_crawl: corio-fakeweb did not say 'listening on http://127.0.0.1:PORT'")


def run_rss(argv):
    """Runs argv to its end: (wall seconds, its own peak RSS in KiB, stdout, stderr)."""
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = p.stdout.read(), p.stderr.read()  # small: neither pipe fills up
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit("bench_crawl: %s exited %d:\n%s" % (argv[0], p.returncode, err))
    return wall, usage.ru_maxrss, out, err


def main():
    build = next((a for a in sys.argv[1:] if not a.startswith("--") and not a.isdigit()),
                 os.path.join(HERE, "..", "build"))
    pages, workers, delay = arg("--pages", 10000), arg("--workers", 256), arg("--delay", 20)
    bindir = os.path.join(build, "bin")
    web, root = start_fakeweb(os.path.join(bindir, "corio-fakeweb"), pages, delay)
    try:
        start = root + "/site/0/page/0"
        wall, rss, _, err = run_rss([os.path.join(bindir, "corio-crawl"), "-w", str(workers),
                                     "--per-host", str(workers), "-n", str(pages),
                                     "--no-progress", start])
        m = re.search(r"(\d+) pages fetched", err)
        fetched = int(m.group(1)) if m else 0
        ideal = pages * delay / 1000 / workers
        print("corio-crawl  %5d pages in %6.3f s (ideal %.3f s: %.2fx), peak RSS %.1f MiB"
              % (fetched, wall, ideal, wall / ideal, rss / 1024))
        result = {"bench": "crawl", "pages": fetched, "workers": workers, "delay_ms": delay,
                  "corio_s": round(wall, 3), "ideal_s": round(ideal, 3),
                  "corio_vs_ideal": round(wall / ideal, 2), "corio_rss_mib": round(rss / 1024, 1)}
        if "--no-anchor" not in sys.argv:
            awall, arss, out, _ = run_rss(["/usr/bin/python3",
                                           os.path.join(HERE, "anchors", "crawl_seed.py"),
                                           start, str(workers), str(pages)])
            apages = int(out.split()[1])
            print("python seed  %5d pages in %6.3f s (%.2fx ideal), peak RSS %.1f MiB"
                  % (apages, awall, awall / ideal, arss / 1024))
            print("corio is %.1fx faster" % (awall / wall))
            result.update({"anchor": "python-asyncio-aiohttp-bs4", "anchor_pages": apages,
                           "anchor_s": round(awall, 3), "anchor_rss_mib": round(arss / 1024, 1),
                           "ratio": round(awall / wall, 2)})
        print(json.dumps(result, separators=(",", ":")))
    finally:
        web.kill()
        web.wait()


if __name__ == "__main__":
    main()
