"""Many sites on one Redis: each site's keys in one Redis Cluster slot, and no site can reach another."""
from __future__ import annotations

from redis.crc import key_slot

from ..hall import KIOSK_TOKEN, OTHER_SITE_KIOSK_TOKEN, PASSWORD


def test_each_site_keeps_all_its_keys_in_one_slot(api, engine, redis_client, prefix, clock):
    api.issue("TP")
    api.login(1)
    api.act(1, "call-next")
    api.act(1, "finish")
    engine.record_rating("hcc", 1, 3, press_id="iso-press-0001")
    other = api.client.post("/api/v1/sites/xa/tickets", json={"field": "A"},
                            headers={"Authorization": f"Bearer {OTHER_SITE_KIOSK_TOKEN}"})
    assert other.status_code == 201 and other.get_json()["label"] == "A001"
    slots = {}
    for key in redis_client.scan_iter(match=f"{prefix}:*"):
        site = key.decode().split("{", 1)[1].split("}", 1)[0]
        slots.setdefault(site, set()).add(key_slot(key))
    assert set(slots) == {"hcc", "xa"}
    assert all(len(s) == 1 for s in slots.values()), slots
    assert len(list(redis_client.scan_iter(match=f"{prefix}:{{hcc}}:*"))) > 10


def test_no_principal_of_one_site_reaches_another(api, app):
    api.issue("TP")
    other_officer = api.client.post("/api/v1/sites/xa/login", json={"username": "cbxa", "password": PASSWORD,
                                                                   "counter": 1}).get_json()["token"]
    hcc_officer = api.login(1)
    stranger = app.test_client()
    checks = [
        ("GET", "/api/v1/sites/hcc/state", other_officer, 401),
        ("POST", "/api/v1/sites/hcc/counters/1/call-next", other_officer, 401),
        ("GET", "/api/v1/sites/xa/state", hcc_officer, 401),
        ("POST", "/api/v1/sites/xa/tickets", KIOSK_TOKEN, 403),
        ("POST", "/api/v1/sites/hcc/tickets", OTHER_SITE_KIOSK_TOKEN, 403),
        ("GET", "/api/v1/sites/hcc/tickets/20261123-1", OTHER_SITE_KIOSK_TOKEN, 403),
    ]
    for method, url, token, status in checks:
        r = stranger.open(url, method=method, json={"field": "A"} if method == "POST" else None,
                          headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == status, (method, url, r.get_json())
    # A Socket.IO connection of one site never joins another site's rooms.
    sio = app.extensions["qms"].socketio
    assert not sio.test_client(app, auth={"site": "xa", "token": KIOSK_TOKEN}).is_connected()
