"""The agency registry as matchgate made it before migrations (``WORKSPACE/agencies.sqlite``):
agencies, their keys, the append-only registry_events, registry_meta.

Revision ID: registry_0001
Revises: (none: the base of the registry branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "registry_0001"
down_revision = None
branch_labels = ("registry",)
depends_on = None

_MESSAGE = "registry events are append-only"


def _triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION matchgate_registry_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$""",
            """CREATE OR REPLACE TRIGGER registry_events_no_update_delete
            BEFORE UPDATE OR DELETE ON registry_events
            FOR EACH ROW EXECUTE FUNCTION matchgate_registry_append_only()""",
            """CREATE OR REPLACE TRIGGER registry_events_no_truncate
            BEFORE TRUNCATE ON registry_events
            FOR EACH STATEMENT EXECUTE FUNCTION matchgate_registry_append_only()""",
        ]
    # The names and message the registry's SQLite triggers had before migrations.
    return [
        f"""CREATE TRIGGER IF NOT EXISTS registry_events_no_{action}
        BEFORE {action.upper()} ON registry_events
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"""
        for action in ("update", "delete")
    ]


def upgrade() -> None:
    op.create_table(
        "agencies",
        sa.Column("code", sa.String(32), primary_key=True),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.Column("updated_by", sa.Text, nullable=False),
    )
    op.create_table(
        "agency_keys",
        sa.Column("public_key_sha256", sa.String(64), primary_key=True),
        sa.Column("agency_code", sa.String(32), nullable=False),
        sa.Column("public_key_pem", sa.Text, nullable=False),
        sa.Column("registered_at", sa.String(32), nullable=False),
        sa.Column("registered_by", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
        sa.Column("revoked_by", sa.Text, nullable=True),
        sa.Column("revoked_reason", sa.Text, nullable=True),
    )
    op.create_table(
        "registry_events",
        sa.Column("event_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("agency_code", sa.String(32), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "registry_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    # Who may ask and who changed that is part of the office's record: never dropped.
    raise NotImplementedError("the agency registry's tables are never dropped by a migration")
