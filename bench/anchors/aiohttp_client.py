"""bench-http's client anchor: N GETs over C keep-alive connections with one
aiohttp ClientSession (the talks' client), on uvloop. Prints one JSON line.
usage: python3 aiohttp_client.py URL N C"""
import asyncio
import json
import resource
import sys
import time

import aiohttp
import uvloop


async def main(url, n, c):
    left = n
    conn = aiohttp.TCPConnector(limit=c, limit_per_host=c)
    async with aiohttp.ClientSession(connector=conn) as session:

        async def worker():
            nonlocal left
            while left > 0:
                left -= 1
                async with session.get(url) as resp:
                    await resp.read()
                    assert resp.status == 200

        await asyncio.gather(*(worker() for _ in range(c)))


url, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
uvloop.install()
t0, r0 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
asyncio.run(main(url, n, c))
wall, r1 = time.perf_counter() - t0, resource.getrusage(resource.RUSAGE_SELF)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
print(json.dumps({"requests": n, "rps": n / wall, "cpu_us_per_req": cpu / n * 1e6}))
