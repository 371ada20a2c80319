"""A hall's screens and phones on light websocket clients, each acting as its page does.

Run as a worker: ``python -m bench.hall_clients URL MODE SPEC OUT`` where SPEC is a JSON
file {"phones": [ticket tokens], "counters": [officer session tokens], "kiosks": n,
"displays": n} and MODE is how the pages behave after an update:

- ``pull`` — as the pages did before the server pushed state: a phone GETs its ticket
  0.4 s after an event of its field or of its own ticket; a counter screen asks for a
  snapshot with lists 0.25 s after any update; a kiosk asks for a snapshot 2 s after one.
- ``push`` — as they do now: nothing; what changed comes pushed (``state``, ``lists``,
  ``place``).

Prints ``ready`` once every client is connected, and on SIGTERM writes one JSON line of
counts to OUT: requests made, errors, and the phones that heard their own call.
"""
from __future__ import annotations

import asyncio
import json
import signal
import sys

import aiohttp

from .harness import DISPLAY_TOKEN, KIOSK_TOKEN


class Counts:
    def __init__(self) -> None:
        self.ready = 0
        self.gets = 0
        self.snapshots = 0
        self.errors = 0
        self.retries = 0
        self.messages = 0
        self.called: set[str] = set()   # phones (by token) that heard their own call


class Client:
    """One page: connects, answers pings, and in pull mode asks again after updates."""

    def __init__(self, session, url: str, mode: str, counts: Counts, auth: dict, kind: str,
                 field: str | None = None, token: str | None = None):
        self.session, self.url, self.mode, self.counts = session, url, mode, counts
        self.auth, self.kind, self.field, self.token = auth, kind, field, token
        self.pending: asyncio.Task | None = None
        self.ack = 0
        self.connected = False

    async def run(self) -> None:
        ws_url = self.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
        for attempt in range(20):
            try:
                async with self.session.ws_connect(ws_url, heartbeat=None, max_msg_size=0) as ws:
                    await ws.receive()
                    await ws.send_str("40" + json.dumps(self.auth))
                    async for msg in ws:
                        await self.on(ws, msg.data)
                if self.connected:   # closed by the server: this page would have to reconnect
                    self.counts.errors += 1
                return
            except aiohttp.ClientError:
                # Refused while connecting (the server takes a few Engine.IO handshakes per
                # address at a time, and here every page shares one address): counted apart.
                # A drop once connected is an error.
                if self.connected:
                    self.counts.errors += 1
                else:
                    self.counts.retries += 1
                await asyncio.sleep(0.2 * (attempt + 1))

    async def on(self, ws, data: str) -> None:
        if data == "2":
            await ws.send_str("3")
            return
        if data.startswith("40"):
            self.counts.ready += 1
            self.connected = True
            return
        if data.startswith("44"):
            self.counts.errors += 1
            sys.stderr.write(f"{self.kind} refused: {data[:120]}\n")
            return
        if not data.startswith("42"):
            return
        self.counts.messages += 1
        name, payload = json.loads(data[2:])[:2] if data[2] == "[" else (None, None)
        if name == "ticket_update" and payload.get("type") == "ticket.called":
            self.counts.called.add(self.token or "")
        if self.mode != "pull" or name not in ("update", "ticket_update"):
            return
        if self.kind == "phone":
            mine = name == "ticket_update" or self.field in (payload.get("waiting") or {})
            if mine:
                self.later(0.4, self.get_ticket)
        elif self.kind == "counter":
            self.later(0.25, lambda: self.snapshot(ws, True))
        elif self.kind == "kiosk":
            self.later(2.0, lambda: self.snapshot(ws, False))

    def later(self, delay: float, action) -> None:
        if self.pending is not None and not self.pending.done():
            self.pending.cancel()

        async def run() -> None:
            await asyncio.sleep(delay)
            await action()

        self.pending = asyncio.create_task(run())

    async def get_ticket(self) -> None:
        self.counts.gets += 1
        try:
            async with self.session.get(f"{self.url}/api/v1/sites/hcc/t/{self.token}",
                                        timeout=aiohttp.ClientTimeout(total=10)) as r:
                await r.read()
                if r.status != 200:
                    self.counts.errors += 1
        except (TimeoutError, aiohttp.ClientError):
            self.counts.errors += 1

    async def snapshot(self, ws, lists: bool) -> None:
        self.counts.snapshots += 1
        self.ack += 1
        await ws.send_str(f"42{self.ack}" + json.dumps(["snapshot", {"lists": lists}]))


async def main(url: str, mode: str, spec_path: str, out_path: str) -> None:
    with open(spec_path, encoding="utf-8") as f:
        spec = json.load(f)
    counts = Counts()
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as session:
        clients = [Client(session, url, mode, counts, {"site": "hcc", "ticket_token": p["token"]}, "phone",
                          field=p["field"], token=p["token"]) for p in spec["phones"]]
        clients += [Client(session, url, mode, counts, {"site": "hcc", "token": t}, "counter")
                    for t in spec["counters"]]
        clients += [Client(session, url, mode, counts, {"site": "hcc", "token": KIOSK_TOKEN}, "kiosk")
                    for _ in range(spec["kiosks"])]
        clients += [Client(session, url, mode, counts, {"site": "hcc", "token": DISPLAY_TOKEN}, "display")
                    for _ in range(spec["displays"])]
        tasks = []
        for i, c in enumerate(clients):
            tasks.append(asyncio.create_task(c.run()))
            if i % 25 == 24:
                await asyncio.sleep(0.1)
        while counts.ready < len(clients):
            await asyncio.sleep(0.05)
        sys.stdout.write("ready\n")
        sys.stdout.flush()
        stop = asyncio.Event()
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
        await stop.wait()
        with open(out_path, "w", encoding="utf-8") as out:
            json.dump({"gets": counts.gets, "snapshots": counts.snapshots, "errors": counts.errors,
                       "connect_retries": counts.retries,
                       "messages": counts.messages, "called": sorted(counts.called)}, out)
        for t in tasks:
            t.cancel()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
