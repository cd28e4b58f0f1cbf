"""Standardize names and addresses for the legal review and the matcher.

Names: ``standardize_name`` -> ``StandardName`` (given names, nickname forms, surname parts
without particles, generational suffix), with ``surname_part_overlap`` and
``names_swapped`` for comparisons. Addresses: ``standardize_address`` ->
``StandardAddress`` (USPS Publication 28 components, keys, ``AddressKind`` and reasons).
Every function is pure, cached, and never raises on any text.
"""

from matchgate.standardize._text import clean_name_text
from matchgate.standardize.addresses import AddressKind, StandardAddress, standardize_address
from matchgate.standardize.names import (
    StandardName,
    names_swapped,
    standardize_name,
    surname_part_overlap,
)
from matchgate.standardize.nicknames import first_name_forms, known_given_names, nicknames_of
from matchgate.standardize.placeholders import is_placeholder

__all__ = [
    "AddressKind",
    "StandardAddress",
    "StandardName",
    "clean_name_text",
    "first_name_forms",
    "is_placeholder",
    "known_given_names",
    "names_swapped",
    "nicknames_of",
    "standardize_address",
    "standardize_name",
    "surname_part_overlap",
]
