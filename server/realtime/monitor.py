"""The centre leader's live monitor, and alerts when a field's longest wait passes its target.

Every server process checks every few seconds; Redis decides which one announces an alert
(SET NX per field and per oldest waiting ticket), so an alert goes out once, to the
``monitor:<site>`` room of every process, as the Socket.IO event ``alert``.
"""
from __future__ import annotations

import logging
import threading

from ..engine.keys import Keys
from ..engine.views import monitor_view
from ..store.store_health import LoopLog

logger = logging.getLogger(__name__)

CHECK_SECONDS = 10


class AlertWatcher:
    def __init__(self, engine, client, keys: dict[str, Keys], emit, sleep):
        self.engine, self.client, self.keys, self.emit, self.sleep = engine, client, keys, emit, sleep
        self._stop = threading.Event()
        self.sent = 0

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> list[dict]:
        """Announce every field newly over its target (once, whichever process sees it first)."""
        sent = []
        for site_id in self.engine.config.sites:
            view = monitor_view(self.engine.snapshot(site_id))
            for field in view["fields"]:
                oldest = field.get("oldest")
                if not field["over_target"] or not oldest:
                    continue
                if not self.client.set(self.keys[site_id].alert(field["field"], oldest["id"]), 1, nx=True, ex=86400):
                    continue
                alert = {"site": site_id, "field": field["field"], "name": field["name"], "name_en": field["name_en"],
                         "longest_wait_seconds": field["longest_wait_seconds"],
                         "target_wait_seconds": field["target_wait_seconds"], "waiting": field["waiting"],
                         "oldest_label": oldest["label"], "at": view["now"]}
                logger.warning("alert site=%s field=%s longest_wait=%ss target=%ss waiting=%s", site_id,
                               field["field"], field["longest_wait_seconds"], field["target_wait_seconds"],
                               field["waiting"])
                self.emit("alert", alert, f"monitor:{site_id}")
                sent.append(alert)
        self.sent += len(sent)
        return sent

    def run(self) -> None:
        said = LoopLog("alert watcher", logger)  # one line per outage, not a traceback per check
        while not self._stop.is_set():
            try:
                self.check()
                said.ok()
            except Exception as err:
                said.failed(err)
            self.sleep(CHECK_SECONDS)
