"""The look-up records: one table for every letter's look-ups, keyed by (letter_id, number)
(before, one ``lookups.sqlite`` per letter folder, read into this table on first use).

Revision ID: lookups_0001
Revises: (none: the base of the lookups branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "lookups_0001"
down_revision = None
branch_labels = ("lookups",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lookup_records",
        sa.Column("letter_id", sa.String(16), primary_key=True),
        sa.Column("number", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("request_json", sa.Text, nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("outcome", sa.String(32), nullable=False),
        sa.Column("counted", sa.Integer, nullable=False),
        sa.Column("response_json", sa.Text, nullable=False),
        sa.Column("entries_json", sa.Text, nullable=False),
        sa.Column("recorded", sa.Integer, nullable=False),
    )
    op.create_index(
        "ix_lookup_records_request",
        "lookup_records",
        ["letter_id", "day", "request_sha256"],
        unique=True,
    )
    op.create_index("ix_lookup_records_unrecorded", "lookup_records", ["letter_id", "recorded"])


def downgrade() -> None:
    # A look-up's record is what its answer was; it is never dropped by a migration.
    raise NotImplementedError("the look-up records are never dropped by a migration")
