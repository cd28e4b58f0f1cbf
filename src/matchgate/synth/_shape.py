"""``WorldShape``: a few knobs that bend a generated world towards a given master file.

The default shape is the generator's own: a world generated with ``WorldShape()`` is byte for
byte the world generated without one (no knob draws an extra random number). ``matchgate
assess`` fits these from a master file's aggregate statistics (``matchgate.report.assess``);
no record of that file enters the world.
"""

from __future__ import annotations

from dataclasses import dataclass

from matchgate.errors import InputError

__all__ = ["DEFAULT_TAX_YEARS", "WorldShape"]

DEFAULT_TAX_YEARS = 7  # as_of.year - 7 .. as_of.year - 1


@dataclass(frozen=True)
class WorldShape:
    """How the world departs from the generator's defaults.

    - ``surname_exponent``, ``first_name_exponent``: census weights are raised to this power
      before drawing (above 1: names more concentrated, more namesakes; below 1: flatter).
    - ``itin_scale``: multiplies both ITIN rates (10% of Hispanic, 1.5% of other people).
    - ``single_household_share``: share of households of one person (None: the templates').
    - ``tax_years``: tax years on file, ``as_of.year - tax_years`` .. ``as_of.year - 1``.
    - ``filing_rate_scale``: multiplies each person's yearly filing rate (capped at 1).
    """

    surname_exponent: float = 1.0
    first_name_exponent: float = 1.0
    itin_scale: float = 1.0
    single_household_share: float | None = None
    tax_years: int = DEFAULT_TAX_YEARS
    filing_rate_scale: float = 1.0

    def __post_init__(self) -> None:
        for name in ("surname_exponent", "first_name_exponent"):
            value = getattr(self, name)
            if not 0.1 <= value <= 4.0:
                raise InputError(f"{name} must be between 0.1 and 4, got {value!r}", field=name)
        if not 0.0 <= self.itin_scale <= 60.0:
            raise InputError(
                f"itin_scale must be between 0 and 60, got {self.itin_scale!r}", field="itin_scale"
            )
        share = self.single_household_share
        if share is not None and not 0.0 <= share < 1.0:
            raise InputError(
                f"single_household_share must be in [0, 1), got {share!r}",
                field="single_household_share",
            )
        if not isinstance(self.tax_years, int) or not 1 <= self.tax_years <= 30:
            raise InputError(
                f"tax_years must be a whole number from 1 to 30, got {self.tax_years!r}",
                field="tax_years",
            )
        if not 0.1 <= self.filing_rate_scale <= 2.0:
            raise InputError(
                f"filing_rate_scale must be between 0.1 and 2, got {self.filing_rate_scale!r}",
                field="filing_rate_scale",
            )
