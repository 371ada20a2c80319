"""Dossier codes (mã hồ sơ) attached to tickets at the counters: the link the province's
one-stop software uses to match ratings and times to its dossiers (Decision 766).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dossiers",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("ticket_id", sa.String(40), nullable=False),
        sa.Column("attached_at", sa.BigInteger, nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("officer", sa.String(80)),
        sa.PrimaryKeyConstraint("site", "code", "ticket_id"),
    )
    op.create_index("ix_dossiers_site_attached", "dossiers", ["site", "attached_at"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_site_attached", table_name="dossiers")
    op.drop_table("dossiers")
