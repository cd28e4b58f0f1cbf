"""What a page may show of a taxpayer identification number: the last four digits."""

from __future__ import annotations

__all__ = ["mask_tin"]


def mask_tin(tin: str | None) -> str:
    """``123456789`` -> ``*****6789``; anything with four or fewer digits is fully masked."""
    digits = "".join(character for character in str(tin or "") if character.isalnum())
    if not digits:
        return ""
    if len(digits) <= 4:
        return "*" * len(digits)
    return "*" * (len(digits) - 4) + digits[-4:]
