"""Many Socket.IO clients (lobby displays, phone pages) listening for calls.

Run as a worker: ``python -m bench.fanout URL N OUT`` opens N websocket connections that
speak the Engine.IO / Socket.IO protocol directly (as light as a browser, unlike a full
Python client), then appends one JSON line per received call to OUT:
{"ticket", "client", "at"} (wall clock, seconds).
"""
from __future__ import annotations

import asyncio
import json
import re
import sys
import time

import aiohttp

from .harness import DISPLAY_TOKEN

CALLED = re.compile(r'"type":\s*"ticket\.called".*?"ticket":\s*\{"id":\s*"([^"]+)"')


async def client(session: aiohttp.ClientSession, url: str, number: int, out, ready: list) -> None:
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    for attempt in range(20):
        try:
            await listen(session, ws_url, number, out, ready)
            return
        except aiohttp.ClientError as err:
            sys.stderr.write(f"client {number}: {err}; retrying\n")
            await asyncio.sleep(0.2 * (attempt + 1))


async def listen(session: aiohttp.ClientSession, ws_url: str, number: int, out, ready: list) -> None:
    async with session.ws_connect(ws_url, heartbeat=None, max_msg_size=0) as ws:
        await ws.receive()  # Engine.IO open
        await ws.send_str("40" + json.dumps({"site": "hcc", "token": DISPLAY_TOKEN}))
        async for msg in ws:
            data = msg.data
            if data == "2":
                await ws.send_str("3")  # Engine.IO ping -> pong
            elif data.startswith("40"):
                ready[0] += 1
            elif data.startswith('42["update"'):
                match = CALLED.search(data)
                if match:
                    out.write(f'{{"ticket": "{match.group(1)}", "client": {number}, "at": {time.time()}}}\n')


async def main(url: str, n: int, path: str) -> None:
    ready = [0]
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        with open(path, "a", buffering=1) as out:
            tasks = []
            for i in range(n):
                tasks.append(asyncio.create_task(client(session, url, i, out, ready)))
                if i % 50 == 49:
                    await asyncio.sleep(0.05)  # do not stampede the server's accept queue
            waited = 0
            while ready[0] < n:
                await asyncio.sleep(0.05)
                waited += 1
                if waited % 100 == 0:
                    sys.stderr.write(f"{ready[0]} of {n} connected\n")
            sys.stdout.write("ready\n")
            sys.stdout.flush()
            await asyncio.gather(*tasks)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], int(sys.argv[2]), sys.argv[3]))
