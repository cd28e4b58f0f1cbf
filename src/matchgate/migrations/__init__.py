"""Alembic migrations of every matchgate table (:mod:`matchgate.store.schema`).

Run through :mod:`matchgate.store.migrate` (``matchgate db upgrade``); there is no
alembic.ini: the configuration is built in code so it works from an installed wheel.
One branch per store (``ledger``, ``accounts``). A new revision of a store names the
store's latest revision as ``down_revision``; write it by hand with ``op`` calls (the
revisions are frozen history: never import the live schema into them).
"""
