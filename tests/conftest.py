"""Fixtures: a real Redis the suite owns, a controlled clock, the app and its clients.

The suite starts its own redis-server (the embedded one) on a free loopback port. If
QMS_TEST_REDIS_URL is set, the engine, server and hardware tests also run against that server
(the screens and drills, whose subject is the browser or the processes, run on the embedded one
only: running them twice doubled the suite's time for no new finding). Each test uses
its own key prefix and deletes only its own keys: no Redis is ever flushed.
"""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import redis

from server.config import parse_config
from server.engine.clock import ControlledClock
from server.store.embedded_redis import EmbeddedRedis

from .hall import hall_document

HCM = ZoneInfo("Asia/Ho_Chi_Minh")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--autoplay-policy=no-user-gesture-required"]
TARGETS = ["embedded"] + (["external"] if os.environ.get("QMS_TEST_REDIS_URL") else [])


@pytest.fixture(scope="session")
def embedded_redis(tmp_path_factory):
    server = EmbeddedRedis(tmp_path_factory.mktemp("redis"), appendfsync="everysec")
    server.start()
    yield server
    server.stop()


SECOND_TARGET_DIRS = ("server", "hardware")


def pytest_collection_modifyitems(config, items):
    """The external Redis target is for the tests of what talks to Redis (see the docstring)."""
    kept, dropped = [], []
    for item in items:
        callspec = getattr(item, "callspec", None)
        external = callspec is not None and callspec.params.get("redis_url") == "external"
        folder = item.path.parent.name
        (dropped if external and folder not in SECOND_TARGET_DIRS else kept).append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", params=TARGETS)
def redis_url(request, embedded_redis):
    if request.param == "embedded":
        return embedded_redis.url
    return os.environ["QMS_TEST_REDIS_URL"]


@pytest.fixture
def prefix(redis_url):
    """A key prefix of this test's own; its keys are deleted afterwards."""
    name = f"qmstest-{uuid.uuid4().hex[:12]}"
    yield name
    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(match=f"{name}:*", count=1000))
    for i in range(0, len(keys), 500):
        client.delete(*keys[i:i + 500])
    client.close()


@pytest.fixture
def redis_client(redis_url):
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def clock():
    """Monday 23 November 2026, 09:00 in Hà Nội time: the hall is open."""
    return ControlledClock(datetime(2026, 11, 23, 9, 0, tzinfo=HCM))


@pytest.fixture
def config(prefix, tmp_path):
    doc = hall_document(prefix)
    doc["server"]["data_dir"] = str(tmp_path / "data")   # its own archive: live changes stay in this test
    return parse_config(doc)


@pytest.fixture
def app(config, redis_url, clock):
    from server import create_app

    app = create_app(config, redis_url=redis_url, clock=clock, message_queue=False, start_relay=False)
    app.config["TESTING"] = True
    yield app
    app.extensions["qms"].shutdown()


@pytest.fixture
def engine(app):
    return app.extensions["qms"].engine


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api(client):
    from .helpers import Api

    return Api(client)


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole run: Playwright's sync API allows only one
    instance per thread, so screens and drills share it."""
    from playwright.sync_api import sync_playwright

    if not os.path.exists(CHROMIUM):
        pytest.fail("Chromium is not installed: apt-get install chromium chromium-driver (.ci/run does it)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()
