"""Taxpayer identification numbers that look issued: SSNs and ITINs by their public rules.

SSNs never start with 9, 000 or 666 and never have group 00 or serial 0000; ITINs start with 9
and have a group (4th-5th digits) in 50-65, 70-88, 90-92 or 94-99.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ITIN_GROUPS", "draw_tins", "looks_issued"]

ITIN_GROUPS: tuple[int, ...] = (*range(50, 66), *range(70, 89), *range(90, 93), *range(94, 100))


def looks_issued(tin: str) -> bool:
    """Whether the 9 digits follow the SSN or ITIN rules (not whether anyone holds them)."""
    if len(tin) != 9 or not tin.isdigit():
        return False
    area, group, serial = int(tin[:3]), int(tin[3:5]), int(tin[5:])
    if tin[0] == "9":
        return group in ITIN_GROUPS
    return area not in (0, 666) and group != 0 and serial != 0


def draw_tins(
    rng: np.random.Generator, is_itin: np.ndarray, taken: np.ndarray | None = None
) -> np.ndarray:
    """Unique TINs: SSNs never start with 9, 000 or 666; ITINs start with 9 with a valid group.

    ``taken`` (sorted int64) holds numbers already used by earlier blocks of a chunked world;
    none is drawn again. Without it the draws are exactly those of an unchunked world."""
    n = is_itin.shape[0]
    ssn_areas = np.array([a for a in range(1, 900) if a != 666])
    itin_groups = np.array(ITIN_GROUPS)
    numbers = np.zeros(n, dtype=np.int64)
    pending = np.arange(n)
    while pending.size:
        itin = is_itin[pending]
        area = np.where(
            itin,
            rng.integers(900, 1000, pending.size),
            ssn_areas[rng.integers(0, ssn_areas.size, pending.size)],
        )
        group = np.where(
            itin,
            itin_groups[rng.integers(0, itin_groups.size, pending.size)],
            rng.integers(1, 100, pending.size),
        )
        serial = rng.integers(1, 10_000, pending.size)
        numbers[pending] = area * 1_000_000 + group * 10_000 + serial
        _, first_seen = np.unique(numbers, return_index=True)
        duplicate = np.ones(n, dtype=bool)
        duplicate[first_seen] = False
        if taken is not None and taken.size:
            at = np.minimum(np.searchsorted(taken, numbers), taken.size - 1)
            duplicate |= taken[at] == numbers
        pending = np.flatnonzero(duplicate)
    return np.char.zfill(numbers.astype(str), 9).astype(object)
