"""Which standardizer a prepared master was built with.

A prepared master holds standardized names and addresses; if the standardizer changes, a
master prepared by the old one would compare old forms with new ones. So the prepared
master's key carries :data:`STANDARDIZER_VERSION` and a fingerprint of the standardizer's
code and data tables (``matchgate/standardize``): a change to either makes a new key, and a
batch prepares the master again instead of reusing stale forms.

:data:`STANDARDIZER_FINGERPRINT` records the fingerprint the version was set for; a test
fails when the code or data changes without the two being updated together
(``tests/master/test_version.py`` prints the new fingerprint).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib import resources

__all__ = ["STANDARDIZER_FINGERPRINT", "STANDARDIZER_VERSION", "standardizer_fingerprint"]

# Change this whenever standardization changes (and update the fingerprint below).
STANDARDIZER_VERSION = "7"
STANDARDIZER_FINGERPRINT = "eb38903604ac7503f368d2ebb3154c28400d87c83c0256e766eea0b964c2d6c3"

# Features built from the standardized values (matchgate.match.features) are part of what
# is prepared too; bump this when their SQL or their columns change.
FEATURES_VERSION = "4"


@cache
def standardizer_fingerprint() -> str:
    """SHA-256 over every source file and data table of ``matchgate.standardize`` (by
    relative path, in order); the data folder's README is documentation and left out."""
    digest = hashlib.sha256()
    root = resources.files("matchgate.standardize")
    entries = []
    for entry in root.iterdir():
        if entry.is_file() and entry.name.endswith(".py"):
            entries.append((entry.name, entry))
    data = root.joinpath("data")
    for entry in data.iterdir():
        if entry.is_file() and entry.name != "README.md":
            entries.append((f"data/{entry.name}", entry))
    for name, entry in sorted(entries, key=lambda item: item[0]):
        digest.update(name.encode())
        digest.update(b"\0")
        digest.update(entry.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()
