"""Rights end when the session ends: logout, take-over, expiry and a password change end an
officer's session, and the sockets opened with it, on every server process."""
from __future__ import annotations

import copy

import pytest
import requests
import socketio

from server import create_app
from server.config import parse_config

from ..hall import ADMIN_PASSWORD, PASSWORD, hall_document, password_hash
from ..helpers import Api, wait_until
from ..servers import running, write_config


def sign_in(url: str, username: str, counter: int | None, **extra) -> str:
    body = {"username": username, "password": ADMIN_PASSWORD if username == "admin" else PASSWORD, **extra}
    if counter is not None:
        body["counter"] = counter
    r = requests.post(f"{url}/api/v1/sites/hcc/login", json=body, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()["token"]


class Screen:
    """A counter screen's socket: remembers whether the server closed it."""

    def __init__(self, url: str, token: str):
        self.closed = False
        self.client = socketio.Client(reconnection=False)
        self.client.on("disconnect", self._closed)
        self.client.connect(url, auth={"site": "hcc", "token": token}, transports=["websocket"], wait_timeout=10)

    def _closed(self, *reason):
        self.closed = True

    def counter(self, number: int, action: str) -> dict:
        return self.client.call("counter", {"action": action, "counter": number}, timeout=10)


def refused_socket(url: str, token: str) -> bool:
    client = socketio.Client(reconnection=False)
    try:
        client.connect(url, auth={"site": "hcc", "token": token}, transports=["websocket"], wait_timeout=10)
    except socketio.exceptions.ConnectionError:
        return True
    client.disconnect()
    return False


@pytest.fixture
def two_servers(tmp_path, prefix, redis_url):
    path = write_config(tmp_path, hall_document(prefix, opening_hours="always"), redis_url=redis_url)
    with running(path, 2) as servers:
        yield [s.url for s in servers]


def test_logout_on_one_server_closes_the_socket_on_another(two_servers):
    a, b = two_servers
    token = sign_in(a, "cb1", 1)
    screen = Screen(b, token)
    assert screen.counter(1, "call-next") == {"ok": True, "result": None}  # it may act while signed in
    r = requests.post(f"{a}/api/v1/sites/hcc/logout", json={}, timeout=10, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204, r.text
    wait_until(lambda: screen.closed, timeout=5, what="the server on B to close the signed-out socket")
    assert refused_socket(b, token)
    assert requests.get(f"{b}/api/v1/sites/hcc/me", timeout=10,
                        headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_take_over_ends_the_replaced_officers_session(two_servers):
    a, b = two_servers
    token = sign_in(a, "cb1", 1)
    screen = Screen(b, token)
    sign_in(a, "admin", 1, take_over=True)
    wait_until(lambda: screen.closed, timeout=5, what="the replaced officer's socket to be closed")
    assert requests.post(f"{b}/api/v1/sites/hcc/counters/1/open", json={"take_over": True}, timeout=10,
                         headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert refused_socket(a, token)


def test_an_ended_session_cannot_act_on_a_socket_that_missed_the_disconnect(app, api, redis_client, prefix):
    """Belt and braces: each officer event re-checks the session (a disconnect can be missed
    while Redis pub/sub is down)."""
    svc = app.extensions["qms"]
    token = api.login(1)
    sio = svc.socketio.test_client(app, auth={"site": "hcc", "token": token})
    assert sio.is_connected()
    for key in redis_client.scan_iter(match=f"{prefix}:{{hcc}}:sess:*"):
        redis_client.delete(key)  # ended behind the socket's back (expiry)
    answer = sio.emit("counter", {"action": "call-next", "counter": 1}, callback=True)
    assert answer["error"]["code"] == "session_ended"
    assert not sio.is_connected()


def test_sessions_have_an_absolute_lifetime(api, clock):
    token = api.login(1)
    for _ in range(15):  # busy all day: each use extends the sliding expiry
        clock.advance(hours=1)
        assert api.get("/me", token).status_code == 200
    clock.advance(hours=1, minutes=1)
    assert api.get("/me", token).status_code == 401


def test_a_password_change_in_config_ends_that_officers_sessions(prefix, redis_url, clock):
    document = hall_document(prefix)
    first = create_app(parse_config(document), redis_url=redis_url, clock=clock, message_queue=False,
                       start_relay=False)
    try:


        api = Api(first.test_client())
        cb1, cb2 = api.login(1), api.login(2)
    finally:
        first.extensions["qms"].shutdown()
    changed = copy.deepcopy(document)
    officer = next(o for o in changed["sites"][0]["officers"] if o["username"] == "cb1")
    officer["password_hash"] = password_hash("Mật-khẩu-mới-2026")
    second = create_app(parse_config(changed), redis_url=redis_url, clock=clock, message_queue=False,
                        start_relay=False)
    try:
        api = Api(second.test_client())
        assert api.get("/me", cb1).status_code == 401
        assert api.get("/me", cb2).status_code == 200
    finally:
        second.extensions["qms"].shutdown()


def test_session_ids_are_not_key_names(api, redis_client, prefix):
    token = api.login(1)
    names = [k.decode() for k in redis_client.scan_iter(match=f"{prefix}:*")]
    assert names and not [n for n in names if token in n]
    values = [redis_client.dump(n) or b"" for n in names]
    assert not [v for v in values if token.encode() in v]
