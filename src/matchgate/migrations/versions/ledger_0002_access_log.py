"""The access log: who read which taxpayer data, hash-chained and append-only.

Revision ID: ledger_0002
Revises: ledger_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ledger_0002"
down_revision = "ledger_0001"
branch_labels = None
depends_on = None

_MESSAGE = "the access log is append-only"
_TABLES = ("ledger_access", "ledger_access_tins")


def _triggers(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            f"""CREATE OR REPLACE FUNCTION matchgate_access_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$""",
            *(
                statement
                for table in _TABLES
                for statement in (
                    f"""CREATE OR REPLACE TRIGGER {table}_no_update_delete
                    BEFORE UPDATE OR DELETE ON {table}
                    FOR EACH ROW EXECUTE FUNCTION matchgate_access_append_only()""",
                    f"""CREATE OR REPLACE TRIGGER {table}_no_truncate
                    BEFORE TRUNCATE ON {table}
                    FOR EACH STATEMENT EXECUTE FUNCTION matchgate_access_append_only()""",
                )
            ),
        ]
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{action}
        BEFORE {action.upper()} ON {table}
        BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"""
        for table in _TABLES
        for action in ("update", "delete")
    ]


def upgrade() -> None:
    op.create_table(
        "ledger_access",
        sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("what", sa.String(64), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("batch_id", sa.Text, nullable=True),
        sa.Column("row_number", sa.BigInteger, nullable=True),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_ledger_access_user_time", "ledger_access", ["user_name", "recorded_at"])
    op.create_index("ix_ledger_access_batch", "ledger_access", ["batch_id", "row_number"])
    op.create_index("ix_ledger_access_time", "ledger_access", ["recorded_at"])
    op.create_table(
        "ledger_access_tins",
        sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("tin_hash", sa.String(64), primary_key=True),
    )
    op.create_index("ix_ledger_access_tins_hash", "ledger_access_tins", ["tin_hash", "sequence"])
    for statement in _triggers(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    # Like the entries, the record of who read what is never dropped by a migration.
    raise NotImplementedError("the access log's tables are never dropped by a migration")
