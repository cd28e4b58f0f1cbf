"""What a letter is judged against beyond its own text: the transfer it would authorize.

The office's agency registry (with the keys letters must be signed with), the SHA-256 of the
request file actually received, and the day of transfer. ``run`` builds one from the workspace
(:meth:`Transfer.for_workspace`); safeguards currency and a future date are judged on
``transfer_date``, not on the date the letter gives itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from matchgate.review.agencies import AgencyRegistry, agency_registry

__all__ = ["Transfer", "registry_in_force", "reviewing_with"]

_IN_FORCE: ContextVar[AgencyRegistry | None] = ContextVar("agency_registry_in_force", default=None)


def today_utc() -> date:
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class Transfer:
    """``kind`` is what is transferred: a request file (``bulk``, with its digest) or one
    look-up (``lookups``, with how many look-ups the letter has answered before it)."""

    registry: AgencyRegistry
    requests_sha256: str
    transfer_date: date
    kind: str = "bulk"
    lookups_before: int = 0

    @classmethod
    def for_workspace(
        cls,
        workspace: Path,
        *,
        requests: Path,
        transfer_date: date | None = None,
        registry_url: str | None = None,
    ) -> Transfer:
        """The workspace's registry (or the one in the server's database ``registry_url``),
        the request file's digest, and today (UTC) unless a ``transfer_date`` is given."""
        from matchgate.review.registry import AgencyRegistryStore
        from matchgate.review.signing import file_sha256

        with AgencyRegistryStore.open(workspace, url=registry_url) as store:
            registry = store.registry()
        return cls(
            registry=registry,
            requests_sha256=file_sha256(requests),
            transfer_date=transfer_date or today_utc(),
        )

    @classmethod
    def for_lookup(
        cls,
        workspace: Path,
        *,
        lookups_before: int,
        transfer_date: date | None = None,
        registry_url: str | None = None,
    ) -> Transfer:
        """One look-up under a look-up letter that has answered ``lookups_before`` already."""
        from matchgate.review.registry import AgencyRegistryStore

        with AgencyRegistryStore.open(workspace, url=registry_url) as store:
            registry = store.registry()
        return cls(
            registry=registry,
            requests_sha256="",
            transfer_date=transfer_date or today_utc(),
            kind="lookups",
            lookups_before=lookups_before,
        )


def registry_in_force() -> AgencyRegistry:
    """The registry the letter rules read: the transfer's while a transfer is reviewed,
    else the packaged one (a content-only review, as ``matchgate review`` does)."""
    return _IN_FORCE.get() or agency_registry()


@contextmanager
def reviewing_with(registry: AgencyRegistry | None) -> Iterator[None]:
    token = _IN_FORCE.set(registry)
    try:
        yield
    finally:
        _IN_FORCE.reset(token)
