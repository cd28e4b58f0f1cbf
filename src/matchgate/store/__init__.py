"""Where matchgate keeps its records in SQL: one model (:mod:`.schema`), its migrations
(:mod:`.migrate`, ``matchgate db upgrade``)."""

from matchgate.store.migrate import (
    StoreStatus,
    StoreVersionError,
    database_status,
    ensure_current,
    store_status,
    upgrade_database,
    upgrade_store,
    workspace_databases,
)

__all__ = [
    "StoreStatus",
    "StoreVersionError",
    "database_status",
    "ensure_current",
    "store_status",
    "upgrade_database",
    "upgrade_store",
    "workspace_databases",
]
