"""Which input column feeds which request field.

Headers are recognised automatically from common variants (``Last Name``, ``SURNAME``,
``apellido``, ``DOB``, ``Zip Code`` ...); a TOML mapping file overrides them. A column that
is neither mapped nor recognised is reported in ``unknown_columns`` and never read.
Some fields may be assembled from parts (paternal + maternal surname, address lines 1 and 2);
a single "full name" column is split when no separate name columns exist.
"""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from matchgate.errors import IntakeError, MappingError
from matchgate.intake.record import REQUEST_FIELDS, REQUIRED_FIELDS

__all__ = ["ColumnPlan", "load_mapping", "normalize_header", "plan_columns"]

FULL_NAME = "full_name"
IGNORE = "ignore"

# field -> header variants; a variant ending in ":2" is the second part of a composite field.
# fmt: off
_ALIASES: dict[str, tuple[str, ...]] = {
    "request_id": (
        "request id", "requestid", "id", "record id", "request number", "request no",
        "account", "account number", "reference", "reference number", "ref", "row id",
    ),
    "first_name": (
        "first name", "first", "firstname", "given name", "given names", "forename", "fname",
        "nombre", "nombres", "primer nombre", "prenom",
    ),
    "middle_name": (
        "middle name", "middle", "middlename", "middle initial", "mi", "segundo nombre",
    ),
    "last_name": (
        "last name", "last", "lastname", "surname", "surnames", "family name", "lname",
        "apellido", "apellidos", "nom", "apellido paterno", "paternal surname",
        "first surname", "primer apellido",
        "apellido materno:2", "maternal surname:2", "second surname:2", "segundo apellido:2",
    ),
    "suffix": ("suffix", "name suffix", "generation", "generational suffix", "sufijo"),
    "dob": (
        "dob", "date of birth", "birth date", "birthdate", "birthday", "born",
        "fecha de nacimiento", "fecha nacimiento",
    ),
    "street": (
        "street", "street address", "address", "address 1", "address line 1", "address1",
        "addr", "addr1", "mailing address", "last known address", "residence address",
        "home address", "direccion", "domicilio", "calle",
        "address 2:2", "address line 2:2", "address2:2", "addr2:2", "street 2:2",
        "apartment:2", "apt:2", "unit:2",
    ),
    "city": ("city", "town", "ciudad", "municipality", "locality", "city name"),
    "state": ("state", "st", "state code", "state province", "estado", "province"),
    "zip": (
        "zip", "zip code", "zipcode", "zip5", "zip 4", "zip plus 4", "postal code",
        "postcode", "postal", "codigo postal", "cp",
    ),
    "tin": (
        "tin", "ssn", "social security number", "social security no", "itin", "ssn itin",
        "taxpayer identification number", "tax id", "taxpayer id", "tax id number",
    ),
    "tax_periods": (
        "tax periods", "tax period", "taxable periods", "taxable period", "periods",
        "tax years", "tax year", "years", "year", "periodos",
    ),
    "statute": (
        "statute", "statutes", "statutory authority", "authority", "legal authority",
        "criminal statute", "statute cited", "violation", "offense", "offense statute",
    ),
    "case_number": (
        "case number", "case no", "case", "case id", "casenumber", "investigation number",
        "investigation id", "file number", "case file", "numero de caso",
    ),
    "reason": (
        "reason", "reasons", "specific reason", "reason for request", "justification",
        "relevance", "purpose", "narrative", "motivo",
    ),
    FULL_NAME: ("name", "full name", "fullname", "taxpayer name", "nombre completo"),
}
# fmt: on


def normalize_header(header: str) -> str:
    """A header reduced to lower-case ASCII letters and digits (accents and punctuation gone)."""
    decomposed = unicodedata.normalize("NFKD", header.replace("#", " number "))
    return "".join(ch for ch in decomposed.casefold() if ch.isascii() and ch.isalnum())


def _build_alias_index() -> dict[str, tuple[str, int]]:
    index: dict[str, tuple[str, int]] = {}
    for target, variants in _ALIASES.items():
        for variant in variants:
            text, _, part = variant.partition(":")
            index[normalize_header(text)] = (target, int(part or 1))
    return index


_ALIAS_INDEX = _build_alias_index()


@dataclass(frozen=True, slots=True)
class ColumnPlan:
    """Column positions feeding each field, in part order; built once per header."""

    header: tuple[str, ...]
    sources: dict[str, tuple[int, ...]]
    full_name: int | None
    columns_mapped: dict[str, str]
    unknown_columns: list[str] = field(default_factory=list)

    @property
    def absent_fields(self) -> list[str]:
        present = set(self.sources)
        if self.full_name is not None:
            present |= {"first_name", "middle_name", "last_name", "suffix"}
        return [name for name in REQUEST_FIELDS if name not in present]


def load_mapping(path: Path) -> dict[str, str]:
    """Read a mapping file: a ``[columns]`` table of ``"Input header" = "field"``.

    The field may be any request field, ``full_name`` (split into parts) or ``ignore``.
    """
    try:
        with path.open("rb") as stream:
            data = tomllib.load(stream)
    except OSError as exc:
        raise MappingError(f"cannot read the mapping file: {exc}", path=path) from exc
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"not valid TOML: {exc}", path=path) from exc
    columns = data.get("columns")
    if not isinstance(columns, dict):
        raise MappingError('needs a [columns] table of "header" = "field"', path=path)
    allowed = set(REQUEST_FIELDS) | {FULL_NAME, IGNORE}
    mapping: dict[str, str] = {}
    for header, target in columns.items():
        if not isinstance(target, str) or target not in allowed:
            raise MappingError(
                f"maps column {header!r} to {target!r}; allowed: {', '.join(sorted(allowed))}",
                path=path,
                field=str(header),
            )
        mapping[header] = target
    return mapping


def plan_columns(
    header: Sequence[str], *, mapping: dict[str, str] | None = None, source: Path | str = ""
) -> ColumnPlan:
    """Decide which columns feed which field; raise :class:`IntakeError` if a name is missing."""
    explicit = {normalize_header(k): v for k, v in (mapping or {}).items()}
    parts: dict[str, dict[int, int]] = {}
    explicit_counts: dict[str, int] = {}
    full_name: int | None = None
    columns_mapped: dict[str, str] = {}
    unknown: list[str] = []
    pending_auto: list[tuple[int, str, str, int]] = []
    clean_header = tuple(
        text if text else f"column_{i + 1}" for i, text in enumerate(h.strip() for h in header)
    )
    for position, text in enumerate(clean_header):
        key = normalize_header(text)
        if key in explicit:
            target = explicit[key]
            if target == IGNORE:
                continue
            if target == FULL_NAME:
                full_name = position
            else:
                # Several columns mapped to one field are joined in column order.
                explicit_counts[target] = explicit_counts.get(target, 0) + 1
                parts.setdefault(target, {})[explicit_counts[target] * 100] = position
            columns_mapped[text] = target
        elif key in _ALIAS_INDEX:
            target, part = _ALIAS_INDEX[key]
            pending_auto.append((position, text, target, part))
        else:
            unknown.append(text)
    for position, text, target, part in pending_auto:
        if target in explicit_counts or (target == FULL_NAME and full_name is not None):
            unknown.append(text)  # the mapping file already chose a column for this field
            continue
        if target == FULL_NAME:
            full_name = position
        else:
            slots = parts.setdefault(target, {})
            if part in slots:
                first = clean_header[slots[part]]
                raise IntakeError(
                    f"columns {first!r} and {text!r} both look like {target}; "
                    "say which one to use in a mapping file (--mapping)",
                    path=source,
                    field=target,
                )
            slots[part] = position
        columns_mapped[text] = target
    sources = {name: tuple(slots[k] for k in sorted(slots)) for name, slots in parts.items()}
    if full_name is not None and "last_name" in sources:
        name_text = clean_header[full_name]
        columns_mapped.pop(name_text, None)
        unknown.append(name_text)
        full_name = None
    for required in REQUIRED_FIELDS:
        if required not in sources and full_name is None:
            raise IntakeError(
                f"no column for {required} (columns found: {', '.join(clean_header)}); "
                "name it in a mapping file (--mapping)",
                path=source,
                field=required,
            )
    return ColumnPlan(
        header=clean_header,
        sources=sources,
        full_name=full_name,
        columns_mapped=columns_mapped,
        unknown_columns=unknown,
    )
