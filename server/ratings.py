"""Satisfaction presses arriving from device agents (HTTP or Socket.IO): check, then store."""
from __future__ import annotations

from datetime import datetime

from .errors import BadRequest
from .params import check_params
from .queue_engine import Actor, QueueEngine

PRESS_SCHEMA = {"counter": int, "level": int, "press_id": str, "pressed_at": str, "device": str}


def record_press(engine: QueueEngine, site_id: str, actor: Actor, params) -> dict:
    """One press: ``{counter, level, press_id, pressed_at?, device?}``; re-sending it is harmless."""
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
    device = body.get("device") or ""
    site = engine.site(site_id)
    if device and (device not in site.devices or site.devices[device].kind != "rating_panel"):
        raise BadRequest(f"Unknown rating panel {device!r}.", code="unknown_device")
    if actor.kind == "agent" and device and site.devices[device].agent not in (None, actor.id):
        raise BadRequest(f"Panel {device!r} belongs to another agent.", code="unknown_device")
    return engine.rate(site_id, body["counter"], body["level"], press_id=body["press_id"], pressed_at=pressed_at,
                       device=device, actor=actor)
