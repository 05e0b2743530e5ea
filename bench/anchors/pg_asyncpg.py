"""bench-pg's asyncpg anchor: `SELECT $1::int` from 16 tasks on a pool of
16 connections (uvloop's event loop), for a number of seconds.

usage: pg_asyncpg.py DSN SECONDS
Prints one JSON line: queries, seconds, cpu (user + system seconds of this
process while the tasks ran, connecting excluded)."""
import asyncio
import json
import resource
import sys
import time

import asyncpg
import uvloop


async def main(dsn, seconds):
    pool = await asyncpg.create_pool(dsn, min_size=16, max_size=16)
    count = 0
    stop = False

    async def worker(i):
        nonlocal count
        while not stop:
            v = await pool.fetchval("SELECT $1::int", i)
            assert v == i
            count += 1

    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    t0 = time.monotonic()
    tasks = [asyncio.ensure_future(worker(i)) for i in range(16)]
    await asyncio.sleep(seconds)
    stop = True
    await asyncio.gather(*tasks)
    t1 = time.monotonic()
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    await pool.close()
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    print(json.dumps({"queries": count, "seconds": t1 - t0, "cpu": cpu}))


if __name__ == "__main__":
    uvloop.install()
    asyncio.run(main(sys.argv[1], float(sys.argv[2])))
