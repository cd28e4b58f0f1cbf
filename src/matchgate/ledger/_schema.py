"""Tables of the ledger and the statements that guard them.

``ledger_entries`` is the source of truth and only ever receives INSERTs; triggers make
the database itself refuse UPDATE and DELETE. ``ledger_disclosures`` is a queryable index
derived from the disclosure and retraction entries; ``verify`` rebuilds it from the
entries and compares.
"""

from __future__ import annotations

from matchgate.store import schema as _store

__all__ = [
    "APPEND_ONLY_MESSAGE",
    "FORMAT_VERSION",
    "append_only_triggers",
    "disclosures",
    "drop_append_only_triggers",
    "entries",
    "meta",
    "metadata",
]

FORMAT_VERSION = "1"
APPEND_ONLY_MESSAGE = "ledger entries are append-only"

# Declared once, with every other table, in :mod:`matchgate.store.schema`.
metadata = _store.metadata
entries = _store.ledger_entries
disclosures = _store.ledger_disclosures
meta = _store.ledger_meta

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update
    BEFORE UPDATE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete
    BEFORE DELETE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
]

_POSTGRES_TRIGGERS = [
    f"""CREATE OR REPLACE FUNCTION matchgate_ledger_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}'; END $$""",
    """CREATE OR REPLACE TRIGGER ledger_entries_no_update_delete
    BEFORE UPDATE OR DELETE ON ledger_entries
    FOR EACH ROW EXECUTE FUNCTION matchgate_ledger_append_only()""",
    """CREATE OR REPLACE TRIGGER ledger_entries_no_truncate
    BEFORE TRUNCATE ON ledger_entries
    FOR EACH STATEMENT EXECUTE FUNCTION matchgate_ledger_append_only()""",
]


def append_only_triggers(dialect: str) -> list[str]:
    """DDL that makes the database refuse UPDATE and DELETE on the entries table."""
    if dialect == "sqlite":
        return list(_SQLITE_TRIGGERS)
    if dialect == "postgresql":
        return list(_POSTGRES_TRIGGERS)
    raise ValueError(f"no append-only triggers for the {dialect} dialect")


def drop_append_only_triggers(dialect: str) -> list[str]:
    """DDL that removes the triggers (tests use it to play an attacker with DB access)."""
    if dialect == "sqlite":
        return [
            "DROP TRIGGER IF EXISTS ledger_entries_no_update",
            "DROP TRIGGER IF EXISTS ledger_entries_no_delete",
        ]
    return [
        "DROP TRIGGER IF EXISTS ledger_entries_no_update_delete ON ledger_entries",
        "DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries",
    ]
