"""bench-http's aiohttp anchor: the talks' web.Application answering
"Hello, World!" on GET /, on uvloop. usage: python3 aiohttp_hello.py PORT"""
import sys

import uvloop
from aiohttp import web


async def hello(request):
    return web.Response(text="Hello, World!")


app = web.Application()
app.add_routes([web.get("/", hello)])
uvloop.install()
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=None, print=None)
