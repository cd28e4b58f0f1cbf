"""A value per key, made once: the rows of a batch share few distinct reasons, periods and
texts, so a stage makes each once instead of once a row."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

__all__ = ["BoundedMemo"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

DEFAULT_SIZE = 65_536


class BoundedMemo(Generic[K, V]):
    """``make(key)`` computed once per key. Bounded: when it holds ``size`` keys it is
    emptied whole (a batch whose rows each had reasons of their own never grows it
    without end; emptying costs a recomputation, never a wrong value)."""

    def __init__(self, make: Callable[[K], V], *, size: int = DEFAULT_SIZE) -> None:
        self._make = make
        self._size = size
        self._values: dict[K, V] = {}

    def __call__(self, key: K) -> V:
        try:
            return self._values[key]
        except KeyError:
            pass
        value = self._make(key)
        if len(self._values) >= self._size:
            self._values.clear()
        self._values[key] = value
        return value
