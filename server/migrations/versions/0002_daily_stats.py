"""Pre-aggregated report rows: a year's report reads a few rows per site, month and key
instead of every ticket.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

The rows are made by the archiver from the projected tickets, services and ratings once a
day is final (server/history/rollup.py); an upgraded archive rolls its history up in the
background, and reports read raw rows for any day not rolled up yet.
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

COUNTS = ("issued", "served", "no_show", "transferred", "cancelled", "unserved_at_close", "calls",
          "calls_on_target", "very_satisfied", "satisfied", "dissatisfied", "unattributed", "repeat_ignored")


def upgrade() -> None:
    op.create_table(
        "daily_stats",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("grain", sa.String(5), nullable=False),
        sa.Column("start", sa.String(10), nullable=False),
        sa.Column("dim", sa.String(10), nullable=False),
        sa.Column("key", sa.String(64), nullable=False),
        *(sa.Column(name, sa.Integer, nullable=False) for name in COUNTS),
        *(sa.Column(f"{kind}_{unit}", sa.BigInteger, nullable=False)
          for kind in ("waiting", "walking", "service", "done_service") for unit in ("n", "ms")),
        sa.Column("levels", sa.Text, nullable=False),
        sa.Column("bins", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("site", "grain", "start", "dim", "key"),
    )
    op.create_table(
        "rollup_progress",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("rolled_through", sa.String(10), nullable=False),
        sa.PrimaryKeyConstraint("site"),
    )


def downgrade() -> None:
    op.drop_table("rollup_progress")
    op.drop_table("daily_stats")
