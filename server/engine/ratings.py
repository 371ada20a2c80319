"""Satisfaction presses arriving from device agents (HTTP or Socket.IO): check, then store.

A press is believed only as far as its agent's own devices go: the agent must name one of
its rating panels, the counter must be that panel's, and the press may be no older than an
agent keeps one on disk. The store then limits how many presses one panel can make in a
minute (record_rating.lua), so a stolen agent token cannot pour ratings into the hall's figures.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from ..errors import BadRequest, Forbidden
from ..params import check_params
from .actor import Actor
from .queue_engine import PRESS_MAX_AGE_SECONDS, QueueEngine

PRESS_SCHEMA = {"counter": int, "level": int, "press_id": str, "pressed_at": str, "device": str}


def record_press(engine: QueueEngine, site_id: str, actor: Actor, params) -> dict:
    """One press: ``{counter, level, press_id, device, pressed_at?}``; re-sending it is harmless."""
    body = check_params(params, PRESS_SCHEMA, ("counter", "level", "press_id"))
    pressed_at = None
    if body.get("pressed_at"):
        try:
            pressed_at = datetime.fromisoformat(body["pressed_at"])
        except ValueError:
            raise BadRequest("pressed_at is not an ISO 8601 time.", code="bad_pressed_at") from None
        if pressed_at.tzinfo is None:
            raise BadRequest("pressed_at needs its time zone.", code="bad_pressed_at")
        if not 2000 <= pressed_at.year <= 2099:  # year 1 or 9999 overflow once shifted to UTC
            raise BadRequest("pressed_at is not a time of this century.", code="bad_pressed_at")
    site = engine.site(site_id)
    device_id = body.get("device") or ""
    if not device_id:
        raise BadRequest("Name the rating panel that was pressed (device).", code="device_required")
    device = site.devices.get(device_id)
    if device is None or device.kind != "rating_panel":
        raise BadRequest(f"Unknown rating panel {device_id!r}.", code="unknown_device")
    if device.agent != actor.id:
        raise Forbidden(f"Panel {device_id!r} is not one of this agent's.", code="not_your_panel")
    if body["counter"] != device.counter:
        raise Forbidden(f"Panel {device_id!r} is at counter {device.counter}, not {body['counter']!r}.",
                        code="wrong_counter", details={"counter": device.counter})
    if pressed_at is not None and pressed_at < engine.local_now(site) - timedelta(seconds=PRESS_MAX_AGE_SECONDS):
        raise BadRequest(f"The press is older than an agent keeps one ({PRESS_MAX_AGE_SECONDS // 86400} days).",
                         code="press_too_old")
    return engine.record_rating(site_id, body["counter"], body["level"], press_id=body["press_id"],
                                pressed_at=pressed_at, device=device_id, actor=actor)
