"""The ledger as matchgate made it before migrations: entries (append-only), disclosures, meta.

Revision ID: ledger_0001
Revises: (none: the base of the ledger branch)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "ledger_0001"
down_revision = None
branch_labels = ("ledger",)
depends_on = None

_MESSAGE = "ledger entries are append-only"

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update
    BEFORE UPDATE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete
    BEFORE DELETE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END""",
]
_POSTGRES_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION matchgate_ledger_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$""",
    """CREATE OR REPLACE TRIGGER ledger_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION matchgate_ledger_append_only()""",
    """CREATE OR REPLACE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION matchgate_ledger_append_only()""",
]


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("sequence", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("entry_id", sa.String(36), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
        sa.Column("previous_hash", sa.String(64), nullable=False),
        sa.Column("entry_hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_ledger_entries_kind", "ledger_entries", ["kind", "sequence"])
    op.create_table(
        "ledger_disclosures",
        sa.Column("disclosure_id", sa.Text, primary_key=True),
        sa.Column("sequence", sa.BigInteger, nullable=False),
        sa.Column("tin", sa.Text, nullable=False),
        sa.Column("agency", sa.Text, nullable=False),
        sa.Column("agency_code", sa.Text, nullable=False),
        sa.Column("recipients", sa.Text, nullable=False),
        sa.Column("statute", sa.Text, nullable=False),
        sa.Column("case_number", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("disclosed_at", sa.String(32), nullable=False),
        sa.Column("batch_id", sa.Text, nullable=False),
        sa.Column("row_number", sa.Integer, nullable=False),
        sa.Column("request_id", sa.Text, nullable=False),
        sa.Column("disclosed_street", sa.Text, nullable=False),
        sa.Column("disclosed_city", sa.Text, nullable=False),
        sa.Column("disclosed_state", sa.Text, nullable=False),
        sa.Column("disclosed_zip", sa.Text, nullable=False),
        sa.Column("tax_year", sa.Text, nullable=False),
        sa.Column("match_probability", sa.Float, nullable=True),
        sa.Column("retracted_at", sa.String(32), nullable=True),
        sa.Column("retraction_sequence", sa.BigInteger, nullable=True),
        sa.Column("retraction_reason", sa.Text, nullable=True),
    )
    op.create_index("ix_ledger_disclosures_tin", "ledger_disclosures", ["tin"])
    op.create_index(
        "ix_ledger_disclosures_agency_time", "ledger_disclosures", ["agency", "disclosed_at"]
    )
    op.create_index("ix_ledger_disclosures_time", "ledger_disclosures", ["disclosed_at"])
    op.create_table(
        "ledger_meta",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    dialect = op.get_bind().dialect.name
    for statement in _POSTGRES_TRIGGERS if dialect == "postgresql" else _SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    # The ledger is the record of every disclosure: no migration ever drops it.
    raise NotImplementedError("the ledger's tables are never dropped by a migration")
