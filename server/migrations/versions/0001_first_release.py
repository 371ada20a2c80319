"""The archive as the first release made it (with create_all): events and their projections.

Revision ID: 0001
Revises:
Create Date: 2026-12-03

A database made by that release has these tables and no alembic_version: it is stamped at
this revision when first opened, then upgraded like any other.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "events",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("stream_id", sa.String(40), nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("site", "stream_id"),
    )
    op.create_index("ix_events_site_ts", "events", ["site", "ts"])
    op.create_table(
        "tickets",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("day", sa.String(8), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("label", sa.String(16), nullable=False),
        sa.Column("field_issued", sa.String(16), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32)),
        sa.Column("issued_at", sa.BigInteger, nullable=False),
        sa.Column("issued_by", sa.String(80)),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(200)),
        sa.Column("counter", sa.Integer),
        sa.Column("officer", sa.String(64)),
        sa.Column("recalls", sa.Integer, nullable=False),
        sa.Column("transfers", sa.Integer, nullable=False),
        sa.Column("finished_at", sa.BigInteger),
        sa.Column("rating_level", sa.Integer),
        sa.PrimaryKeyConstraint("site", "id"),
    )
    op.create_index("ix_tickets_site_issued", "tickets", ["site", "issued_at"])
    op.create_table(
        "services",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("ticket_id", sa.String(40), nullable=False),
        sa.Column("seq_no", sa.Integer, nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("category", sa.String(32)),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("officer", sa.String(64)),
        sa.Column("wait_from", sa.BigInteger, nullable=False),
        sa.Column("called_at", sa.BigInteger, nullable=False),
        sa.Column("started_at", sa.BigInteger),
        sa.Column("ended_at", sa.BigInteger),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("recalls", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("site", "ticket_id", "seq_no"),
    )
    op.create_index("ix_services_site_called", "services", ["site", "called_at"])
    op.create_table(
        "ratings",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("press_id", sa.String(80), nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("pressed_at", sa.BigInteger, nullable=False),
        sa.Column("ticket_id", sa.String(40)),
        sa.Column("officer", sa.String(64)),
        sa.Column("field", sa.String(16)),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("device", sa.String(64)),
        sa.PrimaryKeyConstraint("site", "press_id"),
    )
    op.create_index("ix_ratings_site_pressed", "ratings", ["site", "pressed_at"])
    op.create_table(
        "pauses",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("paused_at", sa.BigInteger, nullable=False),
        sa.Column("resumed_at", sa.BigInteger),
        sa.Column("reason", sa.String(200)),
        sa.Column("officer", sa.String(64)),
        sa.PrimaryKeyConstraint("site", "counter", "paused_at"),
    )


def downgrade() -> None:
    for table in ("pauses", "ratings", "services", "tickets", "events"):
        op.drop_table(table)
