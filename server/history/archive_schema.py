"""The SQL archive: years of history, queried by reports (SQLAlchemy Core; SQLite by default,
PostgreSQL when several servers share it).

``events`` keeps every stream entry as it was; the other tables are projections of them
(one row per ticket, per service segment at a counter, per rating press, per pause).
"""
from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
import time
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    create_engine,
    event,
    inspect,
    text,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError

logger = logging.getLogger(__name__)

metadata = MetaData()

events = Table(
    "events", metadata,
    Column("site", String(32), nullable=False),
    Column("stream_id", String(40), nullable=False),
    Column("seq", BigInteger, nullable=False),
    Column("type", String(40), nullable=False),
    Column("ts", BigInteger, nullable=False),
    Column("data", Text, nullable=False),
    PrimaryKeyConstraint("site", "stream_id"),
    Index("ix_events_site_ts", "site", "ts"),
)

tickets = Table(
    "tickets", metadata,
    Column("site", String(32), nullable=False),
    Column("id", String(40), nullable=False),
    Column("day", String(8), nullable=False),
    Column("number", Integer, nullable=False),
    Column("label", String(16), nullable=False),
    Column("field_issued", String(16), nullable=False),
    Column("field", String(16), nullable=False),
    Column("category", String(32)),
    Column("issued_at", BigInteger, nullable=False),
    Column("issued_by", String(80)),
    Column("state", String(16), nullable=False),
    Column("reason", String(200)),
    Column("counter", Integer),
    Column("officer", String(64)),
    Column("recalls", Integer, nullable=False, default=0),
    Column("transfers", Integer, nullable=False, default=0),
    Column("finished_at", BigInteger),
    Column("rating_level", Integer),
    PrimaryKeyConstraint("site", "id"),
    Index("ix_tickets_site_issued", "site", "issued_at"),
)

services = Table(  # one call of a ticket to a counter, until done / transferred / no-show
    "services", metadata,
    Column("site", String(32), nullable=False),
    Column("ticket_id", String(40), nullable=False),
    Column("seq_no", Integer, nullable=False),
    Column("field", String(16), nullable=False),
    Column("category", String(32)),
    Column("counter", Integer, nullable=False),
    Column("officer", String(64)),
    Column("wait_from", BigInteger, nullable=False),
    Column("called_at", BigInteger, nullable=False),
    Column("started_at", BigInteger),
    Column("ended_at", BigInteger),
    Column("outcome", String(16), nullable=False),   # open, done, transferred, no_show, expired
    Column("recalls", Integer, nullable=False, default=0),
    PrimaryKeyConstraint("site", "ticket_id", "seq_no"),
    Index("ix_services_site_called", "site", "called_at"),
)

ratings = Table(
    "ratings", metadata,
    Column("site", String(32), nullable=False),
    Column("press_id", String(80), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("level", Integer, nullable=False),
    Column("category", String(20), nullable=False),
    Column("score", Integer, nullable=False),
    Column("pressed_at", BigInteger, nullable=False),
    Column("ticket_id", String(40)),
    Column("officer", String(64)),
    Column("field", String(16)),
    Column("outcome", String(16), nullable=False),   # recorded, repeat_ignored, unattributed
    Column("device", String(64)),
    PrimaryKeyConstraint("site", "press_id"),
    Index("ix_ratings_site_pressed", "site", "pressed_at"),
)

pauses = Table(
    "pauses", metadata,
    Column("site", String(32), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("paused_at", BigInteger, nullable=False),
    Column("resumed_at", BigInteger),
    Column("reason", String(200)),
    Column("officer", String(64)),
    PrimaryKeyConstraint("site", "counter", "paused_at"),
)


dossiers = Table(  # a dossier code (mã hồ sơ) attached to a ticket at a counter (the one-stop software's link)
    "dossiers", metadata,
    Column("site", String(32), nullable=False),
    Column("code", String(64), nullable=False),
    Column("ticket_id", String(40), nullable=False),
    Column("attached_at", BigInteger, nullable=False),
    Column("counter", Integer, nullable=False),
    Column("officer", String(80)),
    # receipt: attached at the counter that received it; pickup: the visitor collecting its result
    Column("stage", String(8), nullable=False, server_default="receipt"),
    PrimaryKeyConstraint("site", "code", "ticket_id"),
    Index("ix_dossiers_site_attached", "site", "attached_at"),
    Index("ix_dossiers_site_code", "site", "code"),
)


free_spans = Table(  # a counter open with nobody at it: from free to the call, pause or close that ended it
    "free_spans", metadata,
    Column("site", String(32), nullable=False),
    Column("counter", Integer, nullable=False),
    Column("began", BigInteger, nullable=False),
    Column("ended", BigInteger, nullable=False),
    Column("officer", String(64)),
    Column("ended_by", String(16), nullable=False),   # call, pause, close, day_closed
    PrimaryKeyConstraint("site", "counter", "began"),
    Index("ix_free_spans_site_ended", "site", "ended"),
)


appointments = Table(  # a booking: its slot, and whether it was kept, late, cancelled (still booked after: missed)
    "appointments", metadata,
    Column("site", String(32), nullable=False),
    Column("day", String(10), nullable=False),          # the slot's day, YYYY-MM-DD
    Column("code", String(8), nullable=False),
    Column("field", String(16), nullable=False),
    Column("slot_start", BigInteger, nullable=False),
    Column("status", String(12), nullable=False),       # booked, checked_in, late, cancelled
    Column("remote", Boolean, nullable=False),          # booked from a phone (else at a kiosk)
    Column("booked_at", BigInteger, nullable=False),
    Column("cancelled_at", BigInteger),
    Column("checked_in_at", BigInteger),
    Column("ticket_id", String(40)),
    PrimaryKeyConstraint("site", "day", "code"),
    Index("ix_appointments_site_slot", "site", "slot_start"),
)

daily_stats = Table(  # reports' pre-aggregated rows: one per site, day (or whole month), grouping and key
    "daily_stats", metadata,
    Column("site", String(32), nullable=False),
    Column("grain", String(5), nullable=False),        # day, month
    Column("start", String(10), nullable=False),       # YYYY-MM-DD: the day, or the month's first day
    Column("dim", String(10), nullable=False),         # total, field, counter, officer, priority, hour
    Column("key", String(64), nullable=False),
    *(Column(name, Integer, nullable=False, default=0) for name in (
        "issued", "served", "no_show", "transferred", "cancelled", "unserved_at_close", "calls",
        "calls_on_target", "very_satisfied", "satisfied", "dissatisfied", "unattributed", "repeat_ignored")),
    *(Column(f"{kind}_{unit}", BigInteger, nullable=False, default=0)
      for kind in ("waiting", "walking", "service", "done_service") for unit in ("n", "ms")),
    Column("levels", Text, nullable=False),            # JSON {level: presses}
    Column("bins", Text, nullable=False),              # JSON {waiting|...: [first bin, its count, the next's...]}
    PrimaryKeyConstraint("site", "grain", "start", "dim", "key"),
)

rollup_progress = Table(  # the last day whose rows are final and rolled up, per site
    "rollup_progress", metadata,
    Column("site", String(32), nullable=False),
    Column("rolled_through", String(10), nullable=False),
    PrimaryKeyConstraint("site"),
)

people = Table(  # the live officers of each site (live administration): config.yaml's until the first change
    "people", metadata,
    Column("site", String(32), nullable=False),
    Column("username", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("counters", Text, nullable=False),        # JSON list of counter numbers
    Column("password_hash", String(300), nullable=False),
    Column("disabled", Integer, nullable=False),
    Column("changed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("site", "username"),
)

site_clients = Table(  # the live kiosks, displays and agents of each site: config.yaml's until the first change
    "site_clients", metadata,
    Column("site", String(32), nullable=False),
    Column("kind", String(8), nullable=False),          # kiosk, display, agent
    Column("id", String(32), nullable=False),
    Column("entry", Text, nullable=False),              # JSON: as config.yaml writes it, token_sha256 only
    Column("changed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("site", "kind", "id"),
)

province_people = Table(  # the province's admins and leaders, live: config.yaml's until the first change
    "province_people", metadata,
    Column("username", String(32), nullable=False),
    Column("name", String(200), nullable=False),
    Column("role", String(16), nullable=False),
    Column("sites", Text, nullable=False),           # JSON list of site ids (a leader's)
    Column("password_hash", String(300), nullable=False),
    Column("disabled", Integer, nullable=False),
    Column("changed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("username"),
)

site_settings = Table(  # a site's settings changed live, e.g. "hours": opening hours and days off (JSON)
    "site_settings", metadata,
    Column("site", String(32), nullable=False),
    Column("name", String(32), nullable=False),
    Column("value", Text, nullable=False),
    Column("changed_at", BigInteger, nullable=False),
    PrimaryKeyConstraint("site", "name"),
)

audit_log = Table(  # every administrative change: who, what, when (never a password or its hash)
    "audit_log", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("site", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),        # ms since the epoch
    Column("actor", String(64), nullable=False),
    Column("action", String(40), nullable=False),
    Column("target", String(64), nullable=False),
    Column("details", Text, nullable=False),         # JSON
    Index("ix_audit_log_site_at", "site", "at"),
)


FIRST_RELEASE = "0001"  # the revision a database made by create_all (before migrations) has
_MIGRATION_LOCK = 7_263_100_001  # PostgreSQL advisory lock: one server migrates at a time
_IN_PROCESS = threading.Lock()   # Alembic's op/context are module globals: one migration per process


def _alembic_config(connection):
    from alembic.config import Config as AlembicConfig

    cfg = AlembicConfig()
    cfg.set_main_option("script_location", "server:migrations")
    cfg.attributes["connection"] = connection
    return cfg


def revisions(sql: Engine) -> tuple[str | None, str]:
    """(the archive's revision, the newest this code knows)."""
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory

    with sql.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(_alembic_config(conn)).get_current_head()
    return current, head or FIRST_RELEASE


@contextlib.contextmanager
def _sqlite_file_lock(sql: Engine):
    """On SQLite, one process migrates at a time: its DDL is not transactional through
    pysqlite, so another process could see the first table made and take the archive for a
    first-release one with the rest still missing. A lock file beside the database."""
    database = sql.url.database if sql.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{database}.migrate-lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def migrate(sql: Engine) -> str | None:
    """Bring the archive to the newest revision; returns the revision it had before. A
    database from before migrations (its tables, no alembic_version) counts as the first
    release's. Several servers may call this at once."""
    from alembic import command
    from alembic.runtime.migration import MigrationContext

    with _IN_PROCESS, _sqlite_file_lock(sql), sql.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _MIGRATION_LOCK})
        before = MigrationContext.configure(conn).get_current_revision()
        cfg = _alembic_config(conn)
        if before is None and inspect(conn).has_table("events"):
            command.stamp(cfg, FIRST_RELEASE)
            before = FIRST_RELEASE
        command.upgrade(cfg, "head")
        after = MigrationContext.configure(conn).get_current_revision()
    if after != before:
        logger.info("archive migrated from %s to %s", before or "nothing", after)
    return before


def open_archive(url: str) -> Engine:
    """Connect to the archive and bring its tables to the newest revision."""
    sql = create_engine(url, future=True, pool_pre_ping=True)
    if sql.dialect.name == "sqlite":
        if sql.url.database and sql.url.database != ":memory:":
            Path(sql.url.database).parent.mkdir(parents=True, exist_ok=True)
        @event.listens_for(sql, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()
    for attempt in range(10):
        try:
            migrate(sql)
            break
        except (OperationalError, ProgrammingError, IntegrityError):
            # Several servers starting together race to create the tables: look again.
            if attempt == 9:
                raise
            time.sleep(0.2)
    return sql
