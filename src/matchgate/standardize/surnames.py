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
_PREFIX_STARTS = tuple({prefix[:2] for prefix, _ in _JOINED_PREFIXES})
_MIN_PART = 3
# Particles written as one word before a separate surname ("DELA CRUZ", common in Filipino
# names) read like their spaced forms, so DELA CRUZ, DE LA CRUZ and DELACRUZ agree.
_JOINED_PARTICLES = {"DELA": ("DE", "LA"), "DELOS": ("DE", "LOS"), "DELAS": ("DE", "LAS")}


_Reading = tuple[tuple[str, ...], tuple[str, ...]]  # (parts, particles)


def _one_surname(piece: str) -> _Reading | None:
    """A listed surname, optionally with a particle written onto it (``DELACRUZ``)."""
    known = surname_list()
    if piece in known:
        return (piece,), ()
    if not piece.startswith(_PREFIX_STARTS):
        return None
    for prefix, particles in _JOINED_PREFIXES:
        rest = piece[len(prefix) :]
        if piece.startswith(prefix) and len(rest) >= _MIN_PART and rest in known:
            return (rest,), particles
    return None


@lru_cache(maxsize=131_072)
def _split_joined(token: str) -> _Reading:
    """(parts, particles) for one token that may hide a particle or two joined surnames.

    ``DELACRUZ`` -> ``CRUZ`` with ``DE LA``; ``GARCIALOPEZ`` -> ``GARCIA``, ``LOPEZ``;
    ``GARCIADELACRUZ`` -> ``GARCIA``, ``CRUZ``. Both halves must be listed surnames, and a
    token with two possible readings is left whole: guessing would invent a surname.
    """
    if token in surname_list() or len(token) < 2 * _MIN_PART:
        return (token,), ()
    single = _one_surname(token)
    if single is not None:
        return single
    readings: list[_Reading] = []
    for cut in range(_MIN_PART, len(token) - _MIN_PART + 1):
        left, right = _one_surname(token[:cut]), _one_surname(token[cut:])
        if left is not None and right is not None:
            readings.append((left[0] + right[0], left[1] + right[1]))
    if len(readings) == 1:
        return readings[0]
    return (token,), ()


# Prefixes that belong to the next word, however written: MC DONALD = MCDONALD, O BRIEN =
# OBRIEN (O'BRIEN loses its apostrophe), ST JOHN = SAINT JOHN = STJOHN.
_ATTACHED_PREFIXES = {"MC": "MC", "MAC": "MAC", "O": "O", "ST": "ST", "SAINT": "ST", "STE": "STE"}


def _join_prefixes(words: list[str]) -> list[str]:
    joined: list[str] = []
    pending = ""
    for index, word in enumerate(words):
        # After a particle, O is the Spanish surname (DE LA O), not the Irish O' prefix.
        after_particle = index > 0 and words[index - 1] in PARTICLES
        if word in _ATTACHED_PREFIXES and not pending and not after_particle:
            pending = _ATTACHED_PREFIXES[word]
            continue
        joined.append(pending + word)
        pending = ""
    if pending:  # a prefix with nothing after it stays a word of its own
        joined.append(pending)
    return joined


@lru_cache(maxsize=131_072)
def split_surname(cleaned: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(parts, particles) of a cleaned surname field.

    ``"GARCIA-LOPEZ"`` -> ``(("GARCIA", "LOPEZ"), ())``;
    ``"DE LA CRUZ"`` and ``"DELACRUZ"`` -> ``(("CRUZ",), ("DE", "LA"))``.
    A particle counts only when a non-particle word follows it, so ``"DE"`` alone or
    ``"GARCIA DE"`` keep it as a part.
    """
    words = _join_prefixes(cleaned.replace("-", " ").split())
    parts: list[str] = []
    particles: list[str] = []
    for index, word in enumerate(words):
        is_particle = (word in PARTICLES or word in _JOINED_PARTICLES) and any(
            later not in PARTICLES and later not in _JOINED_PARTICLES
            for later in words[index + 1 :]
        )
        if is_particle:
            particles.extend(_JOINED_PARTICLES.get(word, (word,)))
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
    if _joined_holds_part(parts_a, parts_b) or _joined_holds_part(parts_b, parts_a):
        return "subset"
    return "none"


def _joined_holds_part(joined: tuple[str, ...], parts: tuple[str, ...]) -> bool:
    """A one-word surname that starts or ends with one of the other record's parts, the rest
    being another surname: ``GRANADOSMARTINEZ`` / ``GRANADOS``.

    The other record confirms one half exactly; the list must know the half that was cut
    off or the one that matched, so that ``SMITHFIELD`` / ``SMITH`` or ``WILLIAMSON`` /
    ``WILLIAMS`` stay different surnames.
    """
    if len(joined) != 1:
        return False
    word = joined[0]
    known = surname_list()
    for part in parts:
        if len(part) < _MIN_PART + 1 or part == word:
            continue
        for rest in (word.removeprefix(part), word.removesuffix(part)):
            if rest != word and len(rest) >= _MIN_PART + 1 and (part in known or rest in known):
                return True
    return False
