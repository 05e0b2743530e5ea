"""Anchor for bench_crawl: seed 001's asyncio crawler (aiohttp +
BeautifulSoup, urljoin, http/https only, fragments dropped, one host, a
shared queue and seen-set), with N workers instead of three and a clean end
(queue.join instead of racing on QueueEmpty). Run with /usr/bin/python3
(Debian's python3-aiohttp, python3-bs4).

usage: crawl_seed.py URL WORKERS MAX_PAGES  -> prints "pages N seconds S"."""
import asyncio
import sys
import time
from urllib.parse import urljoin, urlparse

import aiohttp
import bs4


async def get_links(session, url):
    async with session.get(url) as response:
        text = await response.text()
    soup = bs4.BeautifulSoup(text, "html.parser")
    hrefs = (a.attrs.get("href") for a in soup.find_all("a"))
    hrefs = (urljoin(url, href) for href in hrefs if href)
    hrefs = (href for href in hrefs if urlparse(href).scheme in ("http", "https"))
    return (href.split("#")[0] for href in hrefs)


async def main(root, workers, max_pages):
    host = urlparse(root).netloc
    seen = {root}
    queue = asyncio.Queue()
    await queue.put(root)
    fetched = 0

    async def crawl(session):
        nonlocal fetched
        while True:
            url = await queue.get()
            try:
                if fetched < max_pages:
                    fetched += 1
                    for link in await get_links(session, url):
                        if link not in seen and urlparse(link).netloc == host:
                            seen.add(link)
                            await queue.put(link)
            except aiohttp.ClientError as e:
                print("error", url, e, file=sys.stderr)
            finally:
                queue.task_done()

    # As many connections as workers, like corio-crawl --per-host.
    connector = aiohttp.TCPConnector(limit=workers)
    async with aiohttp.ClientSession(connector=connector) as session:
        tasks = [asyncio.create_task(crawl(session)) for _ in range(workers)]
        await queue.join()
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
    return fetched


start = time.monotonic()
pages = asyncio.run(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
print("pages %d seconds %.3f" % (pages, time.monotonic() - start))
