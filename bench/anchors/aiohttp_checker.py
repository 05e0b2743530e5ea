"""Seed 003's asyncio checker, as today's aiohttp writes it: one session,
at most --concurrency requests in flight (a semaphore), the counts of each
status as JSON on stdout and the time taken on stderr, as corio-check."""
import asyncio
import json
import sys
import time

import aiohttp


async def get_website_status(session, sem, url):
    async with sem:
        try:
            async with session.get(url) as response:
                await response.read()
                return str(response.status)
        except asyncio.TimeoutError:
            return "error:timeout"
        except aiohttp.ClientError:
            return "error:io"


async def get_statuses(websites, concurrency):
    sem = asyncio.Semaphore(concurrency)
    connector = aiohttp.TCPConnector(limit=concurrency)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        tasks = [get_website_status(session, sem, w) for w in websites]
        statuses = {}
        for status in await asyncio.gather(*tasks):
            statuses[status] = statuses.get(status, 0) + 1
    print(json.dumps(statuses, sort_keys=True))


if __name__ == "__main__":
    with open(sys.argv[1]) as f:
        websites = [line.strip() for line in f if line.strip()]
    concurrency = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
    t0 = time.time()
    asyncio.run(get_statuses(websites, concurrency))
    t1 = time.time()
    print("getting website statuses took {0:.1f} seconds".format(t1 - t0), file=sys.stderr)
