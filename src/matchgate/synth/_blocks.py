"""What the blocks of a chunked world must not repeat: TINs and street addresses.

A world larger than ``BLOCK_PEOPLE`` is generated as independent blocks of households, one
after another, each from its own seeded streams, so memory is bounded by one block. Blocks
share nothing but this register: a later block draws again any TIN or address an earlier one
used, and an "unissued" TIN that a request gave for someone not in the file is reserved so no
later block issues it. Only integers are kept (8 bytes a TIN, 8 an address).
"""

from __future__ import annotations

import numpy as np

__all__ = ["BLOCK_PEOPLE", "Taken", "block_sizes"]

# Part of a chunked world's identity: a different block size gives a different world. It is a
# constant, not an option, so that the same seed and size always give the same files.
BLOCK_PEOPLE = 500_000


def block_sizes(people: int, block_people: int = BLOCK_PEOPLE) -> list[int]:
    """People per block: full blocks, the remainder spread so no block is tiny."""
    blocks = max(1, -(-people // block_people))
    base, extra = divmod(people, blocks)
    return [base + (1 if i < extra else 0) for i in range(blocks)]


def split_evenly(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainder, ties to the first)."""
    whole = sum(weights)
    shares = [total * w // whole for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _in_sorted(values: np.ndarray, sorted_values: np.ndarray) -> np.ndarray:
    if not sorted_values.size:
        return np.zeros(values.shape[0], dtype=bool)
    at = np.minimum(np.searchsorted(sorted_values, values), sorted_values.size - 1)
    return np.asarray(sorted_values[at] == values)


class Taken:
    """TINs (issued or reserved) and address keys used by the blocks generated so far."""

    def __init__(self) -> None:
        self.tins = np.empty(0, dtype=np.int64)  # sorted
        self.sites = np.empty(0, dtype=np.int64)  # sorted
        self._reserved: list[int] = []

    def add_block(self, tins: np.ndarray, sites: np.ndarray) -> None:
        numbers = np.asarray(tins).astype(np.int64)
        if self._reserved:
            numbers = np.concatenate([numbers, np.array(self._reserved, dtype=np.int64)])
            self._reserved = []
        self.tins = np.union1d(self.tins, numbers)
        self.sites = np.union1d(self.sites, np.asarray(sites, dtype=np.int64))

    def holds_tin(self, tin: str) -> bool:
        number = int(tin)
        return bool(_in_sorted(np.array([number]), self.tins)[0]) or number in self._reserved

    def reserve_tin(self, tin: str) -> None:
        """An unissued TIN given in a request: no later block may issue it."""
        self._reserved.append(int(tin))

    def tins_and_reserved(self) -> np.ndarray:
        if not self._reserved:
            return self.tins
        return np.union1d(self.tins, np.array(self._reserved, dtype=np.int64))
