"""Outbound webhooks: an admin adds one (its secret shown once); the site's ticket and rating
events reach the receiver signed, in order, at least once, retried with back-off while it
fails, each attempt in the delivery log; a restart sends again what was not acknowledged."""
from __future__ import annotations

import json

import pytest
import redis as redis_lib

from server.history.webhooks import WebhookSender

from ..hall import AGENT_TOKEN
from ..helpers import wait_until
from ..receiver import Receiver


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def sender(app, redis_url):
    services = app.extensions["qms"]
    made = []

    def start(**kw):
        s = WebhookSender(redis_lib.Redis.from_url(redis_url), services.engine.config, services.engine.keys,
                          services.archive_sql, consumer=f"test-{len(made)}", backoff=0.2, **kw)
        made.append(s)
        return s

    yield start


def sending(sender, until, timeout=10, what="the receiver to get it"):
    """Let ``sender`` work until ``until()`` holds."""
    return wait_until(lambda: (sender.step(), until())[1], timeout=timeout, what=what)


def serve_one(api):
    ticket = api.issue("TP")
    api.login(1)
    api.act(1, "open")
    api.act(1, "call-next")
    api.act(1, "start")
    api.act(1, "finish")
    return ticket


def test_an_added_hook_gets_the_sites_events_signed_and_in_order(api, receiver, sender):
    admin = api.login_admin()
    r = api.put("/setup/webhooks/motcua", {"url": receiver.url, "events": ["ticket", "rating"]}, admin)
    assert r.status_code == 201, r.get_json()
    secret = r.get_json()["secret"]
    assert len(secret) >= 24
    listed = api.get("/setup/webhooks", admin).get_json()["webhooks"]
    assert listed == [{"id": "motcua", "url": receiver.url, "events": ["ticket", "rating"], "disabled": False}]
    audit = api.get("/audit", admin).get_json()["entries"][0]
    assert audit["action"] == "webhook.create" and secret not in json.dumps(audit)
    s = sender()
    s.step()   # the hook's place in the stream: from now on
    ticket = serve_one(api)
    r = api.post("/ratings", {"counter": 1, "level": 3, "press_id": "panel-1-hook0001", "device": "panel-1"},
                 AGENT_TOKEN)
    assert r.status_code == 201, r.get_json()
    sending(s, lambda: len(receiver.got) >= 5, what="the events at the receiver")
    events = receiver.events(secret)
    assert [e["type"] for e in events] == ["ticket.issued", "ticket.called", "ticket.started", "ticket.finished",
                                           "rating.recorded"]   # no counter.* events: not asked for
    assert {e["data"]["ticket"]["id"] for e in events} == {ticket["id"]}
    assert events[0]["site"] == "hcc" and events[0]["at"].endswith("+07:00")
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    log = api.get("/setup/webhooks/log", admin).get_json()["entries"]
    assert [e["status"] for e in log] == ["delivered"] * 5 and log[0]["type"] == "rating.recorded"


def test_a_failing_receiver_gets_the_same_event_again_until_it_answers(api, sender):
    admin = api.login_admin()
    receiver = Receiver(fail=2)
    try:
        secret = api.put("/setup/webhooks/motcua", {"url": receiver.url, "events": ["ticket"]},
                         admin).get_json()["secret"]
        s = sender()
        s.step()
        api.issue("TP")
        api.issue("XD")
        sending(s, lambda: len(receiver.got) >= 4, timeout=20, what="two failures, then both events")
        ids = [g["headers"]["X-QMS-Delivery"] for g in receiver.got]
        assert ids[0] == ids[1] == ids[2] != ids[3]   # the first event three times, then the second: in order
        events = receiver.events(secret)
        assert [e["data"]["ticket"]["field"] for e in events[2:]] == ["TP", "XD"]
        log = api.get("/setup/webhooks/log", admin).get_json()["entries"]
        assert [(e["status"], e["attempt"], e["code"]) for e in reversed(log)] == [
            ("retrying", 1, 500), ("retrying", 2, 500), ("delivered", 3, 204), ("delivered", 1, 204)]
    finally:
        receiver.close()


def test_what_was_not_acknowledged_is_sent_again_by_the_next_process(api, sender):
    """The receiver was away when the first sender stopped: the next one (a restart, another
    server taking the lead) sends it, with the same delivery id."""
    admin = api.login_admin()
    receiver = Receiver(fail=1)
    try:
        secret = api.put("/setup/webhooks/motcua", {"url": receiver.url}, admin).get_json()["secret"]
        first = sender()
        first.step()
        api.issue("TP")
        sending(first, lambda: receiver.got, what="the first attempt")
        second = sender()
        sending(second, lambda: len(receiver.got) >= 2, what="the event sent again")
        events = receiver.events(secret)
        assert events[0]["id"] == events[1]["id"] and len(events) == 2
    finally:
        receiver.close()


def test_a_disabled_hook_gets_nothing_and_a_removed_one_leaves_no_group(api, app, receiver, sender, redis_client):
    admin = api.login_admin()
    api.put("/setup/webhooks/motcua", {"url": receiver.url}, admin)
    s = sender()
    s.step()
    assert api.put("/setup/webhooks/motcua", {"disabled": True}, admin).status_code == 200
    s.refresh()
    api.issue("TP")
    for _ in range(5):
        s.step()
    assert receiver.got == []
    assert api.delete("/setup/webhooks/motcua", admin).status_code == 204
    s.refresh()
    stream = app.extensions["qms"].engine.keys["hcc"].events
    assert [g["name"] for g in redis_client.xinfo_groups(stream) if g["name"].startswith(b"hook:")] == []
    assert api.audited(admin)[-3:] == [("webhook.create", "motcua"), ("webhook.update", "motcua"),
                                       ("webhook.delete", "motcua")]


@pytest.mark.parametrize("hook, body, expected", [
    ("motcua", {"url": "ftp://example"}, "bad_webhook"),
    ("motcua", {"url": "http://x.example/e", "events": ["tickets"]}, "bad_webhook"),
    ("Bad Id", {"url": "http://x.example/e"}, "bad_webhook"),
    ("motcua", {"events": ["ticket"]}, "missing_parameter"),
])
def test_a_hook_config_yaml_would_refuse_is_refused(api, hook, body, expected):
    admin = api.login_admin()
    r = api.put(f"/setup/webhooks/{hook}", body, admin)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == expected, r.get_json()
    assert api.get("/setup/webhooks", admin).get_json()["webhooks"] == []
    assert api.post("/setup/webhooks/nothing/secret", {}, admin).status_code == 404
    officer = api.login(1)   # a hook's address and its log are the admins' only
    assert [api.get(path, officer).status_code for path in ("/setup/webhooks", "/setup/webhooks/log")] == [403, 403]
    assert api.put("/setup/webhooks/x", {"url": "http://x.example/e"}, officer).status_code == 403


def test_a_new_secret_signs_from_then_on(api, receiver, sender):
    admin = api.login_admin()
    old = api.put("/setup/webhooks/motcua", {"url": receiver.url}, admin).get_json()["secret"]
    s = sender()
    s.step()
    r = api.post("/setup/webhooks/motcua/secret", {}, admin)
    new = r.get_json()["secret"]
    assert r.status_code == 200 and new != old
    s.refresh()
    api.issue("TP")
    sending(s, lambda: receiver.got, what="the event")
    receiver.events(new)
    with pytest.raises(AssertionError):
        receiver.events(old)
    details = api.get("/audit", admin).get_json()["entries"][0]["details"]
    assert details == {"before": {"secret": "…"}, "after": {"secret": "…"}}


def test_qms_serve_sends_a_config_yaml_hook_from_its_archiver(tmp_path, prefix, redis_url, receiver):
    """As shipped: a hook written in config.yaml, `qms serve` (its archiver child sends), a
    ticket taken at the kiosk reaches the receiver."""
    import requests

    from ..hall import KIOSK_TOKEN, hall_document
    from ..servers import ServerProcess, write_config

    secret = "province-one-stop-0123456789"
    doc = hall_document(prefix)
    doc["sites"][0]["webhooks"] = [{"id": "motcua", "url": receiver.url, "events": ["ticket"], "secret": secret}]
    doc["sites"][0]["kiosk_tickets_per_minute"] = 10_000   # the loop below takes a ticket every 0.1 s
    server = ServerProcess(write_config(tmp_path, doc, redis_url=redis_url)).wait_ready()
    try:
        def issued():
            r = requests.post(f"{server.url}/api/v1/sites/hcc/tickets", json={"field": "TP"}, timeout=10,
                              headers={"Authorization": f"Bearer {KIOSK_TOKEN}"})
            assert r.status_code == 201, r.text
            return r.json()

        # The hook's group is made when its sender first looks: tickets from then on are sent.
        wait_until(lambda: issued() and receiver.got, timeout=30, what="the archiver's sender to start")
        ticket = issued()
        wait_until(lambda: any(e["data"]["ticket"]["id"] == ticket["id"] for e in receiver.events(secret)),
                   timeout=20, what="the ticket at the receiver")
    finally:
        server.stop()


def test_the_stream_keeps_an_event_a_hook_has_not_delivered_when_the_archive_has_it(api, app, redis_url, sender,
                                                                                      redis_client):
    """The archiver trims the events it has archived; one a failing receiver has not had yet
    must stay (else it is never delivered)."""
    from server.history.archiver import Archiver

    admin = api.login_admin()
    receiver = Receiver(fail=1000)
    try:
        api.put("/setup/webhooks/motcua", {"url": receiver.url, "events": ["ticket"]}, admin)
        s = sender()
        s.step()
        first = api.issue("TP")
        sending(s, lambda: receiver.got, what="the first attempt")
        services = app.extensions["qms"]
        for _ in range(300):   # more than a stream node holds: an approximate trim drops whole nodes
            services.engine.issue("hcc", "XD")
        archiver = Archiver(redis_lib.Redis.from_url(redis_url), services.engine.config, services.engine.keys,
                            services.archive_sql, consumer="trim-test", stream_retention_seconds=0)
        while archiver.step(block_ms=10):
            pass
        stream = services.engine.keys["hcc"].events
        before = redis_client.xlen(stream)
        archiver.trim()
        held = [e for e in redis_client.xrange(stream) if json.loads(e[1][b"data"]).get("ticket", {}).get("id")
                == first["id"]]
        assert held and redis_client.xlen(stream) == before   # nothing after the held event may go either
        receiver.fail = 0
        s.lines[("hcc", "motcua")].next_try = 0
        sending(s, lambda: len(receiver.got) >= 302, timeout=60, what="everything delivered")
        archiver.trim()
        assert redis_client.xlen(stream) < before   # now the stream is trimmed
    finally:
        receiver.close()


def test_the_sender_reads_the_hooks_from_sql_only_when_settings_moved(api, app, receiver, sender):
    """It looked for changed hooks with a SQL query every 2 s, on every server, for ever; now it
    reads the sites' settings versions from Redis and queries only when one moved."""
    from sqlalchemy import event

    sql = app.extensions["qms"].archive_sql
    queries: list[str] = []

    def count(conn, cursor, statement, *args):
        queries.append(statement)

    event.listen(sql, "before_cursor_execute", count)
    try:
        s = sender()
        s.refresh()
        first = len(queries)
        assert first >= 1                      # the first look reads them
        s.refresh()
        s.refresh()
        assert len(queries) == first           # nothing moved: no query
        admin = api.login_admin()
        api.put("/setup/webhooks/motcua", {"url": receiver.url}, admin)
        queries.clear()
        s.refresh()
        assert any("site_settings" in q for q in queries)   # a hook added: read, and sent to
        assert ("hcc", "motcua") in s.lines
    finally:
        event.remove(sql, "before_cursor_execute", count)
