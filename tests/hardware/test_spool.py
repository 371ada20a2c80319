"""The agent's spool keeps a press no longer than the server takes one."""
from __future__ import annotations

import time

from hardware.spool import PressSpool


def test_a_press_older_than_the_server_takes_is_set_aside_not_sent(tmp_path):
    spool = PressSpool(tmp_path / "spool.sqlite", max_age=0.5)
    spool.add({"press_id": "panel-1-old00001", "counter": 1, "level": 3, "device": "panel-1"})
    time.sleep(0.7)
    spool.add({"press_id": "panel-1-new00001", "counter": 1, "level": 2, "device": "panel-1"})
    assert [p["press_id"] for p in spool.pending()] == ["panel-1-new00001"]
    assert spool.counts() == {"expired": 1, "pending": 1}
    spool.close()
    # Still on disk after a restart, still not sent.
    again = PressSpool(tmp_path / "spool.sqlite", max_age=0.5)
    assert again.counts()["expired"] == 1 and all(p["press_id"] != "panel-1-old00001" for p in again.pending())
    again.close()
