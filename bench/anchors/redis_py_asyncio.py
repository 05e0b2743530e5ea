"""bench-redis's anchor: redis-py's asyncio client (Debian's python3-redis),
TASKS tasks alternating SET and GET of a 100-byte value, each on its own
key, through one client (its pool opens a connection per concurrent task).

    redis_py_asyncio.py PORT OPS [TASKS]

Prints one line: "<ops> <seconds> <cpu seconds>" for the timed part only
(the interpreter's start is left out)."""
import asyncio
import resource
import sys
import time

import redis.asyncio as redis


async def worker(r, i, n, value):
    key = f"py:{i}"
    for j in range(n):
        if j % 2 == 0:
            await r.set(key, value)
        else:
            await r.get(key)


async def main(port, ops, tasks):
    r = redis.Redis(host="127.0.0.1", port=port, max_connections=tasks)
    value = b"x" * 100
    await asyncio.gather(*(worker(r, i, 20, value) for i in range(tasks)))  # connect, warm up
    per = ops // tasks
    ru0, t0 = resource.getrusage(resource.RUSAGE_SELF), time.perf_counter()
    await asyncio.gather(*(worker(r, i, per, value) for i in range(tasks)))
    t1, ru1 = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
    cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    await r.close()
    print(per * tasks, t1 - t0, cpu)


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else 50))
