"""Pairs of address histories as Splink's address comparison reads them, for the tests that
check its levels' SQL on crafted pairs (tests/match): the filed side as ``taxpayer_features``
holds a filing history (one list entry per distinct value), the request side as the matcher
builds it (``request_feature_row``), and the Arrow table of ``<list>_l`` / ``<list>_r``
columns a level's condition runs on."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pyarrow as pa

from matchgate.fields import MATCH_FIELDS
from matchgate.match import MatchInput
from matchgate.match.features import (
    _ADDRESS_HISTORY_LISTS,
    _ADDRESS_SCHEMA,
    address_feature_row,
    request_feature_row,
)

Address = tuple[str, str, str, str]  # street, city, state, zip
Lists = Mapping[str, object]


def filed_lists(addresses: list[Address]) -> dict[str, list[object] | None]:
    rows = [address_feature_row(*address) for address in addresses]
    lists: dict[str, list[object] | None] = {}
    for name, feature in _ADDRESS_HISTORY_LISTS.items():
        values: list[object] = []
        for row in rows:
            if row[feature] is not None and row[feature] not in values:
                values.append(row[feature])
        lists[name] = values or None
    return lists


def requested_lists(address: Address) -> dict[str, object]:
    values = dict.fromkeys(MATCH_FIELDS, "")
    values.update(zip(("street", "city", "state", "zip"), address, strict=True))
    values.update(first_name="ANA", last_name="LOPEZ")
    row = request_feature_row(MatchInput(1, tuple(values[name] for name in MATCH_FIELDS)))
    return {name: row[name] for name in _ADDRESS_HISTORY_LISTS}


def pairs_table(sides: Sequence[tuple[Lists, Lists]]) -> pa.Table:
    """One row per (filed, requested) pair of address lists: ``<list>_l`` and ``<list>_r``."""
    columns: dict[str, list[object]] = {}
    fields: list[tuple[str, pa.DataType]] = []
    for name, feature in _ADDRESS_HISTORY_LISTS.items():
        kind = pa.list_(_ADDRESS_SCHEMA.field(feature).type)
        columns[f"{name}_l"] = [left[name] for left, _ in sides]
        columns[f"{name}_r"] = [right[name] for _, right in sides]
        fields += [(f"{name}_l", kind), (f"{name}_r", kind)]
    return pa.table(columns, schema=pa.schema(fields))
