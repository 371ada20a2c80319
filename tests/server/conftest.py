"""The SQL archive on SQLite, and on the machine's PostgreSQL when QMS_TEST_POSTGRES_URL names it
(each test gets a database of its own, dropped after)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from ..hall import ADMIN_PASSWORD, hall_document
from ..servers import ROOT, write_config

TARGETS = ["sqlite"] + (["postgresql"] if os.environ.get("QMS_TEST_POSTGRES_URL") else [])


@pytest.fixture(params=TARGETS)
def archive_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'archive.sqlite'}"
        return
    import psycopg

    base = os.environ["QMS_TEST_POSTGRES_URL"]  # e.g. postgresql://postgres@127.0.0.1:5432/postgres
    name = f"qms_test_{uuid.uuid4().hex[:10]}"
    admin = base.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield f"postgresql+psycopg://{admin.split('://', 1)[1].rsplit('/', 1)[0]}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@dataclass
class WrittenHall:
    """A hall served in this process from a config.yaml written to disk, as the ``qms config``
    commands read it, with an admin signed in."""

    path: Path
    app: Any
    client: Any
    headers: dict

    def config_command(self, *args: str) -> subprocess.CompletedProcess:
        """``qms config <args> --config <this hall's file>``, as an administrator runs it."""
        return subprocess.run([sys.executable, "-m", "server.cli", "config", *args, "--config", str(self.path)],
                              capture_output=True, text=True, cwd=ROOT)


@pytest.fixture
def written_hall(tmp_path, prefix, redis_url, clock):
    from server import create_app
    from server.config import load_config

    path = write_config(tmp_path, hall_document(prefix), redis_url=redis_url)
    config = load_config(path)   # as the commands read it, but served in this process's threads
    config = replace(config, server=replace(config.server, async_mode="threading"))
    app = create_app(config, redis_url=redis_url, clock=clock, message_queue=False, start_relay=False)
    try:
        client = app.test_client()
        admin = client.post("/api/v1/sites/hcc/login", json={"username": "admin", "password": ADMIN_PASSWORD})
        yield WrittenHall(path, app, client, {"Authorization": f"Bearer {admin.get_json()['token']}"})
    finally:
        app.extensions["qms"].shutdown()


@pytest.fixture
def another_process(config, redis_url, clock):
    """Another server process of the same hall (its own copy of the config, as a process has):
    call it for one; each is shut down after the test."""
    import copy

    from server import create_app

    made = []

    def start():
        app = create_app(copy.deepcopy(config), redis_url=redis_url, clock=clock, message_queue=False,
                         start_relay=False)
        made.append(app)
        return app

    yield start
    for app in made:
        app.extensions["qms"].shutdown()


@pytest.fixture
def live_app(config, redis_url, clock):
    """The app with its event relay running: what screens hear, pushed."""
    from server import create_app

    app = create_app(config, redis_url=redis_url, clock=clock, message_queue=False, start_relay=True)
    yield app
    app.extensions["qms"].shutdown()
