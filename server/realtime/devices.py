"""What the server knows of devices: which agent is connected, what each device last
reported, and the print jobs it hands to the agent that holds a kiosk's printer."""
from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import redis

from ..config import Config, SiteConfig
from ..engine.clock import from_ms
from ..engine.keys import Keys, as_text
from ..engine.views import local_time, ticket_text
from ..store.store_health import LoopLog

logger = logging.getLogger(__name__)

AGENT_HEARTBEAT_SECONDS = 10
AGENT_ALIVE_SECONDS = 35  # three missed heartbeats
SCREEN_SEEN_SECONDS = 15  # how often each server notes the screens connected to it
SCREEN_ALIVE_SECONDS = 40


class DeviceRegistry:
    def __init__(self, client: redis.Redis, config: Config, keys: dict[str, Keys], emit):
        self.client = client
        self.config = config
        self.keys = keys
        self.emit = emit  # (event, data, room): through the message queue, to whichever process holds the room

    @staticmethod
    def agent_settings(site: SiteConfig, agent_id: str, press_max_age_seconds: int) -> dict:
        """What a device agent needs to run, and nothing more: its own devices. A hall PC never
        holds config.yaml (every officer's hash and every device's token)."""
        return {"site": site.id, "agent": agent_id, "name": site.agents[agent_id].name,
                "heartbeat_seconds": AGENT_HEARTBEAT_SECONDS, "press_max_age_seconds": press_max_age_seconds,
                "devices": [{"id": d.id, "kind": d.kind, "url": d.url, "counter": d.counter, "options": d.options}
                            for d in site.devices.values() if d.agent == agent_id]}

    # -- presence and reports ------------------------------------------------------------
    def agent_seen(self, site_id: str, agent_id: str) -> None:
        self.client.set(self.keys[site_id].agent(agent_id), int(time.time() * 1000), ex=AGENT_ALIVE_SECONDS)

    def agent_gone(self, site_id: str, agent_id: str) -> None:
        self.client.delete(self.keys[site_id].agent(agent_id))

    def agent_online(self, site_id: str, agent_id: str | None) -> bool:
        if not agent_id:
            return False
        return bool(self.client.exists(self.keys[site_id].agent(agent_id)))

    def report(self, site: SiteConfig, agent_id: str, statuses: dict, spool: dict | None) -> None:
        """Store what an agent says of its own devices (others' are ignored)."""
        now = int(time.time() * 1000)
        mine = {d.id for d in site.devices.values() if d.agent == agent_id}
        values = {dev: json.dumps({**status, "reported_at": now, "agent": agent_id, "spool": spool or {}})
                  for dev, status in (statuses or {}).items() if dev in mine and isinstance(status, dict)}
        pipe = self.client.pipeline()
        if values:
            pipe.hset(self.keys[site.id].devices, mapping=values)
        pipe.set(self.keys[site.id].agent(agent_id), now, ex=AGENT_ALIVE_SECONDS)
        pipe.execute()

    def screens_seen(self, site_id: str, screens: list[tuple[str, str]]) -> None:
        """A server notes the lobby displays and kiosks connected to it now (kind, id)."""
        if screens:
            now = int(time.time() * 1000)
            self.client.hset(self.keys[site_id].screens, mapping={f"{kind}:{sid}": now for kind, sid in screens})

    def states(self, site: SiteConfig) -> list[dict]:
        """Every device with what its agent last reported; every time in the site's zone."""
        k = self.keys[site.id]
        raw = self.client.hgetall(k.devices)
        reported = {as_text(key): json.loads(value) for key, value in raw.items()}
        agents = {a: self.agent_online(site.id, a) for a in site.agents}
        out = []
        for device in site.devices.values():
            r = reported.get(device.id, {})
            online = agents.get(device.agent, False) if device.agent else False
            out.append({
                "id": device.id, "kind": device.kind, "url": device.url, "counter": device.counter,
                "kiosk": device.options.get("kiosk"),
                "agent": device.agent, "agent_online": online,
                "connected": r.get("connected") if online else False,
                "last_seen": local_time(r.get("last_seen"), site), "last_error": r.get("last_error"),
                "counts": r.get("counts", {}), "reconnects": r.get("reconnects", 0),
                "status": r.get("status"),  # a printer's last job: printed, paper_out, offline, failed
                "reported_at": from_ms(r.get("reported_at"), site.timezone),
                "presses_waiting_on_agent": (r.get("spool") or {}).get("pending", 0),
            })
        return out

    def screen_states(self, site: SiteConfig) -> list[dict]:
        """Each lobby display and kiosk of the config: connected to a server now, and when last seen."""
        seen = {as_text(key): int(value) for key, value in self.client.hgetall(self.keys[site.id].screens).items()}
        now = time.time() * 1000
        out = []
        for kind, clients in (("display", site.displays), ("kiosk", site.kiosks)):
            for client in clients.values():
                last = seen.get(f"{kind}:{client.id}")
                out.append({"kind": kind, "id": client.id, "name": client.name,
                            "connected": last is not None and now - last < SCREEN_ALIVE_SECONDS * 1000,
                            "last_seen": from_ms(last, site.timezone)})
        return out

    # -- printing ----------------------------------------------------------------------------
    def printer_of(self, site: SiteConfig, kiosk_id: str):
        return next((d for d in site.devices.values() if d.kind == "printer"
                     and d.options.get("kiosk") == kiosk_id), None)

    def request_print(self, site: SiteConfig, kiosk_id: str, ticket: dict, lang: str) -> dict:
        """Hand the ticket to the agent of the kiosk's printer; the agent answers with print_result."""
        return self.print_text(site, kiosk_id, lambda: ticket_text(site, ticket, lang), f"ticket={ticket['id']}")

    def print_text(self, site: SiteConfig, kiosk_id: str, text: Callable[[], dict], what: str) -> dict:
        """Print words laid out as a ticket (a ticket, or a booking's slip: ``text`` makes them,
        only when there is a printer) at the kiosk's printer."""
        printer = self.printer_of(site, kiosk_id)
        if printer is None:
            return {"status": "no_printer"}
        if not self.agent_online(site.id, printer.agent):
            logger.warning("print site=%s %s kiosk=%s: agent %s is offline", site.id, what, kiosk_id, printer.agent)
            return {"status": "offline"}
        job = {"job": uuid.uuid4().hex, "device": printer.id, "kiosk": kiosk_id,
               "ticket": text(), "issued_at": datetime.now(UTC).isoformat(timespec="seconds")}
        self.emit("print", job, f"agent:{site.id}:{printer.agent}")
        logger.info("print site=%s %s kiosk=%s printer=%s job=%s", site.id, what, kiosk_id, printer.id, job["job"])
        return {"status": "printing", "job": job["job"]}

    def print_result(self, site: SiteConfig, agent_id: str, result: dict) -> None:
        kiosk = result.get("kiosk")
        if kiosk not in site.kiosks:
            return
        payload = {"job": result.get("job"), "status": result.get("status")}
        logger.info("print-result site=%s kiosk=%s agent=%s job=%s status=%s", site.id, kiosk, agent_id,
                    payload["job"], payload["status"])
        self.emit("print_result", payload, f"kiosk:{site.id}:{kiosk}")


class ScreenPresence:
    """Each server notes, every few seconds, the lobby displays and kiosks connected to it, so
    the leader's device panel can say which screen dropped off and since when."""

    def __init__(self, registry: DeviceRegistry, connected: Callable[[], dict[str, set]], sleep):
        self.registry, self.connected, self.sleep = registry, connected, sleep
        self._stopped = False

    def run(self) -> None:
        said = LoopLog("screen presence", logger)
        while not self._stopped:
            self.sleep(SCREEN_SEEN_SECONDS)
            try:
                for site_id, screens in self.connected().items():
                    self.registry.screens_seen(site_id, sorted(screens))
                said.ok()
            except Exception as err:
                said.failed(err)

    def stop(self) -> None:
        self._stopped = True


