"""The spans each counter was open with nobody at it (from when it became free to the call,
pause or close that ended it), for the reports' idle time while visitors waited.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "free_spans",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("counter", sa.Integer, nullable=False),
        sa.Column("began", sa.BigInteger, nullable=False),
        sa.Column("ended", sa.BigInteger, nullable=False),
        sa.Column("officer", sa.String(64)),
        sa.Column("ended_by", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("site", "counter", "began"),
    )
    op.create_index("ix_free_spans_site_ended", "free_spans", ["site", "ended"])


def downgrade() -> None:
    op.drop_index("ix_free_spans_site_ended", table_name="free_spans")
    op.drop_table("free_spans")
