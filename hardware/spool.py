"""Presses waiting to reach the server, kept on disk (SQLite, synchronous writes) so a
press survives an unreachable server, a crash of the agent or a power cut. A press is
removed only when the server has answered that it is stored.

A press is kept for ``max_age`` seconds at most (the server takes none older): past that it
is set aside as expired, still on disk and counted, never sent."""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path


class PressSpool:
    def __init__(self, path: str | Path, max_age: float = 7 * 24 * 3600):
        self.path = Path(path)
        self.max_age = max_age
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.execute("CREATE TABLE IF NOT EXISTS presses (press_id TEXT PRIMARY KEY, payload TEXT NOT NULL,"
                         " created REAL NOT NULL, state TEXT NOT NULL DEFAULT 'pending', note TEXT)")
        self._lock = threading.Lock()

    def add(self, press: dict) -> None:
        """Store a press before anything else happens to it (durable when this returns)."""
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO presses (press_id, payload, created) VALUES (?, ?, ?)",
                             (press["press_id"], json.dumps(press), time.time()))

    def pending(self, limit: int = 200) -> list[dict]:
        """The presses still to send, oldest first (those past ``max_age`` are expired first)."""
        with self._lock:
            self._db.execute("UPDATE presses SET state = 'expired', note = 'older than the server takes'"
                             " WHERE state = 'pending' AND created < ?", (time.time() - self.max_age,))
            rows = self._db.execute("SELECT payload FROM presses WHERE state = 'pending' ORDER BY created, rowid"
                                    " LIMIT ?", (limit,)).fetchall()
        return [json.loads(r[0]) for r in rows]

    def delivered(self, press_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM presses WHERE press_id = ?", (press_id,))

    def refused(self, press_id: str, why: str) -> None:
        """The server refused it for good (e.g. a level no longer configured): kept aside, not resent."""
        with self._lock:
            self._db.execute("UPDATE presses SET state = 'refused', note = ? WHERE press_id = ?", (why, press_id))

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM presses GROUP BY state").fetchall()
        return dict(rows)

    def close(self) -> None:
        with self._lock:
            self._db.close()
