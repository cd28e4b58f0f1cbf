"""The prepared master: the master file standardized once, shared by every batch and look-up.

``prepare`` builds it in ``WORKSPACE/master/<key>/`` (``store`` describes the layout),
``add_year`` extends it with a new tax year's filings, ``status`` says what is prepared; a
batch ATTACHes it read-only (:func:`attach_prepared`) instead of standardizing the master
itself, and the match model is trained once per prepared master.
"""

from matchgate.master.build import add_year, ensure_prepared, locate, prepare
from matchgate.master.status import master_status
from matchgate.master.store import (
    PreparedMaster,
    PreparedMasterError,
    attach_prepared,
    open_prepared,
)
from matchgate.master.version import STANDARDIZER_VERSION, standardizer_fingerprint

__all__ = [
    "STANDARDIZER_VERSION",
    "PreparedMaster",
    "PreparedMasterError",
    "add_year",
    "attach_prepared",
    "ensure_prepared",
    "locate",
    "master_status",
    "open_prepared",
    "prepare",
    "standardizer_fingerprint",
]
