"""Everything generated about the taxpayers, bundled for the request side."""

from __future__ import annotations

from dataclasses import dataclass

from matchgate.synth._filings import Filings
from matchgate.synth._households import Households
from matchgate.synth._name_tables import NameTables
from matchgate.synth._persons import Persons
from matchgate.synth._residences import Residences

__all__ = ["World"]


@dataclass(frozen=True)
class World:
    households: Households
    persons: Persons
    residences: Residences
    filings: Filings
    tables: NameTables
