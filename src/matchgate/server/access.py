"""Who read which taxpayer data: the hook every read of master-file data calls.

A placeholder protocol: :func:`record_access` does nothing yet. The access log (a separate,
hash-chained log in the ledger database that an auditor reads; IRS Publication 1075's
audit trail) replaces this module with one that writes. Callers already pass what it
needs: the authenticated user, what was read and whose record (``batch/row``).
"""

from __future__ import annotations

from typing import Protocol

from matchgate.accounts import UserInfo

__all__ = ["AccessRecorder", "record_access"]


class AccessRecorder(Protocol):
    def __call__(self, user: UserInfo, what: str, subject: str) -> None: ...


def record_access(user: UserInfo, what: str, subject: str) -> None:
    """Record that ``user`` read ``what`` (e.g. ``review_case``) about ``subject``
    (e.g. ``BATCH/ROW``). No-op until the access log lands."""
    return None
