"""The device agent: runs on a PC with devices attached and serves exactly the devices its
config names. It connects to the server over Socket.IO with its device token.

Presses go to disk first, then to the server; each is removed from disk only when the
server answers that it is stored (the server ignores a press id it has seen), so with the
server away nothing is lost and, when it is back, nothing counts twice.
"""
from __future__ import annotations

import logging
import threading
import uuid
from datetime import datetime
from pathlib import Path

import socketio

from server.queue_engine import PRESS_MAX_AGE_SECONDS

from . import escpos
from .escpos import PrinterState
from .led_display import LedDisplay, counter_text
from .ordered_client import OrderedClient
from .panel_readers import AsciiPanelReader, Rs485Bus
from .printers import PrinterError, printer_for
from .spool import PressSpool
from .ticket_image import TicketText, layout

logger = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 10
PERMANENT = 400  # a 4xx-style refusal will not change by sending again


class DeviceAgent:
    def __init__(self, config, site_id: str, agent_id: str, server_url: str, spool_dir: str | Path,
                 *, heartbeat: float = HEARTBEAT_SECONDS):
        site = config.sites[site_id]
        self.site = site
        self.agent_id = agent_id
        self.heartbeat = heartbeat
        self.token = site.agents[agent_id].token
        self.server_url = server_url.rstrip("/")
        self.devices = {d.id: d for d in site.devices.values() if d.agent == agent_id}
        self.stop_event = threading.Event()
        self.wake = threading.Event()
        self.spool = PressSpool(Path(spool_dir) / f"{site_id}-{agent_id}.sqlite", max_age=PRESS_MAX_AGE_SECONDS)
        self.readers = self._readers()
        self.leds = {d.counter: LedDisplay(d, self.stop_event) for d in self.devices.values() if d.kind == "led_display"}
        self.print_results: dict[str, dict] = {}
        # Handlers in arrival order: an LED must never end on an older state than the last one sent.
        self.sio = OrderedClient(reconnection=True, reconnection_delay=0.5, reconnection_delay_max=30,
                                 logger=False, engineio_logger=False)
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("snapshot", self._on_snapshot)
        self.sio.on("update", self._on_update)
        self.sio.on("print", self._on_print)

    # -- devices -----------------------------------------------------------------------------
    def _readers(self) -> list:
        readers, buses = [], {}
        for device in self.devices.values():
            if device.kind != "rating_panel":
                continue
            if device.options.get("model") == "rs485":
                buses.setdefault(device.url, []).append(device)
            else:
                readers.append(AsciiPanelReader(device, self.on_press, self.stop_event))
        for url, members in buses.items():
            readers.append(Rs485Bus(url, members[0].options.get("baudrate", 9600), members, self.on_press,
                                    self.stop_event))
        return readers

    def on_press(self, device_id: str, level: int, pressed_at: datetime) -> None:
        """A button was pressed: on disk now, to the server as soon as it can be reached."""
        device = self.devices[device_id]
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

    def _on_disconnect(self, *args):
        logger.warning("agent %s disconnected from the server", self.agent_id)

    def _flush(self) -> None:
        """Send what waits on disk, oldest first; stop at the first failure and try again later."""
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
            except Exception:  # noqa: BLE001 - the loop must survive; the press stays on disk
                logger.exception("sending presses failed; they stay on disk")

    def _heartbeat(self) -> None:
        while not self.stop_event.wait(self.heartbeat):
            for led in self.leds.values():
                led.refresh()  # a display that was unplugged gets its number back
            if self.sio.connected:
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
        device = self.devices.get(job.get("device"))
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
            except Exception as err:  # noqa: BLE001 - reported to the kiosk and logged
                logger.exception("printing job %s failed", job.get("job"))
                detail = str(err)
            counts = self.print_results.get(device.id, {}).get("counts", {})
            counts[status] = counts.get(status, 0) + 1
            self.print_results[device.id] = {"connected": status == "printed", "last_seen": job.get("issued_at"),
                                             "last_error": detail or None, "counts": counts}
        logger.info("print job=%s device=%s status=%s %s", job.get("job"), job.get("device"), status, detail)
        try:
            self.sio.emit("print_result", {"job": job.get("job"), "kiosk": job.get("kiosk"), "status": status,
                                           "detail": detail})
        except socketio.exceptions.SocketIOError:
            logger.warning("print result of %s not sent", job.get("job"))

    # -- running -------------------------------------------------------------------------------
    def start(self) -> None:
        for reader in self.readers:
            reader.start()
        for target in (self._flusher, self._heartbeat, self._connector):
            threading.Thread(target=target, name=target.__name__, daemon=True).start()
        logger.info("agent %s serves %d device(s): %s", self.agent_id, len(self.devices), ", ".join(self.devices))

    def _connector(self) -> None:
        """Connect, and keep trying while the server is away at start (later cuts reconnect by themselves)."""
        delay = 0.5
        while not self.stop_event.is_set() and not self.sio.connected:
            try:
                self.sio.connect(self.server_url, auth={"site": self.site.id, "token": self.token},
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
        for reader in self.readers:
            reader.join(timeout=3)
        self.spool.close()
