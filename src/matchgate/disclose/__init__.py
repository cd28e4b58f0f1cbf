"""Disclose: the minimum the law permits (latest address in the requested periods)."""

from matchgate.disclose.response import (
    RESPONSE_COLUMNS,
    DisclosedAddress,
    RequestShape,
    ResponseOutcome,
    ResponseRow,
    latest_addresses_in_periods,
    requester_view,
)

__all__ = [
    "DisclosedAddress",
    "RESPONSE_COLUMNS",
    "RequestShape",
    "ResponseOutcome",
    "ResponseRow",
    "latest_addresses_in_periods",
    "requester_view",
]
