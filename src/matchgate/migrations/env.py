"""Alembic's environment: always run on a connection :mod:`matchgate.store.migrate` opened.

That connection already holds the migration lock (PostgreSQL: an advisory lock; SQLite:
``BEGIN IMMEDIATE``) and its transaction, so every revision and the version row commit or
roll back together.
"""

from __future__ import annotations

from alembic import context

from matchgate.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - only reached by running alembic by hand
    raise RuntimeError("run matchgate's migrations with `matchgate db upgrade`")

context.configure(connection=connection, target_metadata=metadata)
with context.begin_transaction():
    context.run_migrations()
