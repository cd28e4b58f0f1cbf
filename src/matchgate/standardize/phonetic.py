"""Phonetic codes of surnames, for blocking: spellings that sound alike share a code.

Two classic codes, both pure Python and computed once per distinct surname part:

* :func:`soundex`, American Soundex as the National Archives uses it for the census
  (first letter and three digits; ``H`` and ``W`` do not separate letters of one code,
  vowels do): ``ROBERT`` and ``RUPERT`` are both ``R163``.
* :func:`nysiis`, the New York State Identification and Intelligence System code (Taft,
  1970), better than Soundex on the vowel and consonant-cluster spellings of surnames:
  ``MACDONALD`` and ``MCDONALD`` are both ``MCDANALD``. The key is not truncated (the
  original truncates it to six letters, which only merges more names).

A phonetic code is only a blocking key: two names with one code are *candidates*, never a
match. The comparisons decide.
"""

from __future__ import annotations

from functools import lru_cache

__all__ = ["nysiis", "phonetic_keys", "soundex"]

_SOUNDEX_DIGITS = {
    **dict.fromkeys("BFPV", "1"),
    **dict.fromkeys("CGJKQSXZ", "2"),
    **dict.fromkeys("DT", "3"),
    "L": "4",
    **dict.fromkeys("MN", "5"),
    "R": "6",
}
_VOWELS = frozenset("AEIOU")


def _letters(name: str) -> str:
    return "".join(ch for ch in name.upper() if "A" <= ch <= "Z")


def soundex(name: str) -> str:
    """American Soundex of ``name`` (letters other than A-Z ignored); ``""`` for no letters."""
    letters = _letters(name)
    if not letters:
        return ""
    code = [letters[0]]
    previous = _SOUNDEX_DIGITS.get(letters[0], "")
    for ch in letters[1:]:
        digit = _SOUNDEX_DIGITS.get(ch, "")
        if digit and digit != previous:
            code.append(digit)
            if len(code) == 4:
                break
        if ch not in "HW":  # H and W do not separate two letters of one code
            previous = digit
    return "".join(code).ljust(4, "0")


_NYSIIS_PREFIXES = (("MAC", "MCC"), ("KN", "NN"), ("K", "C"), ("PH", "FF"), ("PF", "FF"))
_NYSIIS_SUFFIXES: tuple[tuple[str, str], ...] = (
    ("EE", "Y"),
    ("IE", "Y"),
    *(("DT", "D"), ("RT", "D"), ("RD", "D"), ("NT", "D"), ("ND", "D")),
)


def nysiis(name: str) -> str:
    """NYSIIS code of ``name`` (letters other than A-Z ignored), untruncated."""
    word = _letters(name)
    if not word:
        return ""
    if word.startswith("SCH"):
        word = "SSS" + word[3:]
    else:
        for prefix, replacement in _NYSIIS_PREFIXES:
            if word.startswith(prefix):
                word = replacement + word[len(prefix) :]
                break
    for suffix, replacement in _NYSIIS_SUFFIXES:
        if word.endswith(suffix):
            word = word[: -len(suffix)] + replacement
            break
    key = [word[0]]
    chars = list(word)
    i = 1
    while i < len(chars):
        ch = chars[i]
        if ch == "E" and i + 1 < len(chars) and chars[i + 1] == "V":
            chars[i : i + 2] = ["A", "F"]
        elif ch in _VOWELS:
            chars[i] = "A"
        elif ch == "Q":
            chars[i] = "G"
        elif ch == "Z":
            chars[i] = "S"
        elif ch == "M":
            chars[i] = "N"
        elif ch == "K":
            if i + 1 < len(chars) and chars[i + 1] == "N":
                chars[i] = "N"
            else:
                chars[i] = "C"
        elif ch == "S" and chars[i + 1 : i + 3] == ["C", "H"]:
            chars[i : i + 3] = ["S", "S", "S"]
        elif ch == "P" and i + 1 < len(chars) and chars[i + 1] == "H":
            chars[i : i + 2] = ["F", "F"]
        elif ch == "H":
            before = chars[i - 1]
            after = chars[i + 1] if i + 1 < len(chars) else ""
            if before not in _VOWELS or (after and after not in _VOWELS):
                chars[i] = before
        elif ch == "W" and chars[i - 1] in _VOWELS:
            chars[i] = chars[i - 1]
        if chars[i] != key[-1]:
            key.append(chars[i])
        i += 1
    if len(key) > 1 and key[-1] == "S":
        key.pop()
    if len(key) > 2 and key[-2:] == ["A", "Y"]:
        key[-2:] = ["Y"]
    if len(key) > 1 and key[-1] == "A":
        key.pop()
    return "".join(key)


@lru_cache(maxsize=65_536)
def phonetic_keys(part: str) -> tuple[str, ...]:
    """The blocking keys of one surname part: its Soundex and NYSIIS codes, each tagged with
    the code's name so the two never collide (``S:R163``, ``N:RABAD``); ``()`` for a part
    without letters or shorter than two (an initial says nothing about sound)."""
    if len(_letters(part)) < 2:
        return ()
    return (f"S:{soundex(part)}", f"N:{nysiis(part)}")
