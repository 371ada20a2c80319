"""Hostile clients on the hall's LAN, many of them cheaply in one asyncio loop: slow clients
that never finish their headers, and websockets that open an Engine.IO session but never
send Socket.IO's CONNECT (they answer pings, so Engine.IO alone would keep them for ever).
Each can keep coming back when the server cuts it, as an attacker would."""
from __future__ import annotations

import asyncio
import base64
import os
import struct
import threading
from dataclasses import dataclass, field


@dataclass
class FloodStats:
    open_slow: int = 0          # slow clients connected right now
    open_idle: int = 0          # idle websockets with an Engine.IO session right now
    slow_cut: int = 0           # slow clients the server closed
    idle_cut: int = 0           # idle websockets the server closed
    idle_refused: int = 0       # websocket handshakes the server refused
    connect_errors: int = 0     # connections that could not be made at all
    idle_seconds: list[float] = field(default_factory=list)  # how long each cut idle websocket lived


def ws_frame(payload: bytes, opcode: int = 1) -> bytes:
    """One masked client frame (RFC 6455: a client masks every frame)."""
    mask = os.urandom(4)
    head = bytes([0x80 | opcode])
    n = len(payload)
    head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack("!H", n)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


async def read_frame(reader: asyncio.StreamReader) -> tuple[int, bytes]:
    head = await reader.readexactly(2)
    n = head[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    elif n == 127:
        n = struct.unpack("!Q", await reader.readexactly(8))[0]
    return head[0] & 0x0F, await reader.readexactly(n)


class Flood:
    """Runs ``slow`` slow clients and ``idle`` idle websockets against host:port from the
    given source addresses (round robin), in a thread of its own, until stopped."""

    def __init__(self, port: int, *, slow: int = 0, idle: int = 0, addresses: list[str] | None = None,
                 reconnect: bool = True, byte_every: float = 1.0, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.slow, self.idle = slow, idle
        self.addresses = addresses or ["127.0.0.1"]
        self.reconnect = reconnect
        self.byte_every = byte_every
        self.stats = FloodStats()
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="flood", daemon=True)

    def start(self) -> Flood:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=30)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._main())

    async def _main(self) -> None:
        self._stop = asyncio.Event()
        tasks = []
        for i in range(max(self.slow, self.idle)):
            # Spread the openings a little, as a real flood's would be: not all in one instant.
            if i < self.slow:
                tasks.append(asyncio.create_task(self._keep(self._slow_client, i)))
            if i < self.idle:
                tasks.append(asyncio.create_task(self._keep(self._idle_websocket, i)))
            if i % 50 == 49:
                await asyncio.sleep(0.02)
        await self._stop.wait()
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _keep(self, client, i: int) -> None:
        source = self.addresses[i % len(self.addresses)]
        while not self._stop.is_set():
            try:
                await client(source)
            except (OSError, asyncio.IncompleteReadError):
                self.stats.connect_errors += 1
            if not self.reconnect:
                return
            await asyncio.sleep(0.2)

    async def _open(self, source: str):
        return await asyncio.wait_for(asyncio.open_connection(self.host, self.port, local_addr=(source, 0)), 10)

    async def _slow_client(self, source: str) -> None:
        reader, writer = await self._open(source)
        self.stats.open_slow += 1
        try:
            writer.write(b"GET /api/v1/health HTTP/1.1\r\nHost: hall\r\n")
            n = 0
            while not self._stop.is_set():
                try:
                    data = await asyncio.wait_for(reader.read(1024), self.byte_every)
                except TimeoutError:
                    writer.write(b"X-Slow-%d: 1\r\n" % n)  # one more header line, never the last one
                    n += 1
                    continue
                if not data:  # the server closed it
                    self.stats.slow_cut += 1
                    return
        finally:
            self.stats.open_slow -= 1
            writer.close()

    async def _idle_websocket(self, source: str) -> None:
        reader, writer = await self._open(source)
        try:
            key = base64.b64encode(os.urandom(16)).decode()
            writer.write((f"GET /socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: hall\r\n"
                          f"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                          f"Sec-WebSocket-Version: 13\r\n\r\n").encode())
            status = await asyncio.wait_for(reader.readline(), 10)
            if b" 101 " not in status:
                self.stats.idle_refused += 1
                return
            while (await reader.readline()) not in (b"\r\n", b""):
                pass
            opcode, payload = await asyncio.wait_for(read_frame(reader), 10)
            if not payload.startswith(b"0"):  # Engine.IO's open packet
                self.stats.idle_refused += 1
                return
            opened = self._loop.time()
            self.stats.open_idle += 1
            try:
                while not self._stop.is_set():
                    opcode, payload = await read_frame(reader)
                    if opcode == 8 or payload in (b"1",):  # close frame, or Engine.IO close
                        break
                    if payload == b"2":  # ping: answer, so only a handshake rule can end this
                        writer.write(ws_frame(b"3"))
            except asyncio.IncompleteReadError:
                pass
            finally:
                self.stats.open_idle -= 1
            if not self._stop.is_set():
                self.stats.idle_cut += 1
                self.stats.idle_seconds.append(self._loop.time() - opened)
        finally:
            writer.close()
