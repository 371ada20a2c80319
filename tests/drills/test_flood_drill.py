"""Drill: a sustained connection flood on a real `qms serve` with the shipped limits.

1,100 slow clients (a header line a second, never the last one) and 1,000 websockets that
open an Engine.IO session, answer its pings and never join Socket.IO, from 50 addresses of
the hall's LAN, each coming back at once when the server cuts it. Meanwhile a display
connects and an officer calls: every call must reach the display within a second."""
from __future__ import annotations

import statistics
import time

import pytest
import requests

from ..flood import Flood
from ..helpers import wait_until
from ..server.test_connection_flood import Hall, addresses, serve
from .test_drills import report

pytestmark = pytest.mark.slow
SLOW, IDLE, CALLS = 1100, 1000, 10


@pytest.fixture
def prefix():
    return "qmsflooddrill"


def test_a_counter_calls_and_the_display_hears_it_through_a_connection_flood(tmp_path, prefix):
    server = serve(tmp_path, prefix)  # the shipped limits: nothing set in the config
    flood = Flood(server.port, slow=SLOW, idle=IDLE, addresses=addresses(6, 50)).start()
    hall = Hall(server)
    try:
        wait_until(lambda: flood.stats.open_slow >= SLOW and flood.stats.open_idle >= IDLE, timeout=60,
                   what=f"{SLOW} slow clients and {IDLE} idle websockets to be open")
        started = time.monotonic()
        health = requests.get(f"{server.url}/api/v1/health", timeout=10)
        health_seconds = time.monotonic() - started
        hall.connect()
        delays, open_at_calls = [], []
        # Long enough for the header and handshake timeouts (10 s) to cut and the flood to come back.
        until = time.monotonic() + 25
        while len(delays) < CALLS or time.monotonic() < until:
            open_at_calls.append((flood.stats.open_slow, flood.stats.open_idle))
            delays.append(hall.call())
            time.sleep(1.5)
        stats = flood.stats
        figures = {"slow_clients": SLOW, "idle_websockets": IDLE, "addresses": 50, "calls": len(delays),
                   "call_to_display_median_s": round(statistics.median(delays), 3),
                   "call_to_display_max_s": round(max(delays), 3),
                   "health_s": round(health_seconds, 3),
                   # [slow, idle] open when each call was made: the median, and the lowest (the
                   # timeouts cut clients opened together at about the same moment)
                   "open_at_calls_median": [statistics.median(o[0] for o in open_at_calls),
                                            statistics.median(o[1] for o in open_at_calls)],
                   "open_at_calls_min": [min(o[0] for o in open_at_calls), min(o[1] for o in open_at_calls)],
                   "slow_cut": stats.slow_cut, "idle_cut": stats.idle_cut, "idle_refused": stats.idle_refused,
                   "connect_errors": stats.connect_errors}
        report("connection flood", figures)
        assert health.status_code == 200 and health_seconds < 2.0, figures
        assert max(delays) < 1.0, figures
        # The flood really was there at every call, and the limits really acted on it.
        median_slow, median_idle = figures["open_at_calls_median"]
        assert median_slow >= SLOW * 0.8 and median_idle >= IDLE * 0.8, figures
        assert stats.slow_cut >= SLOW and stats.idle_cut >= IDLE, figures
        assert hall.display.connected
    finally:
        hall.close()
        flood.stop()
        server.stop()
