"""Which step of a dossier a link records: 'receipt' (the code attached at the counter that
received it) or 'pickup' (the ticket of a visitor collecting its result, issued by scanning the
receipt at the kiosk), so the one-stop software reads both services' times and ratings.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dossiers") as batch:
        batch.add_column(sa.Column("stage", sa.String(8), nullable=False, server_default="receipt"))
    op.create_index("ix_dossiers_site_code", "dossiers", ["site", "code"])


def downgrade() -> None:
    op.drop_index("ix_dossiers_site_code", table_name="dossiers")
    with op.batch_alter_table("dossiers") as batch:
        batch.drop_column("stage")
