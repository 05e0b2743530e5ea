"""Anchor for bench-echo: an asyncio streams echo server on uvloop
(Debian's python3-uvloop, run with /usr/bin/python3)."""
import asyncio
import sys

import uvloop


async def handle(reader, writer):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            writer.write(data)
            await writer.drain()
    finally:
        writer.close()


async def main(port):
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    print("listening on 127.0.0.1:%d" % server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


uvloop.install()
asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 0))
