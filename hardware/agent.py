"""The device agent: runs on a PC with devices attached and serves exactly the devices the
server says are its own. It knows only the server's address and its own token: it asks
the server for its settings (GET /api/v1/agent/settings) and keeps the last answer on
disk, so a restart while the server is away still reads the panels. A hall PC never holds
config.yaml, with every officer's password hash and every device's token.

Presses go to disk first, then to the server; each is removed from disk only when the
server answers that it is stored (the server ignores a press id it has seen), so with the
server away nothing is lost and, when it is back, nothing counts twice.
"""
from __future__ import annotations

import json
import logging
import os
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import requests
import socketio

from server.config.devices import DeviceConfig

from . import escpos
from .escpos import PrinterState
from .led_display import LedDisplay, counter_text
from .ordered_client import OrderedClient
from .panel_readers import MODELS
from .printers import PrinterError, printer_for
from .spool import PressSpool
from .ticket_image import TicketText, layout

logger = logging.getLogger(__name__)



class SettingsError(Exception):
    """The agent's settings cannot be had: the server refused the token, or answered nonsense."""


@dataclass(frozen=True)
class AgentSettings:
    """What the server says this agent serves."""

    site: str
    agent: str
    name: str
    heartbeat_seconds: float
    press_max_age_seconds: float
    devices: tuple[DeviceConfig, ...]

    @classmethod
    def from_json(cls, data) -> AgentSettings:
        try:
            devices = tuple(DeviceConfig(id=str(d["id"]), kind=str(d["kind"]), url=str(d["url"]),
                                         counter=d.get("counter"), agent=str(data["agent"]),
                                         options=dict(d.get("options") or {}))
                            for d in data["devices"])
            return cls(site=str(data["site"]), agent=str(data["agent"]), name=str(data.get("name", "")),
                       heartbeat_seconds=float(data["heartbeat_seconds"]),
                       press_max_age_seconds=float(data["press_max_age_seconds"]), devices=devices)
        except (KeyError, TypeError, ValueError) as err:
            raise SettingsError(f"the server's settings are not what an agent expects ({err!r})") from None

    def to_json(self) -> dict:
        return {"site": self.site, "agent": self.agent, "name": self.name, "heartbeat_seconds": self.heartbeat_seconds,
                "press_max_age_seconds": self.press_max_age_seconds,
                "devices": [{"id": d.id, "kind": d.kind, "url": d.url, "counter": d.counter, "options": d.options}
                            for d in self.devices]}


def fetch_settings(server_url: str, token: str, timeout: float = 10, session: requests.Session | None = None
                   ) -> AgentSettings:
    """The agent's settings from the server; SettingsError when the server refuses them,
    requests' own errors when it cannot be reached."""
    session = session or requests.Session()
    # verify given per request: requests would otherwise prefer $REQUESTS_CA_BUNDLE to the session's CA.
    r = session.get(f"{server_url}/api/v1/agent/settings", timeout=timeout, verify=session.verify,
                    headers={"Authorization": f"Bearer {token}"})
    if r.status_code in (401, 403):
        raise SettingsError("the server does not know this agent's token (was it changed in config.yaml?)")
    r.raise_for_status()
    return AgentSettings.from_json(r.json())


class _Devices:
    """The running readers and LED displays of one set of settings."""

    def __init__(self, settings: AgentSettings, on_press):
        self.settings = settings
        self.by_id = {d.id: d for d in settings.devices}
        self.stop = threading.Event()
        self.readers: list = []
        # One reader per port: panels of a model that shares a port are read together.
        ports: dict[tuple[str, str], list] = {}
        for device in settings.devices:
            if device.kind != "rating_panel":
                continue
            model = MODELS[device.options.get("model", "ascii")]
            ports.setdefault((model.name, device.url if model.shares_port else device.id), []).append(device)
        for (model_name, _), panels in ports.items():
            first = panels[0]
            self.readers.append(MODELS[model_name].reader(first.url, first.options.get("baudrate", 9600), panels,
                                                          on_press, self.stop))
        self.leds = {d.counter: LedDisplay(d, self.stop) for d in settings.devices if d.kind == "led_display"}

    def start(self) -> None:
        for reader in self.readers:
            reader.start()

    def stop_all(self) -> None:
        self.stop.set()
        for reader in self.readers:
            reader.join(timeout=3)
        for led in self.leds.values():
            led.link.close()


class DeviceAgent:
    def __init__(self, server_url: str, token: str, spool_dir: str | Path, *, heartbeat: float | None = None,
                 ca_file: str | None = None):
        self.server_url = server_url.rstrip("/")
        # HTTPS to a server whose certificate the hall's own CA signed (qms tls): that CA, for
        # the settings and the websocket alike; otherwise the system's trusted CAs.
        self.http = requests.Session()
        if ca_file:
            self.http.verify = str(ca_file)
        self.token = token
        self.spool_dir = Path(spool_dir)
        self.heartbeat_override = heartbeat
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.settings: AgentSettings | None = None
        self.spool: PressSpool | None = None
        self.running: _Devices | None = None
        self._apply_lock = threading.Lock()
        self.print_results: dict[str, dict] = {}
        # Handlers in arrival order: an LED must never end on an older state than the last one sent.
        self.sio = OrderedClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=30,
                                 logger=False, engineio_logger=False, http_session=self.http)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("snapshot", self._on_snapshot)
        self.sio.on("update", self._on_update)
        self.sio.on("print", self._on_print)
        # Its devices changed in the administration: read the settings again (not in the socket's
        # own thread: that one goes on delivering events meanwhile).
        self.sio.on("settings", lambda *_: threading.Thread(target=self._refresh_settings, daemon=True,
                                                             name="agent-settings").start())

    @property
    def agent_id(self) -> str:
        return self.settings.agent if self.settings else "?"

    @property
    def devices(self) -> dict[str, DeviceConfig]:
        return self.running.by_id if self.running else {}

    @property
    def readers(self) -> list:
        return self.running.readers if self.running else []

    @property
    def leds(self) -> dict:
        return self.running.leds if self.running else {}

    @property
    def heartbeat(self) -> float:
        if self.heartbeat_override is not None:
            return self.heartbeat_override
        return self.settings.heartbeat_seconds if self.settings else 10.0

    # -- settings ------------------------------------------------------------------------------
    @property
    def _cache(self) -> Path:
        return self.spool_dir / "settings.json"

    def _first_settings(self) -> AgentSettings | None:
        """The server's settings; while it cannot be reached, the last ones it gave (so panels
        are read and presses kept meanwhile); with neither, keep asking. None if stopped first."""
        delay = 0.5
        while not self.stop_event.is_set():
            try:
                return fetch_settings(self.server_url, self.token, session=self.http)
            except requests.RequestException as err:
                if self._cache.exists():
                    logger.warning("server %s not reachable (%s): using the settings it gave last", self.server_url,
                                   err)
                    return AgentSettings.from_json(json.loads(self._cache.read_text(encoding="utf-8")))
                logger.warning("server %s not reachable (%s) and no settings kept yet; retrying in %.1f s",
                               self.server_url, err, delay)
            self.stop_event.wait(delay)
            delay = min(delay * 2, 30)
        return None

    def _apply(self, settings: AgentSettings) -> None:
        """Serve the devices of ``settings``; the devices of earlier ones stop first if they differ."""
        with self._apply_lock:
            if self.settings is not None and settings.to_json() == self.settings.to_json():
                return
            if self.settings is not None and (settings.site, settings.agent) != (self.settings.site,
                                                                                   self.settings.agent):
                logger.error("the token now belongs to %s/%s, not %s/%s: restart the agent", settings.site,
                             settings.agent, self.settings.site, self.settings.agent)
                return
            self._keep(settings)
            if self.spool is None:
                self.spool = PressSpool(self.spool_dir / f"{settings.site}-{settings.agent}.sqlite",
                                        max_age=settings.press_max_age_seconds)
            previous, self.settings = self.running, settings
            if previous is not None:
                logger.info("agent %s: device settings changed on the server; restarting its devices",
                            settings.agent)
                previous.stop_all()
            devices = _Devices(settings, self.on_press)
            self.running = devices
            devices.start()
            logger.info("agent %s serves %d device(s): %s", settings.agent, len(devices.by_id),
                        ", ".join(devices.by_id) or "none")

    def _keep(self, settings: AgentSettings) -> None:
        """The settings on disk, for a start while the server is away (no secret in them)."""
        self.spool_dir.mkdir(parents=True, exist_ok=True)
        tmp = self._cache.with_suffix(".new")
        tmp.write_text(json.dumps(settings.to_json(), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self._cache)

    def _refresh_settings(self) -> None:
        try:
            self._apply(fetch_settings(self.server_url, self.token, session=self.http))
        except (requests.RequestException, SettingsError) as err:
            logger.warning("agent %s: settings not refreshed: %s", self.agent_id, err)

    # -- devices -----------------------------------------------------------------------------
    def on_press(self, device_id: str, level: int, pressed_at: datetime) -> None:
        """A button was pressed: on disk now, to the server as soon as it can be reached."""
        device = self.devices.get(device_id)
        if device is None or self.spool is None:  # its reader was stopping while the settings changed
            logger.warning("press on %s, which this agent no longer serves: dropped", device_id)
            return
        press = {"press_id": f"{device_id}-{uuid.uuid4().hex}", "counter": device.counter, "level": level,
                 "device": device_id, "pressed_at": pressed_at.isoformat(timespec="milliseconds")}
        self.spool.add(press)
        logger.info("press device=%s counter=%s level=%s id=%s", device_id, device.counter, level, press["press_id"])
        self.wake.set()

    def statuses(self) -> dict[str, dict]:
        out = {}
        for reader in self.readers:
            out.update(reader.statuses())
        for led in self.leds.values():
            out[led.device.id] = led.link.status.to_json()
        for device in self.devices.values():
            if device.kind == "printer":
                out[device.id] = self.print_results.get(device.id, {"connected": None, "last_seen": None,
                                                                    "counts": {}})
        return out

    # -- the server ----------------------------------------------------------------------------
    def _on_connect(self):
        logger.info("agent %s connected to %s", self.agent_id, self.server_url)
        self.wake.set()
        # The server may have been restarted with other settings for this agent.
        threading.Thread(target=self._refresh_settings, name="settings", daemon=True).start()

    def _on_disconnect(self, *args):
        logger.warning("agent %s disconnected from the server", self.agent_id)

    def _flush(self) -> None:
        """Send what waits on disk, oldest first; stop at the first failure and try again later."""
        if self.spool is None:
            return
        for press in self.spool.pending():
            if not self.sio.connected or self.stop_event.is_set():
                return
            try:
                answer = self.sio.call("press", press, timeout=10)
            except (socketio.exceptions.TimeoutError, socketio.exceptions.BadNamespaceError,
                    socketio.exceptions.SocketIOError) as err:
                logger.warning("press %s not delivered yet: %s", press["press_id"], err)
                return
            if isinstance(answer, dict) and answer.get("ok"):
                self.spool.delivered(press["press_id"])
            elif isinstance(answer, dict) and answer.get("error", {}).get("code") not in (
                    None, "internal_error", "store_unavailable", "unauthorized"):
                logger.error("server refused press %s: %s", press["press_id"], answer["error"])
                self.spool.refused(press["press_id"], answer["error"].get("code", "refused"))
            else:
                logger.warning("press %s: the server could not store it now (%s)", press["press_id"], answer)
                return

    def _flusher(self) -> None:
        while not self.stop_event.is_set():
            self.wake.wait(2)
            self.wake.clear()
            try:
                self._flush()
            except Exception:
                logger.exception("sending presses failed; they stay on disk")

    def _heartbeat(self) -> None:
        while not self.stop_event.wait(self.heartbeat):
            for led in self.leds.values():
                led.refresh()  # a display that was unplugged gets its number back
            if self.sio.connected and self.spool is not None:
                try:
                    self.sio.emit("device_status", {"devices": self.statuses(), "spool": self.spool.counts()})
                except socketio.exceptions.SocketIOError:
                    logger.warning("status report not sent")

    # -- LED displays and printers -------------------------------------------------------------
    def _on_snapshot(self, snap):
        for counter in snap.get("counters", []):
            self._show(counter)

    def _on_update(self, event):
        state = event.get("counter_state")
        if state is None:
            return
        if event.get("ticket") and state.get("current") == event["ticket"]["id"]:
            state = {**state, "ticket": event["ticket"]}
        self._show(state)

    def _show(self, counter_state: dict) -> None:
        led = self.leds.get(counter_state.get("number"))
        if led is not None:
            led.show(*counter_text(counter_state, led.device.options.get("digits", 4)))

    def _on_print(self, job):
        threading.Thread(target=self._print, args=(job,), name="print", daemon=True).start()

    def _print(self, job: dict) -> None:
        device = self.devices.get(str(job.get("device")))
        status, detail = "failed", ""
        if device is None or device.kind != "printer":
            detail = f"no printer {job.get('device')!r} here"
        else:
            try:
                image, coarse = layout(TicketText.from_json(job["ticket"]), device.options.get("paper", 80))
                if device.options.get("raster", "compact") == "full":
                    coarse = ()
                printer_for(device.url, device.options.get("baudrate", 19200)).print_job(
                    escpos.ticket_job(image, coarse))
                status = "printed"
            except PrinterError as err:
                status = {PrinterState.PAPER_OUT: "paper_out", PrinterState.OFFLINE: "offline"}.get(err.state, "failed")
                detail = str(err)
            except Exception as err:
                logger.exception("printing job %s failed", job.get("job"))
                detail = str(err)
            counts = self.print_results.get(device.id, {}).get("counts", {})
            counts[status] = counts.get(status, 0) + 1
            self.print_results[device.id] = {"connected": status == "printed", "last_seen": job.get("issued_at"),
                                             "last_error": detail or None, "counts": counts, "status": status}
        logger.info("print job=%s device=%s status=%s %s", job.get("job"), job.get("device"), status, detail)
        try:
            self.sio.emit("print_result", {"job": job.get("job"), "kiosk": job.get("kiosk"), "status": status,
                                           "detail": detail})
        except socketio.exceptions.SocketIOError:
            logger.warning("print result of %s not sent", job.get("job"))

    # -- running -------------------------------------------------------------------------------
    def start(self) -> None:
        """Returns once the agent serves its devices (or was stopped while waiting for its settings)."""
        settings = self._first_settings()
        if settings is None:
            return
        self._apply(settings)
        for target in (self._flusher, self._heartbeat, self._connector):
            threading.Thread(target=target, name=target.__name__, daemon=True).start()

    def _connector(self) -> None:
        """Connect, and keep trying while the server is away at start (later cuts reconnect by themselves)."""
        delay = 0.5
        settings = self.settings
        if settings is None:  # start() applies the settings before this thread runs
            return
        while not self.stop_event.is_set() and not self.sio.connected:
            try:
                self.sio.connect(self.server_url, auth={"site": settings.site, "token": self.token},
                                 transports=["websocket"], wait_timeout=5)
                return
            except socketio.exceptions.ConnectionError as err:
                logger.warning("server %s not reachable (%s); retrying in %.1f s", self.server_url, err, delay)
                self.stop_event.wait(delay)
                delay = min(delay * 2, 30)

    def stop(self) -> None:
        self.stop_event.set()
        self.wake.set()
        try:
            self.sio.close()
        except socketio.exceptions.SocketIOError:
            logger.debug("disconnect failed", exc_info=True)
        if self.running is not None:
            self.running.stop_all()
        if self.spool is not None:
            self.spool.close()
