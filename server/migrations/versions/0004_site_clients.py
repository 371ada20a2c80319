"""Live administration of each site's kiosks, lobby displays and device agents (their settings
and the SHA-256 of their token: a token made live is shown once and never kept), and of the
province's admins and leaders.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

A site has no rows until its first change of a device: until then its devices are
config.yaml's, which that change copies here, tokens as their digests (server/config/clients.py).
The province's people likewise (server/config/people.py).
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_clients",
        sa.Column("site", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("changed_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("site", "kind", "id"),
    )
    op.create_table(
        "province_people",
        sa.Column("username", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("sites", sa.Text, nullable=False),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("disabled", sa.Integer, nullable=False),
        sa.Column("changed_at", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("username"),
    )


def downgrade() -> None:
    op.drop_table("province_people")
    op.drop_table("site_clients")
