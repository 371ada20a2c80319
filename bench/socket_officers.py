"""Officers working their counters over Socket.IO, as light as a browser.

``python -m bench.socket_officers URL SECONDS TOKEN:COUNTER ...`` alternates call-next and
finish on each counter for SECONDS and prints one JSON object: latencies (ms), errors and the
number of tickets called.
"""
from __future__ import annotations

import asyncio
import json
import sys
import time

import aiohttp


async def officer(session, url: str, token: str, counter: int, seconds: float, latencies: list, errors: list,
                  calls: list):
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    async with session.ws_connect(ws_url, heartbeat=None, max_msg_size=0) as ws:
        await ws.receive()
        await ws.send_str("40" + json.dumps({"site": "hcc", "token": token}))
        ack_id, step, action = 0, 0, ""
        deadline = time.monotonic() + seconds
        connected = False
        while time.monotonic() < deadline:
            if connected:
                step += 1
                ack_id += 1
                action = "call-next" if step % 2 else "finish"
                started = time.perf_counter()
                await ws.send_str(f'42{ack_id}["counter",{{"action":"{action}","counter":{counter}}}]')
            while True:
                msg = await ws.receive()
                data = msg.data
                if data == "2":
                    await ws.send_str("3")
                elif data.startswith("40"):
                    connected = True
                    break
                elif data.startswith(f"43{ack_id}["):
                    latencies.append((time.perf_counter() - started) * 1000)
                    if '"ok": true' not in data and '"ok":true' not in data:
                        errors.append(data[:200])
                    elif action == "call-next":
                        calls.append(1)   # a ticket called: what a hall counts
                    break


async def main(url: str, seconds: float, pairs: list[str]) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    calls: list[int] = []
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        started = time.monotonic()
        await asyncio.gather(*(officer(session, url, p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1]), seconds,
                                       latencies, errors, calls) for p in pairs))
        elapsed = time.monotonic() - started
    sys.stdout.write(json.dumps({"latencies": latencies, "errors": errors, "calls": len(calls),
                                 "elapsed": elapsed}) + "\n")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), sys.argv[3:]))
