"""Every table matchgate keeps in a SQL database, declared once, in one SQLAlchemy model.

Each table says which *store* it belongs to in ``info["store"]`` (and a table a later
migration added, the revision that did in ``info["since"]``):

  ledger     ledger_entries, ledger_disclosures, ledger_meta, ledger_access,
             ledger_access_tins (``WORKSPACE/ledger.sqlite``)
  accounts   account_users, account_tokens, account_sessions, account_events
             (``WORKSPACE/accounts.sqlite``)
  registry   agencies, agency_keys, registry_events, registry_meta
             (``WORKSPACE/agencies.sqlite``; :mod:`matchgate.review.registry`)
  lookups    lookup_records (``WORKSPACE/lookups.sqlite``; :mod:`matchgate.lookups.store`)

In the embedded default each store is its own SQLite file in the workspace; on a server every
store lives in one PostgreSQL database. The Alembic migrations (``matchgate/migrations``)
create and change these tables; one migration branch per store, named after it, so a SQLite
file carries only its own store's revision and a PostgreSQL database carries all of them.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

__all__ = [
    "ACCOUNTS",
    "LEDGER",
    "LOOKUPS",
    "REGISTRY",
    "STORES",
    "account_events",
    "account_sessions",
    "account_tokens",
    "account_users",
    "agencies",
    "agency_keys",
    "ledger_access",
    "ledger_access_tins",
    "ledger_disclosures",
    "ledger_entries",
    "ledger_meta",
    "lookup_records",
    "metadata",
    "registry_events",
    "registry_meta",
    "tables_of",
]

LEDGER = "ledger"
ACCOUNTS = "accounts"
REGISTRY = "registry"
LOOKUPS = "lookups"
STORES = (LEDGER, ACCOUNTS, REGISTRY, LOOKUPS)

metadata = MetaData()

# -- the ledger ---------------------------------------------------------------------------

ledger_entries = Table(
    "ledger_entries",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("entry_id", String(36), nullable=False, unique=True),
    Column("kind", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("recorded_at", String(32), nullable=False),
    Column("payload", Text, nullable=False),
    Column("idempotency_key", Text, nullable=False, unique=True),
    Column("previous_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False),
    Index("ix_ledger_entries_kind", "kind", "sequence"),
    info={"store": LEDGER},
)

ledger_disclosures = Table(
    "ledger_disclosures",
    metadata,
    Column("disclosure_id", Text, primary_key=True),
    Column("sequence", BigInteger, nullable=False),
    Column("tin", Text, nullable=False),
    Column("agency", Text, nullable=False),
    Column("agency_code", Text, nullable=False),
    Column("recipients", Text, nullable=False),
    Column("statute", Text, nullable=False),
    Column("case_number", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("disclosed_at", String(32), nullable=False),
    Column("batch_id", Text, nullable=False),
    Column("row_number", Integer, nullable=False),
    Column("request_id", Text, nullable=False),
    Column("disclosed_street", Text, nullable=False),
    Column("disclosed_city", Text, nullable=False),
    Column("disclosed_state", Text, nullable=False),
    Column("disclosed_zip", Text, nullable=False),
    Column("tax_year", Text, nullable=False),
    Column("match_probability", Float, nullable=True),
    Column("retracted_at", String(32), nullable=True),
    Column("retraction_sequence", BigInteger, nullable=True),
    Column("retraction_reason", Text, nullable=True),
    Index("ix_ledger_disclosures_tin", "tin"),
    Index("ix_ledger_disclosures_agency_time", "agency", "disclosed_at"),
    Index("ix_ledger_disclosures_time", "disclosed_at"),
    info={"store": LEDGER},
)

ledger_meta = Table(
    "ledger_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    info={"store": LEDGER},
)

# The access log: who read which taxpayer data (matchgate.ledger._access), a hash chain of
# its own, append-only like the entries; ledger_access_tins indexes it by keyed TIN hash.
ledger_access = Table(
    "ledger_access",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("recorded_at", String(32), nullable=False),
    Column("user_name", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("what", String(64), nullable=False),
    Column("outcome", String(16), nullable=False),
    Column("batch_id", Text, nullable=True),
    Column("row_number", BigInteger, nullable=True),
    Column("content", Text, nullable=False),
    Column("previous_hash", String(64), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Index("ix_ledger_access_user_time", "user_name", "recorded_at"),
    Index("ix_ledger_access_batch", "batch_id", "row_number"),
    Index("ix_ledger_access_time", "recorded_at"),
    info={"store": LEDGER, "since": "ledger_0002"},
)

ledger_access_tins = Table(
    "ledger_access_tins",
    metadata,
    Column("sequence", BigInteger, primary_key=True, autoincrement=False),
    Column("tin_hash", String(64), primary_key=True),
    Index("ix_ledger_access_tins_hash", "tin_hash", "sequence"),
    info={"store": LEDGER, "since": "ledger_0002"},
)

# -- users, tokens, web sessions ----------------------------------------------------------

account_users = Table(
    "account_users",
    metadata,
    Column("user_id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False, unique=True),
    Column("role", String(16), nullable=False),
    Column("agency_code", String(32), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Column("revoked_by", Text, nullable=True),
    info={"store": ACCOUNTS},
)

account_tokens = Table(
    "account_tokens",
    metadata,
    Column("token_id", String(16), primary_key=True),
    Column("user_id", Integer, ForeignKey("account_users.user_id"), nullable=False),
    Column("secret_hash", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
    Index("ix_account_tokens_user", "user_id"),
    info={"store": ACCOUNTS},
)

account_sessions = Table(
    "account_sessions",
    metadata,
    Column("session_sha256", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("account_users.user_id"), nullable=False),
    Column("token_id", String(16), ForeignKey("account_tokens.token_id"), nullable=False),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("ended_at", DateTime(timezone=True), nullable=True),
    Index("ix_account_sessions_user", "user_id"),
    info={"store": ACCOUNTS},
)

account_events = Table(
    "account_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("user_name", String(64), nullable=False),
    Column("detail", Text, nullable=False),
    info={"store": ACCOUNTS},
)

# -- the agency registry (matchgate.review.registry) ------------------------------------
# Who may ask, who signs for them and with which keys; registry_events (append-only, by
# triggers) says who changed what, and registry_meta notes that the packaged seed was copied.

agencies = Table(
    "agencies",
    metadata,
    Column("code", String(32), primary_key=True),
    Column("entry", Text, nullable=False),
    Column("updated_at", String(32), nullable=False),
    Column("updated_by", Text, nullable=False),
    info={"store": REGISTRY},
)

agency_keys = Table(
    "agency_keys",
    metadata,
    Column("public_key_sha256", String(64), primary_key=True),
    Column("agency_code", String(32), nullable=False),
    Column("public_key_pem", Text, nullable=False),
    Column("registered_at", String(32), nullable=False),
    Column("registered_by", Text, nullable=False),
    Column("revoked_at", String(32), nullable=True),
    Column("revoked_by", Text, nullable=True),
    Column("revoked_reason", Text, nullable=True),
    info={"store": REGISTRY},
)

registry_events = Table(
    "registry_events",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=True),
    Column("at", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(32), nullable=False),
    Column("agency_code", String(32), nullable=False),
    Column("detail", Text, nullable=False),
    info={"store": REGISTRY},
)

registry_meta = Table(
    "registry_meta",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),
    info={"store": REGISTRY},
)

# -- look-ups (matchgate.lookups.store) -------------------------------------------------
# One row per look-up of a letter, numbered 1, 2, ... per letter: the request, its answer and
# its ledger entries, written before the ledger has them and marked recorded after.

lookup_records = Table(
    "lookup_records",
    metadata,
    Column("letter_id", String(16), primary_key=True),
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("day", String(10), nullable=False),
    Column("request_sha256", String(64), nullable=False),
    Column("request_json", Text, nullable=False),
    Column("actor", Text, nullable=False),
    Column("outcome", String(32), nullable=False),
    Column("counted", Integer, nullable=False),
    Column("response_json", Text, nullable=False),
    Column("entries_json", Text, nullable=False),
    Column("recorded", Integer, nullable=False),
    Index("ix_lookup_records_request", "letter_id", "day", "request_sha256", unique=True),
    Index("ix_lookup_records_unrecorded", "letter_id", "recorded"),
    info={"store": LOOKUPS},
)


def tables_of(store: str) -> list[Table]:
    """The tables of one store, in the order they can be created."""
    if store not in STORES:
        raise ValueError(f"no store {store!r} (stores: {', '.join(STORES)})")
    return [t for t in metadata.sorted_tables if t.info.get("store") == store]
