"""The archive is migrated, never only created: a centre's database from the first release is
upgraded with its history kept, a new one is made by the migrations, and the model never
drifts from them (a change to server/history/archive_schema.py without a revision fails here)."""
from __future__ import annotations

import subprocess
import sys
import threading
import time

import yaml
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, func, insert, select

from server.history import archive_schema
from server.history.archive_schema import open_archive, revisions

from ..servers import ROOT
from . import archive_v1


def drift(sql) -> list:
    """What the database lacks or has beyond the model (empty when they agree)."""
    with sql.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn), archive_schema.metadata)


def test_a_database_of_the_first_release_is_upgraded_with_its_history(archive_url):
    old = create_engine(archive_url)
    archive_v1.metadata.create_all(old)  # what the first release did at start-up
    with old.begin() as conn:
        conn.execute(insert(archive_v1.metadata.tables["tickets"]).values(
            site="hcc", id="20261201-000001", day="20261201", number=1001, label="1001", field_issued="TP",
            field="TP", issued_at=1, state="done", recalls=0, transfers=0))
        conn.execute(insert(archive_v1.metadata.tables["ratings"]).values(
            site="hcc", press_id="panel-1-aaaaaaaa", counter=1, level=3, category="very_satisfied", score=3,
            pressed_at=2, ticket_id="20261201-000001", outcome="recorded"))
    old.dispose()
    assert revisions(create_engine(archive_url))[0] is None  # no migration has run on it yet

    sql = open_archive(archive_url)
    current, head = revisions(sql)
    assert current == head
    assert drift(sql) == []
    with sql.connect() as conn:
        assert conn.execute(select(archive_schema.tickets.c.label)).scalars().all() == ["1001"]
        assert conn.execute(select(func.count()).select_from(archive_schema.ratings)).scalar() == 1
    sql.dispose()


def test_a_new_archive_is_made_by_the_migrations_and_matches_the_model(archive_url):
    sql = open_archive(archive_url)
    assert revisions(sql)[0] == revisions(sql)[1]
    assert drift(sql) == []
    sql.dispose()


def test_servers_opening_a_new_archive_together_migrate_it_once(archive_url):
    """Six server processes start at the same instant on an empty archive, three times over:
    each must find every table when its open returns (one migrates, the others wait for it).
    Before, on SQLite, a process could find the first table made by another, take the archive
    for a first-release one and go on with tables still missing."""
    opener = ("import sys, time; from sqlalchemy import inspect; from server.history.archive_schema import "
              "open_archive; time.sleep(max(0.0, float(sys.argv[2]) - time.time())); sql = open_archive(sys.argv[1]); "
              "print(sorted(inspect(sql).get_table_names())); sql.dispose()")
    expected = str(sorted(["alembic_version", *archive_schema.metadata.tables]))
    for round_no in range(3):
        url = archive_url if round_no == 0 else _another(archive_url, round_no)
        start = str(time.time() + 2.0)
        procs = [subprocess.Popen([sys.executable, "-c", opener, url, start], cwd=ROOT, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(6)]
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
            assert out.strip() == expected, (round_no, out, err[-500:])
    # Threads of one process too (requests asking for the archive at once).
    errors: list[BaseException] = []

    def start() -> None:
        try:
            open_archive(archive_url).dispose()
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=start) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors, errors
    sql = create_engine(archive_url)
    with sql.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1
    assert drift(sql) == []
    sql.dispose()


def _another(url: str, n: int) -> str:
    """A second empty archive beside ``url`` (SQLite: another file; PostgreSQL: the same
    database after dropping what the last round made)."""
    if url.startswith("sqlite"):
        return url.replace(".sqlite", f"-{n}.sqlite")
    sql = create_engine(url)
    with sql.begin() as conn:
        for table in ("alembic_version", *archive_schema.metadata.tables):
            conn.exec_driver_sql(f"DROP TABLE IF EXISTS {table}")
    sql.dispose()
    return url


def test_the_archive_db_command_says_where_the_archive_stands_and_upgrades_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'archive.sqlite'}"
    old = create_engine(url)
    archive_v1.metadata.create_all(old)
    old.dispose()
    doc = yaml.safe_load((ROOT / "config.yaml").read_text(encoding="utf-8"))
    doc["archive"] = {"url": url}
    for site in doc["sites"]:
        site.pop("catalogue", None)  # a path relative to the shipped config
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    show = subprocess.run([sys.executable, "-m", "server.cli", "archive-db", "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert show.returncode == 0, show.stderr
    assert "the first release" in show.stdout and "qms archive-db --upgrade" in show.stdout, show.stdout
    up = subprocess.run([sys.executable, "-m", "server.cli", "archive-db", "--config", str(config), "--upgrade"],
                        cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert up.returncode == 0, up.stderr
    assert "up to date" in up.stdout
    assert drift(create_engine(url)) == []
