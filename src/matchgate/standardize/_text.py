"""Text cleanup shared by the name and address standardizers.

Everything that leaves this module is upper-case ASCII. Non-ASCII letters are transliterated
(``JOSÉ`` -> ``JOSE``, ``MUÑOZ`` -> ``MUNOZ``, ``Nguyễn`` -> ``NGUYEN``) with ``anyascii``;
symbols such as emoji are dropped *before* transliteration because ``anyascii`` would spell
them out as words (``:grinning:``), and words that nobody wrote must never reach a matcher.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from anyascii import anyascii

__all__ = ["MAX_FIELD_CHARS", "clean_name_text", "to_ascii_upper"]

# No real name or street line is this long; longer input is garbage and is cut so that one
# hostile cell cannot make the parsers (or the caches) do unbounded work.
MAX_FIELD_CHARS = 1_000

_CONTROL = dict.fromkeys(range(32), " ") | {127: " "}
_APOSTROPHES = re.compile(r"['`]")
_NOT_NAME_CHAR = re.compile(r"[^A-Z0-9\- ]+")
_HYPHEN_RUN = re.compile(r"\s*-[\s-]*")
# A digit an OCR pass read for a letter inside a name (ZA1N, RAYMUND0, LE0N): a word that
# starts with a letter, has 2+ letters and only digits that look like one. Not a suffix or
# an ordinal (2ND, 3RD, 4TH start with their digit).
_OCR_NAME_WORD = re.compile(r"^[A-Z](?=(?:[0158]*[A-Z]){1})[A-Z0158]*[0158][A-Z0158]*$")
_OCR_NAME_DIGITS = str.maketrans("0158", "OISB")


def to_ascii_upper(text: str) -> str:
    """Upper-case ASCII form of ``text``: transliterated, control characters as spaces."""
    if not text:
        return ""
    text = text[:MAX_FIELD_CHARS]
    if not text.isascii():
        kept: list[str] = []
        for char in text:
            if char.isascii():
                kept.append(char)
                continue
            category = unicodedata.category(char)
            if category[0] in "LMN":
                kept.append(char)
            elif category == "Pd":
                kept.append("-")
            elif char in "\u2018\u2019\u02bc\u00b4":
                kept.append("'")
            elif category == "Cf":
                continue  # zero-width and direction marks sit inside words
            else:
                kept.append(" ")
        text = anyascii("".join(kept))
    return text.translate(_CONTROL).upper()


@lru_cache(maxsize=131_072)
def clean_name_text(text: str) -> str:
    """Clean one name field: upper ASCII, accents dropped, punctuation removed.

    Apostrophes vanish (``O'BRIEN`` -> ``OBRIEN``); other punctuation becomes a space
    (``JR.`` -> ``JR``); a hyphen between two words is kept as a single ``-`` with no spaces
    around it (``GARCIA - LOPEZ`` -> ``GARCIA-LOPEZ``) and dropped at word edges; whitespace
    is collapsed. A digit read for a letter inside a word (``ZA1N``, ``RAYMUND0``: OCR,
    issue 11) is written as that letter (0 O, 1 I, 5 S, 8 B). Idempotent.
    """
    text = to_ascii_upper(text)
    if not text:
        return ""
    text = _APOSTROPHES.sub("", text)
    text = _NOT_NAME_CHAR.sub(" ", text)
    text = _HYPHEN_RUN.sub("-", text)
    words = (_ocr_letters(word.strip("-")) for word in text.split())
    return " ".join(word for word in words if word)


def _ocr_letters(word: str) -> str:
    """``ZA1N`` -> ``ZAIN``, ``LE0N-AGUILERA`` -> ``LEON-AGUILERA``; anything else as it is."""
    if not any(c.isdigit() for c in word):
        return word
    return "-".join(
        part.translate(_OCR_NAME_DIGITS) if _OCR_NAME_WORD.match(part) else part
        for part in word.split("-")
    )
