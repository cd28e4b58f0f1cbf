"""How a requesting agency writes a name and an address: the messy side of the match.

Each function takes a seeded ``random.Random`` and returns the text plus what it did, so the
caller can tag the row's hazards truthfully (a tag means the variation is really in the row).
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass

from matchgate.synth._naming_customs import (
    ACCENTED_FORMS,
    NICKNAMES,
    PARTICLE_SURNAMES,
    strip_accents,
)
from matchgate.synth._places import DIRECTIONALS, STREET_TYPES

__all__ = [
    "AddressParts",
    "RenderedAddress",
    "add_accents",
    "apply_case",
    "compound_surname_variant",
    "nickname_for",
    "one_char_edit",
    "particle_variant",
    "render_address",
    "render_dob",
]

_SPANISH_PARTICLES = ("DE", "DEL", "LA", "LOS", "LAS")


@dataclass(frozen=True)
class AddressParts:
    house_number: int
    predirectional: str
    street_name: str
    street_type: str
    unit: str
    city: str
    state: str
    zip_code: str
    shared_building: bool  # an apartment in a building other households live in


# Street names that are themselves USPS street suffixes: without the type, "17291 RIDGE" no
# longer reads as an address, so the generator never drops the type after these.
_NAMES_THAT_ARE_SUFFIXES = frozenset(
    "RIDGE PARK HILL CREEK BROOK FALLS GROVE VALLEY CANYON HARBOR SHORE BEACH MEADOW FOREST "
    "RIVER LAKE SPRING MILL STAR ORCHARD VISTA MESA UNION PROSPECT CENTRAL MARKET STONE ROCK "
    "DEPOT".split()
)


def _type_can_be_dropped(street_name: str) -> bool:
    return not street_name[0].isdigit() and street_name not in _NAMES_THAT_ARE_SUFFIXES


def one_char_edit(rng: random.Random, text: str) -> str:
    """One substitution, deletion, insertion or transposition inside the word (never the first
    letter, which requesters rarely get wrong)."""
    if len(text) < 4:
        return text
    position = rng.randrange(1, len(text) - 1)
    letter = rng.choice(string.ascii_uppercase)
    kind = rng.randrange(4)
    if kind == 0 and text[position] != letter:
        return text[:position] + letter + text[position + 1 :]
    if kind == 1:
        return text[:position] + text[position + 1 :]
    if kind == 2:
        return text[:position] + letter + text[position:]
    if text[position] != text[position + 1]:
        return text[:position] + text[position + 1] + text[position] + text[position + 2 :]
    return text[:position] + text[position + 1 :]


def apply_case(text: str, style: str) -> str:
    if style == "title":
        return text.title()
    if style == "lower":
        return text.lower()
    return text.upper()


def add_accents(text: str) -> str:
    return " ".join(ACCENTED_FORMS.get(word, word) for word in text.split(" "))


def nickname_for(rng: random.Random, first_name: str) -> str | None:
    options = NICKNAMES.get(strip_accents(first_name).upper())
    return rng.choice(options) if options else None


def particle_variant(rng: random.Random, census_surname: str) -> str:
    """A particle surname as a requester writes it: "DELACRUZ", "DE LA CRUZ", "DELA CRUZ" or
    just "CRUZ"."""
    spaced = PARTICLE_SURNAMES.get(census_surname, census_surname)
    words = spaced.split(" ")
    core = [w for w in words if w not in _SPANISH_PARTICLES] or words[-1:]
    particles = words[: len(words) - len(core)]
    roll = rng.random()
    if roll < 0.35:
        return "".join(words)
    if roll < 0.6:
        return " ".join(core)
    if roll < 0.75 and len(particles) > 1:
        return "".join(particles) + " " + " ".join(core)
    return spaced


def compound_surname_variant(rng: random.Random, paternal: str, maternal: str) -> str:
    """Two Hispanic surnames written joined, hyphenated, one part only or swapped."""
    roll = rng.random()
    if roll < 0.22:
        return f"{paternal}-{maternal}"
    if roll < 0.32:
        return f"{paternal}{maternal}".replace(" ", "")
    if roll < 0.62:
        return paternal
    if roll < 0.72:
        return maternal
    if roll < 0.84:
        return f"{maternal} {paternal}"
    return f"{paternal} {maternal}"


def render_dob(rng: random.Random, iso: str) -> str:
    if rng.random() < 0.15:
        year, month, day = iso.split("-")
        return f"{month}/{day}/{year}"
    return iso


@dataclass(frozen=True)
class RenderedAddress:
    street: str
    city: str
    state: str
    zip_code: str
    has_typo: bool


def render_address(rng: random.Random, address: AddressParts, *, typo: bool) -> RenderedAddress:
    """Street, city, state, ZIP as a requester holds them: words spelt out or abbreviated,
    units written differently or missing, ZIP+4 now and then. A typo goes only into a street
    *name* ("OAK"), never into a numbered street ("23RD"), which would stop being an address."""
    predirectional = address.predirectional
    if predirectional and rng.random() < 0.25:
        predirectional = DIRECTIONALS[predirectional]
    street_type = address.street_type
    roll = rng.random()
    if roll < 0.3:
        street_type = STREET_TYPES[street_type]
    elif roll < 0.4:
        # "St." and "Ave." as typed by hand; WAY has no abbreviation to dot
        street_type = street_type.title() + ("" if street_type == "WAY" else ".")
    elif roll < 0.43 and _type_can_be_dropped(address.street_name):
        street_type = ""
    street_name = address.street_name
    if typo and not street_name[0].isdigit():
        street_name = one_char_edit(rng, street_name)
    unit = address.unit
    if unit:
        roll = rng.random()
        label = unit.split(" ", 1)[1]
        if roll < 0.3:
            unit = ""
        elif roll < 0.45:
            unit = f"#{label}"
        elif roll < 0.55:
            unit = f"UNIT {label}" if unit.startswith("APT") else f"APT {label}"
    street = " ".join(
        part
        for part in (str(address.house_number), predirectional, street_name, street_type, unit)
        if part
    )
    if unit and rng.random() < 0.15:
        street = street.replace(f" {unit}", f", {unit}")
    zip_code = address.zip_code
    roll = rng.random()
    if roll < 0.08:
        zip_code = f"{zip_code}-{rng.randrange(1, 10_000):04d}"
    elif roll < 0.12:
        zip_code = ""
    return RenderedAddress(
        street, address.city, address.state, zip_code, street_name != address.street_name
    )
