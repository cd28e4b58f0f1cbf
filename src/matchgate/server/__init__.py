"""``matchgate serve``: the HTTP API and the reviewer's web pages over one workspace.

Routes and pages call the same library functions as the command line
(:func:`matchgate.batch.pipeline.run_batch`, :class:`matchgate.ledger.Ledger`); errors become
status codes in :mod:`matchgate.server.error_handlers` only.
"""

from matchgate.server.app import create_app
from matchgate.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
