"""Appointments: one row per booking (its slot, who booked it, and whether it was kept, late,
cancelled or, still booked after its time, missed), for the reports' no-shows.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointments",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("code", sa.String(8), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("slot_start", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("remote", sa.Boolean, nullable=False),
        sa.Column("booked_at", sa.BigInteger, nullable=False),
        sa.Column("cancelled_at", sa.BigInteger),
        sa.Column("checked_in_at", sa.BigInteger),
        sa.Column("ticket_id", sa.String(40)),
        sa.PrimaryKeyConstraint("site", "day", "code"),
    )
    op.create_index("ix_appointments_site_slot", "appointments", ["site", "slot_start"])


def downgrade() -> None:
    op.drop_index("ix_appointments_site_slot", table_name="appointments")
    op.drop_table("appointments")
