"""The archive's tables exactly as the first release made them (metadata.create_all, before
migrations), frozen here: the database a centre upgrading from that release has."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, PrimaryKeyConstraint, String, Table, Text

metadata = MetaData()

Table("events", metadata,
      Column("site", String(32), nullable=False), Column("stream_id", String(40), nullable=False),
      Column("seq", BigInteger, nullable=False), Column("type", String(40), nullable=False),
      Column("ts", BigInteger, nullable=False), Column("data", Text, nullable=False),
      PrimaryKeyConstraint("site", "stream_id"), Index("ix_events_site_ts", "site", "ts"))
Table("tickets", metadata,
      Column("site", String(32), nullable=False), Column("id", String(40), nullable=False),
      Column("day", String(8), nullable=False), Column("number", Integer, nullable=False),
      Column("label", String(16), nullable=False), Column("field_issued", String(16), nullable=False),
      Column("field", String(16), nullable=False), Column("category", String(32)),
      Column("issued_at", BigInteger, nullable=False), Column("issued_by", String(80)),
      Column("state", String(16), nullable=False), Column("reason", String(200)), Column("counter", Integer),
      Column("officer", String(64)), Column("recalls", Integer, nullable=False, default=0),
      Column("transfers", Integer, nullable=False, default=0), Column("finished_at", BigInteger),
      Column("rating_level", Integer),
      PrimaryKeyConstraint("site", "id"), Index("ix_tickets_site_issued", "site", "issued_at"))
Table("services", metadata,
      Column("site", String(32), nullable=False), Column("ticket_id", String(40), nullable=False),
      Column("seq_no", Integer, nullable=False), Column("field", String(16), nullable=False),
      Column("category", String(32)), Column("counter", Integer, nullable=False), Column("officer", String(64)),
      Column("wait_from", BigInteger, nullable=False), Column("called_at", BigInteger, nullable=False),
      Column("started_at", BigInteger), Column("ended_at", BigInteger),
      Column("outcome", String(16), nullable=False), Column("recalls", Integer, nullable=False, default=0),
      PrimaryKeyConstraint("site", "ticket_id", "seq_no"), Index("ix_services_site_called", "site", "called_at"))
Table("ratings", metadata,
      Column("site", String(32), nullable=False), Column("press_id", String(80), nullable=False),
      Column("counter", Integer, nullable=False), Column("level", Integer, nullable=False),
      Column("category", String(20), nullable=False), Column("score", Integer, nullable=False),
      Column("pressed_at", BigInteger, nullable=False), Column("ticket_id", String(40)),
      Column("officer", String(64)), Column("field", String(16)), Column("outcome", String(16), nullable=False),
      Column("device", String(64)),
      PrimaryKeyConstraint("site", "press_id"), Index("ix_ratings_site_pressed", "site", "pressed_at"))
Table("pauses", metadata,
      Column("site", String(32), nullable=False), Column("counter", Integer, nullable=False),
      Column("paused_at", BigInteger, nullable=False), Column("resumed_at", BigInteger),
      Column("reason", String(200)), Column("officer", String(64)),
      PrimaryKeyConstraint("site", "counter", "paused_at"))
