"""The SQL archive on SQLite, and on the machine's PostgreSQL when QMS_TEST_POSTGRES_URL names it
(each test gets a database of its own, dropped after)."""
from __future__ import annotations

import os
import uuid

import pytest

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
