"""Disclose: the minimum the law permits (latest address in the requested periods)."""

from matchgate.disclose.response import (
    RESPONSE_COLUMNS,
    DisclosedAddress,
    ResponseRow,
    latest_addresses_in_periods,
)

__all__ = [
    "DisclosedAddress",
    "RESPONSE_COLUMNS",
    "ResponseRow",
    "latest_addresses_in_periods",
]
