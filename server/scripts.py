"""The Lua scripts of the queue engine, registered once and called by name.

Each file in ``server/lua`` is one atomic operation; ``_prelude.lua`` (helpers only) is put
in front of each when it is registered. redis-py's Script sends EVALSHA and reloads the
script by itself after NOSCRIPT (a restarted or failed-over Redis).
"""
from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from importlib import resources
from typing import Any

import redis

logger = logging.getLogger(__name__)

PRELUDE = "_prelude.lua"
READS_ONLY = "-- reads only"


class Scripts:
    """All queue scripts, bound to one Redis client."""

    def __init__(self, client: redis.Redis):
        self.client = client
        # Told each time Redis ran a script (wrote=False for one that only reads): the store is up.
        self.on_success = lambda wrote: None
        folder = resources.files("server") / "lua"
        prelude = (folder / PRELUDE).read_text(encoding="utf-8")
        self._scripts = {}
        self.read_only: set[str] = set()  # scripts whose header says "-- reads only"
        for entry in sorted(folder.iterdir(), key=lambda p: p.name):
            if entry.name.endswith(".lua") and entry.name != PRELUDE:
                text = entry.read_text(encoding="utf-8")
                self._scripts[entry.name[:-4]] = client.register_script(prelude + "\n" + text)
                if READS_ONLY in text.split("\nlocal", 1)[0]:
                    self.read_only.add(entry.name[:-4])
        logger.debug("registered %d Lua scripts", len(self._scripts))

    @property
    def names(self) -> list[str]:
        return sorted(self._scripts)

    def run(self, name: str, keys: Sequence[str], args: Sequence[Any]) -> dict:
        """Run one script; its JSON answer is returned as a dict (errors are in ``error``)."""
        raw = self._scripts[name](keys=list(keys), args=[_arg(a) for a in args])
        self.on_success(name not in self.read_only)
        return json.loads(raw)


def _arg(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if value is None:
        return ""
    return str(value)
