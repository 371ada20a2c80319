"""Every operation tried as every kind of caller: only the allowed ones get past the door,
and a refused one changes nothing."""
from __future__ import annotations

import pytest

from ..hall import ADMIN_PASSWORD, AGENT_TOKEN, DISPLAY_TOKEN, KIOSK_TOKEN, PASSWORD
from .test_api_errors import store_fingerprint

ANY_STAFF = {"owner", "other_counter", "admin"}
DEVICES = {"kiosk", "display", "agent"}
COUNTER_ACTIONS = ["open", "close", "call-next", "call", "recall", "no-show", "start", "finish", "transfer",
                   "pause", "resume"]

# (method, path, body, who may)
OPERATIONS = [
    ("GET", "/hall", None, ANY_STAFF | DEVICES),
    ("GET", "/me", None, ANY_STAFF | DEVICES),
    ("GET", "/state", None, ANY_STAFF | DEVICES),
    ("GET", "/state?lists=1", None, ANY_STAFF),
    ("GET", "/tickets/{ticket}", None, ANY_STAFF | DEVICES),
    ("GET", "/tickets/{ticket}/ticket.png", None, ANY_STAFF),
    ("GET", "/counters/1", None, ANY_STAFF | DEVICES),
    ("GET", "/devices", None, {"admin"}),
    ("GET", "/reports", None, {"admin"}),
    ("GET", "/reports.csv", None, {"admin"}),
    ("GET", "/monitor", None, {"admin"}),
    ("POST", "/tickets", {"field": "DD"}, {"kiosk", "owner", "other_counter", "admin"}),
    ("POST", "/tickets/pickup", {"receipt": "H56-261123-0001", "field": "TP"},
     {"kiosk", "owner", "other_counter", "admin"}),
    ("POST", "/tickets/checkin", {"link": "http://hall/t/hcc/aaaaaaaaaaaaaaaaaaaa"},
     {"kiosk", "owner", "other_counter", "admin"}),
    ("POST", "/appointments/checkin", {"code": "123456"}, {"kiosk", "owner", "other_counter", "admin"}),
    ("POST", "/tickets/{waiting}/cancel", {}, {"owner", "admin"}),
    ("POST", "/tickets/{waiting}/restore", {}, {"owner", "admin"}),
    ("POST", "/ratings", {"counter": 1, "level": 3, "press_id": "matrix-0001", "device": "panel-1"}, {"agent"}),
    ("POST", "/kiosk/unlock", {"pin": "0000"}, {"kiosk"}),
] + [("POST", f"/counters/1/{action}", {"ticket_id": "{waiting}"} if action == "call" else
      {"reason": "Họp"} if action == "pause" else {"field": "DD"} if action == "transfer" else {},
      {"owner", "admin"}) for action in COUNTER_ACTIONS]
PRINCIPALS = ["anonymous", "kiosk", "display", "agent", "other_counter", "other_site", "admin", "owner"]


@pytest.fixture
def hall(api, app):
    tokens = {"kiosk": KIOSK_TOKEN, "display": DISPLAY_TOKEN, "agent": AGENT_TOKEN}
    ticket = api.issue("TP")
    waiting = api.issue("TP")
    tokens["owner"] = api.login(1)
    tokens["other_counter"] = api.login(2)
    tokens["admin"] = api.post("/login", {"username": "admin", "password": ADMIN_PASSWORD}).get_json()["token"]
    other = api.client.post("/api/v1/sites/xa/login", json={"username": "cbxa", "password": PASSWORD, "counter": 1})
    tokens["other_site"] = other.get_json()["token"]
    api.act(1, "call-next")
    return api, tokens, {"ticket": ticket["id"], "waiting": waiting["id"]}


def call(api, app, method, path, body, token):
    client = app.test_client()  # no cookies: the token alone speaks
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.open(api.url(path), method=method, json=body, headers=headers)


@pytest.mark.parametrize("who", PRINCIPALS)
def test_the_authorization_matrix(hall, app, redis_client, prefix, who):
    api, tokens, ids = hall
    token = tokens.get(who)
    refused_ok, allowed_ok = [], []
    for method, path, body, allowed in OPERATIONS:
        path = path.format(**ids)
        if isinstance(body, dict):
            body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
        if who in allowed:
            continue
        before = store_fingerprint(redis_client, prefix)
        r = call(api, app, method, path, body, token)
        assert r.status_code in (401, 403), (who, method, path, r.status_code, r.get_data(as_text=True)[:200])
        assert store_fingerprint(redis_client, prefix) == before, (who, method, path)
        refused_ok.append(path)
    for method, path, body, allowed in OPERATIONS:
        if who not in allowed:
            continue
        path = path.format(**ids)
        if isinstance(body, dict):
            body = {k: (v.format(**ids) if isinstance(v, str) else v) for k, v in body.items()}
        r = call(api, app, method, path, body, token)
        assert r.status_code not in (401, 403) or path == "/kiosk/unlock", (who, method, path, r.status_code)
        allowed_ok.append(path)
    assert refused_ok or allowed_ok
    if who in ("anonymous", "other_site"):
        assert not allowed_ok and len(refused_ok) == len(OPERATIONS)
