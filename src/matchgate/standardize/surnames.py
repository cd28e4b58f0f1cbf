"""Surnames: particles, compound surnames, joined compounds, and how two surnames overlap.

Hispanic naming gives most people two surnames (father's then mother's), written with a
space, a hyphen, joined (``GARCIALOPEZ``), in either order, or one only; particles (``DE``,
``DEL``, ``DE LA``) are kept or dropped at will and sometimes written together with the name
(``DELACRUZ``). A surname is therefore reduced to its ordered *parts* without particles, so
every writing of the same surname yields the same parts.
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache

from matchgate.standardize._data import surname_list

__all__ = ["PARTICLES", "split_surname", "surname_overlap"]

# Words that join a surname to what follows. LE and DU are left out on purpose: as the only
# token they are common Vietnamese and Chinese surnames (LE, DU); and a particle is only ever
# taken as one when another word follows it.
PARTICLES = frozenset(
    {
        "DE",
        "DEL",
        "LA",
        "LAS",
        "LOS",
        "Y",
        "E",
        "DA",
        "DAS",
        "DO",
        "DOS",
        "DI",
        "VAN",
        "VON",
        "DER",
        "DEN",
        "TER",
        "AL",
        "EL",
    }
)

# Particles sometimes written together with the surname, longest first, with what they stand
# for. Split only when the rest is a listed surname (DELGADO is not DEL GADO).
_JOINED_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("DELOS", ("DE", "LOS")),
    ("DELAS", ("DE", "LAS")),
    ("DELA", ("DE", "LA")),
    ("DEL", ("DEL",)),
    ("DOS", ("DOS",)),
    ("DAS", ("DAS",)),
    ("LOS", ("LOS",)),
    ("LAS", ("LAS",)),
    ("DE", ("DE",)),
    ("DA", ("DA",)),
    ("DI", ("DI",)),
    ("LA", ("LA",)),
)
_MIN_PART = 3


@lru_cache(maxsize=131_072)
def _split_joined(token: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(parts, particles) for one token that may hide a particle or two joined surnames."""
    known = surname_list()
    if token in known or len(token) < 2 * _MIN_PART:
        return (token,), ()
    for prefix, particles in _JOINED_PREFIXES:
        rest = token[len(prefix) :]
        if token.startswith(prefix) and len(rest) >= _MIN_PART and rest in known:
            return (rest,), particles
    splits = [
        (token[:cut], token[cut:])
        for cut in range(_MIN_PART, len(token) - _MIN_PART + 1)
        if token[:cut] in known and token[cut:] in known
    ]
    if len(splits) == 1:  # two readings: guessing would invent a surname, so do not split
        return splits[0], ()
    return (token,), ()


@lru_cache(maxsize=262_144)
def split_surname(cleaned: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(parts, particles) of a cleaned surname field.

    ``"GARCIA-LOPEZ"`` -> ``(("GARCIA", "LOPEZ"), ())``;
    ``"DE LA CRUZ"`` and ``"DELACRUZ"`` -> ``(("CRUZ",), ("DE", "LA"))``.
    A particle counts only when a non-particle word follows it, so ``"DE"`` alone or
    ``"GARCIA DE"`` keep it as a part.
    """
    words = cleaned.replace("-", " ").split()
    parts: list[str] = []
    particles: list[str] = []
    for index, word in enumerate(words):
        is_particle = word in PARTICLES and any(
            later not in PARTICLES for later in words[index + 1 :]
        )
        if is_particle:
            particles.append(word)
            continue
        word_parts, word_particles = _split_joined(word)
        parts.extend(word_parts)
        particles.extend(word_particles)
    return tuple(parts), tuple(particles)


def surname_overlap(parts_a: tuple[str, ...], parts_b: tuple[str, ...]) -> str:
    """How two surnames' parts relate; see ``names.surname_part_overlap``."""
    if not parts_a or not parts_b:
        return "none"
    if parts_a == parts_b:
        return "exact"
    if sorted(parts_a) == sorted(parts_b):
        return "same_set"
    if "".join(parts_a) == "".join(parts_b):
        return "joined_equal"
    count_a, count_b = Counter(parts_a), Counter(parts_b)
    if not count_a - count_b or not count_b - count_a:
        return "subset"
    return "none"
