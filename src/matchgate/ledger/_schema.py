"""Tables of the ledger and the statements that guard them.

``ledger_entries`` is the source of truth and only ever receives INSERTs; triggers make
the database itself refuse UPDATE and DELETE. ``ledger_disclosures`` is a queryable index
derived from the disclosure and retraction entries; ``verify`` rebuilds it from the
entries and compares. ``ledger_access`` is the access log (who read which taxpayer data,
:mod:`matchgate.ledger._access`), a hash chain of its own, append-only like the entries;
``ledger_access_tins`` indexes its records by keyed TIN hash.
"""

from __future__ import annotations

from matchgate.store import schema as _store

__all__ = [
    "ACCESS_APPEND_ONLY_MESSAGE",
    "APPEND_ONLY_MESSAGE",
    "access_records",
    "access_tins",
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
ACCESS_APPEND_ONLY_MESSAGE = "the access log is append-only"

# Declared once, with every other table, in :mod:`matchgate.store.schema`.
metadata = _store.metadata
entries = _store.ledger_entries
disclosures = _store.ledger_disclosures
meta = _store.ledger_meta

access_records = _store.ledger_access
access_tins = _store.ledger_access_tins

_ACCESS_TABLES = ("ledger_access", "ledger_access_tins")

_SQLITE_TRIGGERS = [
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_update
    BEFORE UPDATE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS ledger_entries_no_delete
    BEFORE DELETE ON ledger_entries
    BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END""",
    *(
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{action}
    BEFORE {action.upper()} ON {table}
    BEGIN SELECT RAISE(ABORT, '{ACCESS_APPEND_ONLY_MESSAGE}'); END"""
        for table in _ACCESS_TABLES
        for action in ("update", "delete")
    ),
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
    f"""CREATE OR REPLACE FUNCTION matchgate_access_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN RAISE EXCEPTION '{ACCESS_APPEND_ONLY_MESSAGE}'; END $$""",
    *(
        statement
        for table in _ACCESS_TABLES
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
            *(
                f"DROP TRIGGER IF EXISTS {table}_no_{action}"
                for table in _ACCESS_TABLES
                for action in ("update", "delete")
            ),
        ]
    return [
        "DROP TRIGGER IF EXISTS ledger_entries_no_update_delete ON ledger_entries",
        "DROP TRIGGER IF EXISTS ledger_entries_no_truncate ON ledger_entries",
        *(
            f"DROP TRIGGER IF EXISTS {table}_no_{kind} ON {table}"
            for table in _ACCESS_TABLES
            for kind in ("update_delete", "truncate")
        ),
    ]
