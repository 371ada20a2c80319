"""The device agent against a real server: panels on real pseudo-terminals opened by
pyserial, an RS-485 bus, an LED display and a network printer, all simulated."""
from __future__ import annotations

import time

import pytest
import requests
from PIL import ImageChops

from hardware import escpos
from hardware.agent import DeviceAgent
from hardware.ordered_client import OrderedClient
from hardware.simulators import (
    AsciiPanelSimulator,
    LedDisplaySimulator,
    Rs485PanelSimulator,
    VirtualNetworkPrinter,
)
from hardware.ticket_image import TicketText, layout
from server.config import load_config, parse_config
from server.engine.views import ticket_text

from ..hall import ADMIN_PASSWORD, AGENT_TOKEN, KIOSK_TOKEN, PASSWORD, hall_document
from ..helpers import wait_until
from ..servers import ServerProcess, write_config


class Rig:
    """A hall with one agent and its devices, all real processes and ptys."""

    def __init__(self, tmp_path, prefix, redis_url):
        self.tmp = tmp_path
        self.panel = AsciiPanelSimulator(tmp_path / "panel1")
        self.bus = Rs485PanelSimulator([1, 2], tmp_path / "bus")
        self.led = LedDisplaySimulator(tmp_path / "led1")
        self.printer = VirtualNetworkPrinter(out_dir=tmp_path / "printed")
        doc = hall_document(prefix)
        doc["sites"][0]["devices"] = [
            {"id": "panel-1", "kind": "rating_panel", "url": self.panel.path, "counter": 1, "agent": "agent-1"},
            {"id": "panel-2", "kind": "rating_panel", "url": self.bus.path, "counter": 2, "agent": "agent-1",
             "options": {"model": "rs485", "address": 1}},
            {"id": "panel-3", "kind": "rating_panel", "url": self.bus.path, "counter": 3, "agent": "agent-1",
             "options": {"model": "rs485", "address": 2}},
            {"id": "led-1", "kind": "led_display", "url": self.led.path, "counter": 1, "agent": "agent-1"},
            {"id": "printer-1", "kind": "printer", "url": self.printer.url, "agent": "agent-1",
             "options": {"kiosk": "kiosk-1", "paper": 80}},
        ]
        self.config_path = write_config(tmp_path, doc, redis_url=redis_url)
        self.config = load_config(self.config_path)
        self.server = ServerProcess(self.config_path).wait_ready()
        self.agent = None
        self.sessions = {}

    def start_agent(self):
        self.agent = DeviceAgent(self.server.url, AGENT_TOKEN, self.tmp / "spool", heartbeat=0.5)
        self.agent.start()
        wait_until(lambda: self.agent.sio.connected, what="the agent to connect")
        self.wait_panel_open()
        return self.agent

    def wait_panel_open(self):
        """A press made before the agent opened the panel's port is not heard (opening a port
        clears what waited in it, as a real UART's buffer is lost while nobody listens)."""
        wait_until(lambda: self.agent.statuses()["panel-1"]["connected"], what="the panel's port to be open")

    def api(self, method, path, token=KIOSK_TOKEN, **kw):
        return requests.request(method, f"{self.server.url}/api/v1/sites/hcc{path}",
                                headers={"Authorization": f"Bearer {token}"}, timeout=10, **kw)

    def officer(self, counter):
        if counter not in self.sessions:
            r = requests.post(f"{self.server.url}/api/v1/sites/hcc/login", timeout=10,
                              json={"username": f"cb{counter}", "password": PASSWORD, "counter": counter})
            self.sessions[counter] = r.json()["token"]
        return self.sessions[counter]

    def serve(self, counter, field, finish=True):
        ticket = self.api("POST", "/tickets", json={"field": field}).json()
        token = self.officer(counter)
        assert self.api("POST", f"/counters/{counter}/call-next", token).status_code == 200
        self.api("POST", f"/counters/{counter}/start", token)
        if finish:
            self.api("POST", f"/counters/{counter}/finish", token)
        return ticket

    def rating_of(self, ticket):
        return self.api("GET", f"/tickets/{ticket['id']}").json().get("rating")

    def devices(self):
        r = requests.post(f"{self.server.url}/api/v1/sites/hcc/login", timeout=10,
                          json={"username": "admin", "password": ADMIN_PASSWORD})
        states = self.api("GET", "/devices", r.json()["token"]).json()["devices"]
        return {d["id"]: d for d in states}

    def close(self):
        if self.agent:
            self.agent.stop()
        self.server.stop()
        for sim in (self.panel, self.bus, self.led, self.printer):
            sim.close()


@pytest.fixture
def rig(tmp_path, prefix, redis_url):
    r = Rig(tmp_path, prefix, redis_url)
    yield r
    r.close()


def test_a_press_reaches_the_ticket_and_officer_just_served(rig):
    rig.start_agent()
    ticket = rig.serve(1, "TP")
    rig.panel.press("1")
    rating = wait_until(lambda: rig.rating_of(ticket), what="the rating")
    assert rating["level"] == 3 and rating["category"] == "very_satisfied"
    assert rig.api("GET", f"/tickets/{ticket['id']}").json()["officer"] == "cb1"
    wait_until(lambda: rig.agent.spool.counts() == {}, what="the spool to empty")


def test_rs485_bus_panels_with_a_lost_ack_count_once(rig):
    rig.bus.drop_acks = 1  # the first acknowledgement is lost on the line: the panel sends again
    rig.start_agent()
    at_2 = rig.serve(2, "DD")
    at_3 = rig.serve(3, "XD")
    rig.bus.press(1, "2")
    rig.bus.press(2, "3")
    assert wait_until(lambda: rig.rating_of(at_2), what="counter 2's rating")["level"] == 2
    assert wait_until(lambda: rig.rating_of(at_3), what="counter 3's rating")["level"] == 1
    wait_until(lambda: rig.bus.waiting() == 0, what="the panels to be acknowledged")
    # Whichever panel's acknowledgement was lost, its press came twice and counted once.
    def repeats(s):
        return s["panel-2"]["counts"].get("repeats", 0) + s["panel-3"]["counts"].get("repeats", 0)

    states = wait_until(lambda: (s := rig.devices()) and repeats(s) and s, what="the repeat to be reported")
    assert repeats(states) == 1
    assert states["panel-2"]["counts"]["presses"] == 1 and states["panel-2"]["connected"] is True
    assert states["panel-3"]["counts"]["presses"] == 1


def test_garbage_on_the_line_is_counted_and_skipped(rig):
    rig.start_agent()
    ticket = rig.serve(1, "TP")
    rig.panel.send_raw(b"\x00\xff~~zz")
    rig.panel.press("3")
    assert wait_until(lambda: rig.rating_of(ticket), what="the rating")["level"] == 1
    states = wait_until(lambda: (s := rig.devices()) and s["panel-1"]["counts"].get("garbage") and s,
                        what="garbage to be reported")
    assert states["panel-1"]["counts"]["garbage"] == 5  # NUL is tolerated, the other five bytes are not
    # On the bus: noise and a broken frame before a panel's answer.
    rig.bus.garbage_next = b"\x13\x37:0"
    at_2 = rig.serve(2, "DD")
    rig.bus.press(1, "1")
    assert wait_until(lambda: rig.rating_of(at_2), what="the bus rating")["level"] == 3
    states = wait_until(lambda: (s := rig.devices()) and s["panel-2"]["counts"].get("bus_broken_frames") and s,
                        what="broken frames to be reported")
    assert states["panel-2"]["counts"]["bus_broken_frames"] >= 1


def test_unplug_and_replug_a_panel(rig):
    rig.start_agent()
    wait_until(lambda: rig.devices()["panel-1"]["connected"], what="the panel to be seen")
    rig.panel.pty.unplug()
    wait_until(lambda: rig.devices()["panel-1"]["connected"] is False, what="the panel to be missed")
    time.sleep(1.5)
    rig.panel.pty.plug()
    state = wait_until(lambda: (s := rig.devices()["panel-1"]) and s["connected"] and s, timeout=40,
                       what="the reader to reopen the port")
    assert state["reconnects"] >= 1 and state["counts"].get("disconnects", 0) >= 1
    ticket = rig.serve(1, "TP")
    rig.panel.press("2")
    assert wait_until(lambda: rig.rating_of(ticket), what="the rating after replug")["level"] == 2


def test_an_agent_cut_off_from_the_server_loses_nothing(rig):
    rig.start_agent()
    ticket = rig.serve(1, "TP")
    port = rig.server.port
    rig.server.stop()
    rig.panel.press("2")
    rig.panel.press("1")  # a second press for the same visitor: kept, not counted
    wait_until(lambda: rig.agent.spool.counts().get("pending") == 2, what="the presses to be kept on disk")
    rig.server = ServerProcess(rig.config_path, port=port).wait_ready()
    wait_until(lambda: rig.agent.spool.counts() == {}, timeout=40, what="the spool to be delivered")
    assert rig.rating_of(ticket)["level"] == 2
    import redis as redis_lib

    client = redis_lib.Redis.from_url(rig.config.redis.url)
    keys = rig.config.redis.key_prefix
    day = ticket["id"].split("-")[0]
    presses = client.hgetall(f"{keys}:{{hcc}}:ratings:{day}")
    outcomes = sorted(__import__("json").loads(v)["outcome"] for v in presses.values())
    assert outcomes == ["recorded", "repeat_ignored"]


def test_the_kiosk_ticket_is_printed_and_the_kiosk_hears_how_it_went(rig):
    results = []
    kiosk = OrderedClient(reconnection=False)
    kiosk.on("print_result", results.append)
    rig.start_agent()
    kiosk.connect(rig.server.url, auth={"site": "hcc", "token": KIOSK_TOKEN}, transports=["websocket"])
    try:
        ticket = rig.api("POST", "/tickets", json={"field": "TP", "priority": "elderly"}).json()
        assert ticket["print"]["status"] == "printing"
        assert rig.printer.wait_for_jobs(1)
        site = parse_config(__import__("yaml").safe_load(rig.config_path.read_text())).sites["hcc"]
        # As printed: the large parts at half resolution, every dot doubled (raster: compact).
        expected = escpos.as_printed(*layout(TicketText.from_json(ticket_text(site, ticket, "vi")), 80))
        assert ImageChops.difference(rig.printer.images[0].convert("L"), expected.convert("L")).getbbox() is None
        wait_until(lambda: results, what="the print result")
        assert results[0] == {"job": ticket["print"]["job"], "status": "printed"}

        rig.printer.paper_out = True
        again = rig.api("POST", "/tickets", json={"field": "TP"}).json()
        wait_until(lambda: len(results) == 2, what="the paper-out result")
        assert results[1] == {"job": again["print"]["job"], "status": "paper_out"}
        assert rig.api("GET", f"/tickets/{again['id']}").json()["state"] == "waiting"  # still valid
    finally:
        kiosk.disconnect()
    rig.agent.stop()
    rig.agent = None
    late = rig.api("POST", "/tickets", json={"field": "TP"}).json()
    assert late["print"]["status"] == "offline"


def test_the_led_display_shows_the_counter_number(rig):
    rig.start_agent()
    rig.api("POST", "/tickets", json={"field": "TP"})
    token = rig.officer(1)
    rig.api("POST", "/counters/1/call-next", token)
    shown = wait_until(lambda: (f := rig.led.shown.get(1)) and f.text.strip() and f, what="the LED number")
    assert shown.text == "1001" and shown.blink is True
    rig.api("POST", "/counters/1/start", token)
    wait_until(lambda: rig.led.shown[1].blink is False, what="steady once served")
    rig.api("POST", "/counters/1/finish", token)
    wait_until(lambda: rig.led.shown[1].text == "    ", what="blank when free")
