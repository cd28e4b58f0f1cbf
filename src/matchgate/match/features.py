"""Standardized matching features for taxpayers and requests, built in DuckDB.

Both sides get the same columns so Splink can compare them:

    unique_id, first_name, first_forms[], middle_name, middle_initial, surname,
    surname_joined, surname_parts[], suffix, dob, tin, address_key (the request's own,
    empty for taxpayers), address_keys[], street_keys[], zips[], city_states[],
    locator_keys[], locators[], city_locator_keys[], places[] and house_numbers[] (what the
    tolerant address comparison reads: ``place_feature``)

A taxpayer's address lists hold every address filed from in any tax year, so the request's
address is compared with the whole filing history, not only the latest address.

Only identity columns are ever read from the master file: employer, income, dependents and
anything else the discloser holds never enter matchgate's database (minimization by
construction, not by filtering at the end).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.errors import MasterFileError
from matchgate.fields import ADDRESS_FIELDS, MATCH_FIELDS, NAME_FIELDS
from matchgate.standardize import (
    AddressKind,
    StandardAddress,
    first_name_forms,
    nicknames_of,
    standardize_address,
    standardize_name,
)
from matchgate.standardize._data import street_suffixes
from matchgate.standardize._pub28 import DIRECTIONALS

__all__ = [
    "MASTER_IDENTITY_COLUMNS",
    "MasterReport",
    "MatchInput",
    "build_taxpayer_features",
    "load_master",
    "name_feature_row",
]

# The only master-file columns matchgate reads. Everything else stays in the file.
MASTER_IDENTITY_COLUMNS: tuple[str, ...] = (
    "tin",
    "tin_type",
    "tax_year",
    *NAME_FIELDS,
    "dob",
    *ADDRESS_FIELDS,
)
_OPTIONAL_MASTER_COLUMNS = {"tin_type": "''", "middle_name": "''", "suffix": "''"}


@dataclass
class MasterReport:
    """What was wrong with the master file: counted, reported, never a crash."""

    path: str
    rows: int = 0
    taxpayers: int = 0
    problems: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "rows": self.rows,
            "taxpayers": self.taxpayers,
            "problems": dict(self.problems),
        }


def _master_relation_sql(path: Path) -> tuple[str, list[str]]:
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return "read_parquet(?)", [str(path)]
    if suffix in {".csv", ".txt"}:
        return "read_csv(?, all_varchar=true, header=true)", [str(path)]
    raise MasterFileError("the master file must be Parquet or CSV", path=path)


# Problems counted in the raw master rows: code -> condition on ``master_raw``.
MASTER_PROBLEM_CHECKS: dict[str, str] = {
    "missing_tin": "coalesce(tin, '') = ''",
    "bad_tin": "coalesce(tin, '') <> '' AND NOT regexp_full_match(tin, '[0-9]{9}')",
    "bad_tax_year": "try_cast(tax_year AS INTEGER) IS NULL",
    "missing_last_name": "coalesce(last_name, '') = ''",
    "missing_first_name": "coalesce(first_name, '') = ''",
    "bad_dob": "coalesce(dob, '') <> '' AND try_strptime(dob, '%Y-%m-%d') IS NULL",
    "missing_address": "coalesce(street, '') = ''",
}
# How a raw identity column is typed in ``master_rows`` (the others are kept as text).
_MASTER_ROW_EXPRESSIONS = {
    "tax_year": "CAST(tax_year AS INTEGER) AS tax_year",
    "dob": "CASE WHEN try_strptime(dob, '%Y-%m-%d') IS NULL THEN NULL ELSE dob END AS dob",
}


def describe_master_sql(relation: str) -> str:
    return f"DESCRIBE SELECT * FROM {relation}"


def master_raw_sql(relation: str, found: dict[str, str]) -> str:
    """``master_raw``: the identity columns as trimmed text, the optional ones '' if absent.

    ``found`` maps each identity column's lower-case name to its name in the file."""
    select = []
    for name in MASTER_IDENTITY_COLUMNS:
        if name in found:
            expr = f"coalesce(trim(CAST(\"{found[name]}\" AS VARCHAR)), '')"
        else:
            expr = _OPTIONAL_MASTER_COLUMNS[name]
        select.append(f"{expr} AS {name}")
    return f"CREATE OR REPLACE TEMP TABLE master_raw AS SELECT {', '.join(select)} FROM {relation}"


def master_problem_count_sql(condition: str) -> str:
    return f"SELECT count(*) FROM master_raw WHERE {condition}"


def master_duplicate_count_sql() -> str:
    """Rows beyond the first of each (tin, tax_year)."""
    return (
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM master_raw "
        "GROUP BY tin, tax_year HAVING count(*) > 1)"
    )


def master_rows_sql() -> str:
    """``master_rows``: the usable raw rows, typed, one per (tin, tax_year)."""
    columns = ", ".join(_MASTER_ROW_EXPRESSIONS.get(name, name) for name in MASTER_IDENTITY_COLUMNS)
    return f"""
        CREATE OR REPLACE TEMP TABLE master_rows AS
        SELECT {columns}
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY tin, tax_year ORDER BY street, first_name, last_name
            ) AS copy_number
            FROM master_raw
            WHERE regexp_full_match(coalesce(tin, ''), '[0-9]{{9}}')
              AND try_cast(tax_year AS INTEGER) IS NOT NULL
              AND coalesce(last_name, '') <> ''
        )
        WHERE copy_number = 1
        """


def load_master(con: duckdb.DuckDBPyConnection, path: Path) -> MasterReport:
    """Load the identity columns of the master file into ``master_rows`` and report problems.

    Rows without a TIN, a name or a valid tax year cannot be candidates and are counted
    as problems; duplicate (tin, tax_year) rows keep one row.
    """
    if not path.exists():
        raise MasterFileError("file not found", path=path)
    relation, params = _master_relation_sql(path)
    found = _master_identity_columns(con, path, relation, params)
    try:
        sql.run(con, master_raw_sql(relation, found), params, label="features.master_raw")
    except duckdb.Error as exc:
        raise MasterFileError(f"cannot read the master file ({exc})", path=path) from exc
    report = MasterReport(path=str(path))
    report.rows = sql.fetch_int(con, "SELECT count(*) FROM master_raw", label="features.master")
    report.problems = _master_problems(con)
    sql.run(con, master_rows_sql(), label="features.master_rows")
    sql.run(con, "DROP TABLE master_raw", label="features.master")
    report.taxpayers = sql.fetch_int(
        con, "SELECT count(DISTINCT tin) FROM master_rows", label="features.master"
    )
    return report


def _master_identity_columns(
    con: duckdb.DuckDBPyConnection, path: Path, relation: str, params: list[str]
) -> dict[str, str]:
    """The file's identity columns (lower-case name -> name in the file); an error naming
    the missing ones if a required column is absent."""
    try:
        described = sql.fetch_all(
            con, describe_master_sql(relation), params, label="features.master_columns"
        )
    except duckdb.Error as exc:
        raise MasterFileError(f"cannot read the master file ({exc})", path=path) from exc
    columns = [row[0] for row in described]
    lowered = {name.lower(): name for name in columns}
    missing = [
        name
        for name in MASTER_IDENTITY_COLUMNS
        if name not in lowered and name not in _OPTIONAL_MASTER_COLUMNS
    ]
    if missing:
        raise MasterFileError(
            f"required column(s) missing: {', '.join(missing)}; found: {', '.join(columns)}",
            path=path,
        )
    return lowered


def _master_problems(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Counts of each problem found in ``master_raw`` (problems with no rows left out)."""
    problems: dict[str, int] = {}
    for code, condition in MASTER_PROBLEM_CHECKS.items():
        count = sql.fetch_int(con, master_problem_count_sql(condition), label="features.problems")
        if count:
            problems[code] = count
    duplicates = sql.fetch_int(con, master_duplicate_count_sql(), label="features.problems")
    if duplicates:
        problems["duplicate_tin_year"] = duplicates
    return problems


def name_feature_row(first: str, middle: str, last: str, suffix: str) -> dict[str, object]:
    name = standardize_name(first or "", middle or "", last or "", suffix or "")
    return {
        "first_name": name.first or None,
        "first_forms": list(name.first_canonical) or None,
        "first_nicknames": list(nicknames_of(name.first)) or None,
        "middle_name": name.middle or None,
        "middle_initial": name.middle_initial or None,
        "surname": " ".join(name.surname_parts) or None,
        "surname_joined": name.surname_joined or None,
        "surname_parts": list(name.surname_parts) or None,
        "suffix": name.suffix or None,
    }


# Directions written out: N -> NORTH (SOUTHCOMMERCE DR for S COMMERCE DR).
DIRECTION_WORDS: dict[str, tuple[str, ...]] = {
    short: tuple(word for word, code in DIRECTIONALS.items() if code == short and word != short)
    for short in set(DIRECTIONALS.values())
}
# Unit designators that name a building of a complex, not a dwelling in it (BLDG 2 APT 4).
_BUILDING_DESIGNATORS = frozenset({"BLDG"})
# Designators that stand alone and name a dwelling by its position (the REAR house).
_POSITION_DESIGNATORS = frozenset({"REAR", "FRNT", "UPPR", "LOWR", "BSMT", "PH", "LBBY"})
# Designators of a space for a mobile home or a trailer (LOT 22, TRLR 14, SPC 3): another kind
# of identifier than an apartment's, compared only with another space (issue 11, the noisy
# mix: ``LOT 22`` appended to a street line whose filing says ``APT 2C``). LOT 22 is not LOT
# 23, but neither tells whether APT 2C is the taxpayer's flat.
_SPACE_DESIGNATORS = frozenset({"LOT", "TRLR", "SPC"})

UnitParts = tuple[str | None, str | None, str | None, str | None]


def unit_parts(unit: str) -> UnitParts:
    """(dwelling, building, position, space) identifiers of a standardized unit line:
    ``APT 4`` -> ("4", None, None, None), ``BLDG 2 # 4B`` -> ("4B", "2", None, None),
    ``REAR`` -> (None, None, "REAR", None), ``LOT 22`` -> (None, None, None, "22").

    The designator of a dwelling is not kept: ``APT 4``, ``UNIT 4`` and ``# 4`` are one unit.
    The first dwelling given counts, and the first space (``# 4B LOT 22``: an appended line
    comes after the unit).
    """
    dwelling = building = position = space = None
    words = unit.split()
    index = 0
    while index < len(words):
        word = words[index]
        ident = words[index + 1] if index + 1 < len(words) else ""
        if word in _POSITION_DESIGNATORS:
            position = position or word
            index += 1
            continue
        if not ident:
            break
        if word in _BUILDING_DESIGNATORS:
            building = building or ident
        elif word in _SPACE_DESIGNATORS:
            space = space or ident
        else:
            dwelling = dwelling or ident
        index += 2
    return dwelling, building, position, space


@cache
def _type_spellings() -> dict[str, tuple[str, ...]]:
    """Every word the Pub. 28 table reads as each street type: LN -> LANE, LANES, LN."""
    spellings: dict[str, set[str]] = {}
    for word, standard in street_suffixes().items():
        if word.isalpha():
            spellings.setdefault(standard, {standard}).add(word)
    return {standard: tuple(sorted(words)) for standard, words in spellings.items()}


def _joined_type(word: str) -> str | None:
    """``GROVEAVENUE`` -> ``GROVEAVE``, ``10THCIRCLE`` -> ``10THCIR``: a word that ends in a
    street-type word of 2+ letters with 3+ characters before it, the type abbreviated; the
    longest type word wins. None when the word ends in none."""
    best = ""
    for suffix in street_suffixes():
        if len(suffix) > len(best) and len(word) - len(suffix) >= 3 and word.endswith(suffix):
            if suffix.isalpha() and len(suffix) >= 2:
                best = suffix
    if not best:
        return None
    return word[: -len(best)] + street_suffixes()[best]


def _street_forms(address: StandardAddress) -> list[str]:
    """The street written without spaces in the ways a requester may write it: the name, the
    name and type (MAPLEAVE), each with the direction in front (WQUEEN, SOUTHCOMMERCE), and
    a name whose last word has the type joined on, the type abbreviated (GROVEAVENUE ->
    GROVEAVE)."""
    name = address.street_name.replace(" ", "")
    typed = name + address.street_suffix
    bases = [name, typed]
    for word in _direction_named(address):  # N ST is NORTH ST, written out (NORTHST)
        bases += [word, word + address.street_suffix]
    if not address.street_suffix:
        joined = _joined_type(address.street_name.split()[-1])
        if joined:
            bases.append("".join(address.street_name.split()[:-1]) + joined)
    fronts = [""]
    if address.predirectional:
        fronts += [address.predirectional, *DIRECTION_WORDS.get(address.predirectional, ())]
    forms: list[str] = []
    for front in fronts:
        for base in bases:
            if front + base not in forms:
                forms.append(front + base)
    return forms


def _direction_named(address: StandardAddress) -> tuple[str, ...]:
    """The words of a street named by a direction alone (``NORTH ST``, which the standardizer
    writes as ``N ST``): NORTH for N. Empty for any other street."""
    return DIRECTION_WORDS.get(address.street_name, ()) if address.street_name else ()


# Letters an OCR pass or a typist reads for digits in a unit identifier (APT IO3, UNIT I03,
# APT 4O1): issue 11, the noisy mix. Not B or S, which are unit letters too (APT 3B).
_UNIT_OCR = str.maketrans("OIL", "011")


def _unit_identifier(ident: str | None) -> str | None:
    """A dwelling identifier with its digits read back (``IO3`` -> ``103``): only one that
    has a digit and no letters but O, I or L, so ``1D`` or ``3B`` stay as they are."""
    if not ident or not any(c.isdigit() for c in ident):
        return ident
    if not set(ident) - set("0123456789OIL") and any(c in "OIL" for c in ident):
        return ident.translate(_UNIT_OCR)
    return ident


def place_feature(address: StandardAddress) -> dict[str, object] | None:
    """What the tolerant address comparison (``address:written_differently``, and
    ``address:unit_differs``) reads: house number, street name, its words and ways of writing
    it, directions, ZIP, city and state, and the unit's identifiers. Only for a street
    address with a number and a name.

    ``words`` are the name's words and the street type (``OAK STREET SUNSET`` and ``MNR`` ->
    OAK, STREET, SUNSET, MNR), so that a name followed by extra building or locality words can
    be told from the plain name. ``head`` and ``tail`` split
    a name without a type before its last word (``27TH LAHE``: a misspelt type the
    standardizer could not read); ``type_forms`` are the spellings of a typed name's type."""
    if address.kind is not AddressKind.STREET or not (address.number and address.street_name):
        return None
    name_words = address.street_name.split()
    words = [*name_words, address.street_suffix] if address.street_suffix else name_words
    dwelling, building, position, space = unit_parts(address.unit)
    city_state = f"{address.city}|{address.state}" if address.city and address.state else None
    untyped = not address.street_suffix and len(name_words) >= 2
    return {
        "number": address.number,
        "name": address.street_name,
        "words": words,
        "forms": _street_forms(address),
        "typed": bool(address.street_suffix),
        # a one-letter word: AVENUE B is not AVENUE C (a street named N for NORTH is not
        # lettered: its name is the word NORTH, compared as written out)
        "lettered": any(len(word) == 1 for word in name_words) and not _direction_named(address),
        "head": "".join(name_words[:-1]) if untyped else None,
        "tail": name_words[-1] if untyped else None,
        "type_forms": list(_type_spellings().get(address.street_suffix, ()))
        if address.street_suffix
        else None,
        # the words Pub. 28 reads as a street type (CREST, PARK): a word that is a type of
        # its own is never read as a misspelling of another type
        "type_words": [word for word in words if word in street_suffixes()] or None,
        "predir": address.predirectional or None,
        "postdir": address.postdirectional or None,
        "zip": address.zip5 or None,
        "city": city_state,
        "unit": _unit_identifier(dwelling),
        "building": building,
        "position": position,
        "space": _unit_identifier(space),
    }


def address_feature_row(street: str, city: str, state: str, zip_code: str) -> dict[str, object]:
    address = standardize_address(street or "", city or "", state or "", zip_code or "")
    city_state = f"{address.city}|{address.state}" if address.city and address.state else ""
    place = place_feature(address)
    # Number, street name and ZIP without the street type or direction: "17572 4TH" with
    # ZIP 11241 is the same place as "17572 4TH AVE", 11241.
    has_locator = bool(address.number and address.street_name and address.zip5)
    # The same without a ZIP, by city and state: a request that gives no ZIP can still name
    # the taxpayer's address exactly.
    has_city_locator = bool(
        address.number and address.street_name and address.city and address.state
    )
    return {
        "address_key": address.address_key or None,
        "street_key": address.street_key or None,
        "zip5": address.zip5 or None,
        "city_state": city_state or None,
        "locator_key": f"{address.number}|{address.street_name}|{address.zip5}"
        if has_locator
        else None,
        "locator": {"number": address.number, "name": address.street_name, "zip": address.zip5}
        if has_locator
        else None,
        "city_locator_key": f"{address.number}|{address.street_name}|{city_state}"
        if has_city_locator
        else None,
        "address_kind": str(address.kind),
        "place": place,
        # the cheap test that guards the tolerant comparison (no lambda over places)
        "house_number": place["number"] if place else None,
    }


_TEXT = pa.string()
_TEXT_LIST = pa.list_(pa.string())


def _typed(kind: pa.DataType, *names: str) -> list[tuple[str, pa.DataType]]:
    return [(name, kind) for name in names]


_NAME_SCHEMA = pa.schema(
    [
        *_typed(_TEXT, "first_name"),
        *_typed(_TEXT_LIST, "first_forms", "first_nicknames"),
        *_typed(_TEXT, "middle_name", "middle_initial", "surname", "surname_joined"),
        *_typed(_TEXT_LIST, "surname_parts"),
        *_typed(_TEXT, "suffix"),
    ]
)
_LOCATOR = pa.struct(_typed(_TEXT, "number", "name", "zip"))
_PLACE = pa.struct(
    [
        *_typed(_TEXT, "number", "name"),
        *_typed(_TEXT_LIST, "words", "forms"),
        *_typed(pa.bool_(), "typed", "lettered"),
        *_typed(_TEXT, "head", "tail"),
        *_typed(_TEXT_LIST, "type_forms", "type_words"),
        *_typed(_TEXT, "predir", "postdir", "zip", "city", "unit", "building", "position"),
        ("space", _TEXT),
    ]
)
_ADDRESS_SCHEMA = pa.schema(
    [
        *_typed(_TEXT, "address_key", "street_key", "zip5", "city_state", "locator_key"),
        ("locator", _LOCATOR),
        *_typed(_TEXT, "city_locator_key", "address_kind"),
        ("place", _PLACE),
        *_typed(_TEXT, "house_number"),
    ]
)


def standardize_distinct(
    con: duckdb.DuckDBPyConnection,
    *,
    source_sql: str,
    key_columns: tuple[str, ...],
    function: Callable[..., dict[str, object]],
    schema: pa.Schema,
    target: str,
    progress: Callable[[int], None] | None = None,
    workers: int = 1,
) -> int:
    """Standardize each distinct combination of ``key_columns`` once, into table ``target``.

    Households and repeated tax years share names and addresses, so working on distinct
    values is several times cheaper than standardizing every row. With ``workers`` > 1 the
    chunks are standardized in that many processes (``matchgate.master`` measures when it
    pays); the table is the same either way, chunk for chunk in order.
    """
    keys = ", ".join(key_columns)
    # The distinct keys in a numbered table, read a chunk at a time by number: each chunk's
    # features go into ``target`` as they come, instead of every chunk held in Python until
    # the last (at 10,000,000 people several GB of Arrow outside DuckDB's memory limit).
    numbered = f"{target}__keys"
    sql.run(
        con,
        f"CREATE OR REPLACE TEMP TABLE {numbered} AS SELECT row_number() OVER () AS position, "
        f"{keys} FROM (SELECT DISTINCT {keys} FROM ({source_sql}))",
        label=f"features.{target}.keys",
    )
    distinct = sql.fetch_int(con, f"SELECT count(*) FROM {numbered}", label=f"features.{target}")
    key_fields = [pa.field(f"key_{name}", pa.string()) for name in key_columns]
    table_schema = pa.schema(key_fields + list(schema))
    chunks = _key_chunks(con, numbered, keys, distinct)
    total = 0
    with sql.registered(con, "_standardized_arrow", table_schema.empty_table()):
        sql.run(
            con,
            f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT * FROM _standardized_arrow",
            label=f"features.{target}",
        )
    for batch in _standardized_batches(chunks, key_columns, function, table_schema, workers):
        arrow = pa.Table.from_batches([batch], schema=table_schema)
        with sql.registered(con, "_standardized_arrow", arrow):
            sql.run(
                con,
                f"INSERT INTO {target} SELECT * FROM _standardized_arrow",
                label=f"features.{target}",
            )
        total += batch.num_rows
        if progress is not None:
            progress(total)
    sql.run(con, f"DROP TABLE temp.main.{numbered}", label=f"features.{target}")
    return total


_STANDARDIZE_CHUNK = 50_000
_Chunk = TypeVar("_Chunk")


def _key_chunks(
    con: duckdb.DuckDBPyConnection, numbered: str, keys: str, distinct: int
) -> Iterator[list[tuple[Any, ...]]]:
    """The keys of the numbered table ``numbered``, ``_STANDARDIZE_CHUNK`` at a time."""
    for start in range(0, distinct, _STANDARDIZE_CHUNK):
        yield sql.fetch_all(
            con,
            f"SELECT {keys} FROM {numbered} WHERE position > ? AND position <= ? ORDER BY position",
            [start, start + _STANDARDIZE_CHUNK],
            label="features.standardize_chunk",
        )


def _standardized_batches(
    chunks: Iterator[list[tuple[Any, ...]]],
    key_columns: tuple[str, ...],
    function: Callable[..., dict[str, object]],
    table_schema: pa.Schema,
    workers: int,
) -> Iterator[pa.RecordBatch]:
    """The standardized batches of every chunk of keys, in order, in ``workers`` processes."""
    make = partial(
        _standardized_batch, key_columns=key_columns, function=function, table_schema=table_schema
    )
    yield from _in_processes(make, chunks, workers)


def _exit_with_parent(parent: int) -> None:
    """A worker's initializer: a thread that ends the worker once process ``parent`` is
    gone (killed with ``kill -9``, no shutdown reached the worker)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(parent, 0)
            except ProcessLookupError:
                os._exit(1)
            except PermissionError:  # a pid reused by another user's process
                os._exit(1)

    threading.Thread(target=watch, name="matchgate-parent-watch", daemon=True).start()


def _in_processes(
    make: Callable[[_Chunk], pa.RecordBatch], chunks: Iterable[_Chunk], workers: int
) -> Iterator[pa.RecordBatch]:
    """``make(chunk)`` of every chunk, in order, in ``workers`` processes (here for one).

    The workers are forked, so they hold this process's open files, among them the batch's
    or the preparation's lock (an ``flock``), and their task queue never tells them this
    process is gone: after a ``kill -9`` forked workers waited for tasks for ever and kept
    the lock from the run that resumes the batch. Each now watches this process and exits
    within a second of its end (:func:`_exit_with_parent`), which releases the lock. (A
    fork server's or spawned workers would hold no lock but import the main script again,
    so any script calling matchgate without a ``__main__`` guard would fail.)"""
    if workers <= 1:
        yield from map(make, chunks)
        return
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_exit_with_parent,
        initargs=(os.getpid(),),
    ) as pool:
        # At most two chunks per worker in flight: memory stays bounded on a large master.
        pending: deque[Future[pa.RecordBatch]] = deque()
        for chunk in chunks:
            pending.append(pool.submit(make, chunk))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


def _standardized_batch(
    chunk: list[tuple[Any, ...]],
    key_columns: tuple[str, ...],
    function: Callable[..., dict[str, object]],
    table_schema: pa.Schema,
) -> pa.RecordBatch:
    """One batch of distinct keys with the features ``function`` makes of them."""
    columns: dict[str, list[object]] = {name: [] for name in table_schema.names}
    feature_names = table_schema.names[len(key_columns) :]
    for values in chunk:
        for name, value in zip(key_columns, values, strict=True):
            columns[f"key_{name}"].append(value)
        features = function(*[value or "" for value in values])
        for name in feature_names:
            columns[name].append(features[name])
    return pa.RecordBatch.from_pydict(columns, schema=table_schema)


def _select_from_master_rows(columns: tuple[str, ...]) -> str:
    return f"SELECT {', '.join(columns)} FROM master_rows"


def _joined_on_keys(table: str, rows: str, columns: tuple[str, ...]) -> str:
    """Join condition of a standardized table's ``key_`` columns on the raw row's values."""
    return " AND ".join(f"{table}.key_{name} = {rows}.{name}" for name in columns)


def taxpayer_addresses_sql(*, ordered: bool = False) -> str:
    """Every (taxpayer, year) address, standardized: the filing history the request's
    address is checked against, and the source of the disclosed address. ``ordered``:
    written in TIN order (as a prepared master stores it)."""
    select = taxpayer_addresses_select()
    if ordered:
        select = f"SELECT * FROM ({select}) ORDER BY tin"
    return f"CREATE OR REPLACE TABLE taxpayer_addresses AS {select}"


def taxpayer_addresses_select(
    rows: str = "master_rows", addresses: str = "std_master_addresses"
) -> str:
    """The rows of ``taxpayer_addresses`` for the raw rows ``rows`` (a table or a
    parenthesized query): all of them, or those of the taxpayers a new tax year touched."""
    raw = ", ".join(f"m.{name}" for name in ("tin", "tax_year", *ADDRESS_FIELDS))
    return f"""
        SELECT {raw},
               a.address_key, a.street_key, a.zip5, a.city_state, a.locator_key, a.locator,
               a.city_locator_key, a.place, a.house_number
        FROM {rows} m
        LEFT JOIN {addresses} a ON {_joined_on_keys("a", "m", ADDRESS_FIELDS)}
        """


# Address history lists of ``taxpayer_features``: list column -> taxpayer_addresses column.
_ADDRESS_HISTORY_LISTS = {
    "address_keys": "address_key",
    "street_keys": "street_key",
    "zips": "zip5",
    "city_states": "city_state",
    "locator_keys": "locator_key",
    "locators": "locator",
    "city_locator_keys": "city_locator_key",
    "places": "place",
    "house_numbers": "house_number",
}


def _address_history_cte(addresses: str = "taxpayer_addresses") -> str:
    lists = ",\n".join(
        f"list_distinct(list({column}) FILTER (WHERE {column} IS NOT NULL)) AS {name}"
        for name, column in _ADDRESS_HISTORY_LISTS.items()
    )
    return f"SELECT tin, {lists} FROM {addresses} GROUP BY tin"


def taxpayer_features_sql() -> str:
    """One row per TIN: names and date of birth from the latest year filed, the names and
    addresses of every year as lists."""
    return f"CREATE OR REPLACE TABLE taxpayer_features AS {taxpayer_features_select()}"


def _feature_columns(names: str, latest: str) -> str:
    """The columns of ``taxpayer_features`` from the latest year's standardized name
    (alias ``names``), the latest row (``latest``), every year's names (``an``) and the
    address history (``h``)."""
    history = ", ".join(f"h.{name}" for name in _ADDRESS_HISTORY_LISTS)
    n, row = names, latest
    return f"""{row}.tin AS unique_id, {n}.first_name,
               coalesce(nullif(an.first_forms_any, []), {n}.first_forms) AS first_forms,
               {n}.first_nicknames, FALSE AS first_name_unrecognised,
               FALSE AS surname_unrecognised,
               {n}.middle_name, {n}.middle_initial, {n}.surname, {n}.surname_joined,
               {n}.surname_parts,
               coalesce(nullif(an.surname_parts_any, []), {n}.surname_parts) AS surname_parts_any,
               CAST(NULL AS VARCHAR[]) AS surname_first_forms,
               {n}.suffix, {row}.dob, {row}.tin, CAST(NULL AS VARCHAR) AS address_key,
               {history}"""


# Names filed under in any year: a surname used only in earlier years, or a first name
# standardized differently, still identifies the person.
_ALL_NAMES_LISTS = """
                   list_distinct(flatten(list(n.surname_parts)
                       FILTER (WHERE n.surname_parts IS NOT NULL))) AS surname_parts_any,
                   list_distinct(flatten(list(n.first_forms)
                       FILTER (WHERE n.first_forms IS NOT NULL))) AS first_forms_any"""


def taxpayer_features_select(
    rows: str = "master_rows",
    addresses: str = "taxpayer_addresses",
    names: str = "std_master_names",
) -> str:
    """The rows of ``taxpayer_features`` for the taxpayers of the raw rows ``rows`` (a
    table or a parenthesized query) and their standardized ``addresses``."""
    return f"""
        WITH latest AS (
            SELECT * FROM (
                SELECT *, row_number() OVER (PARTITION BY tin ORDER BY tax_year DESC) AS rn
                FROM {rows}
            ) WHERE rn = 1
        ),
        history AS ({_address_history_cte(addresses)}),
        all_names AS (
            SELECT m.tin, {_ALL_NAMES_LISTS}
            FROM {rows} m
            JOIN {names} n ON {_joined_on_keys("n", "m", NAME_FIELDS)}
            GROUP BY m.tin
        )
        SELECT {_feature_columns("n", "l")}
        FROM latest l
        LEFT JOIN all_names an ON an.tin = l.tin
        JOIN {names} n ON {_joined_on_keys("n", "l", NAME_FIELDS)}
        LEFT JOIN history h ON h.tin = l.tin
        """


# The standardized name columns ``named_rows`` carries for each raw row.
_NAME_FEATURE_COLUMNS = tuple(_NAME_SCHEMA.names)


def named_rows_sql(rows: str = "master_rows", names: str = "std_master_names") -> str:
    """``named_rows``: each raw row's TIN, tax year and date of birth with its standardized
    name, in TIN order, so that :func:`taxpayer_features_range_select` reads the rows of a
    range of TINs without a join with every standardized name. Every raw row has its name
    in ``names`` (they are its distinct names), so no row is lost by the join."""
    carried = ", ".join(f"n.{name}" for name in _NAME_FEATURE_COLUMNS)
    return f"""
        CREATE OR REPLACE TEMP TABLE named_rows AS
        SELECT m.tin, m.tax_year, m.dob, {carried}
        FROM {rows} m
        JOIN {names} n ON {_joined_on_keys("n", "m", NAME_FIELDS)}
        ORDER BY m.tin
        """


def taxpayer_features_range_select(
    low: str, high: str | None, addresses: str = "taxpayer_addresses", *, some: bool = False
) -> str:
    """The rows of ``taxpayer_features`` for the TINs from ``low`` up to (not including)
    ``high`` (None: to the last), in TIN order, from ``named_rows`` and ``addresses``: the
    same rows :func:`taxpayer_features_select` gives for those taxpayers. Both sources are
    stored in TIN order, so a range reads its own row groups only. ``low`` and ``high`` are
    TINs of ``master_rows`` (nine digits, checked by ``load_master``). ``some``: ``named_rows``
    holds some taxpayers only (those a new tax year touched), so only their addresses are
    read."""
    for tin in (low, high):
        if tin is not None and not (len(tin) == 9 and tin.isdigit()):
            raise ValueError(f"a TIN range bound must be nine digits, not {tin!r}")
    within = f"tin >= '{low}'" + (f" AND tin < '{high}'" if high is not None else "")
    address_rows = within + (" AND tin IN (SELECT tin FROM rows_in_range)" if some else "")
    return f"""
        WITH rows_in_range AS (SELECT * FROM named_rows WHERE {within}),
        latest AS (
            SELECT * FROM (
                SELECT *, row_number() OVER (PARTITION BY tin ORDER BY tax_year DESC) AS rn
                FROM rows_in_range
            ) WHERE rn = 1
        ),
        history AS ({_address_history_cte(f"(SELECT * FROM {addresses} WHERE {address_rows})")}),
        all_names AS (
            SELECT n.tin, {_ALL_NAMES_LISTS}
            FROM rows_in_range n
            GROUP BY n.tin
        )
        SELECT {_feature_columns("l", "l")}
        FROM latest l
        LEFT JOIN all_names an ON an.tin = l.tin
        LEFT JOIN history h ON h.tin = l.tin
        ORDER BY unique_id
        """


# Generational suffixes: a JR and an SR (or a II and a III) of one name are two people.
_GENERATIONAL = "('JR', 'SR', 'II', 'III', 'IV', 'V')"
# Birth years this far apart make two people of one name a parent and a child.
GENERATION_YEARS = (15, 45)


def taxpayer_namesakes_sql(*, ordered: bool = False) -> str:
    """``taxpayer_namesakes(tin, namesakes[], namesakes_sharing_middle[])``: for each
    taxpayer the other taxpayers of the same name linked to them in the file, wherever the
    request's address is.

    Same name: a first-name form and a surname part in common (the son filing as RODRIGUEZ,
    the father as RODRIGUEZ LOVATO). Linked: the two filed from one address in some year of
    their histories (a household that moved together), or they are a generational pair (a
    JR/SR or II/III suffix, or birth years 15-45 apart) with a ZIP in common in their
    histories. ``namesakes_sharing_middle`` are those a full middle name cannot tell apart
    (no middle name on file, or the same one or its initial).

    Built once at master preparation from two self-joins (on filed address, and on ZIP and
    first name), so the household rule reads a list per candidate instead of searching.
    ``ordered``: written in TIN order (as a prepared master stores it).
    """
    low, high = GENERATION_YEARS
    return f"""
        CREATE OR REPLACE TABLE taxpayer_namesakes AS
        WITH people AS (
            SELECT unique_id AS tin, first_name,
                   coalesce(first_forms, [first_name]) AS forms,
                   surname_parts_any AS parts, middle_name, middle_initial,
                   coalesce(suffix, '') AS suffix,
                   try_cast(substr(dob, 1, 4) AS INTEGER) AS birth_year
            FROM taxpayer_features
            WHERE first_name IS NOT NULL AND surname_parts_any IS NOT NULL
        ),
        places AS (
            SELECT DISTINCT tin, address_key FROM taxpayer_addresses
            WHERE address_key IS NOT NULL
        ),
        shared_address AS (
            SELECT DISTINCT a.tin, b.tin AS other
            FROM places a JOIN places b ON b.address_key = a.address_key AND b.tin <> a.tin
        ),
        zip_names AS (
            SELECT DISTINCT a.tin, a.zip5, p.first_name
            FROM taxpayer_addresses a JOIN people p ON p.tin = a.tin
            WHERE a.zip5 IS NOT NULL
        ),
        generational AS (
            SELECT DISTINCT a.tin, b.tin AS other
            FROM zip_names a
            JOIN zip_names b
              ON b.zip5 = a.zip5 AND b.first_name = a.first_name AND b.tin <> a.tin
            JOIN people pa ON pa.tin = a.tin
            JOIN people pb ON pb.tin = b.tin
            WHERE (pa.suffix <> pb.suffix
                   AND (pa.suffix IN {_GENERATIONAL} OR pb.suffix IN {_GENERATIONAL}))
               OR abs(pa.birth_year - pb.birth_year) BETWEEN {low} AND {high}
        ),
        linked AS (
            SELECT tin, other FROM shared_address
            UNION
            SELECT tin, other FROM generational
        )
        SELECT l.tin,
               list(l.other ORDER BY l.other) AS namesakes,
               coalesce(list(l.other ORDER BY l.other) FILTER (
                   WHERE b.middle_initial IS NULL OR a.middle_initial IS NULL
                      OR (b.middle_initial = a.middle_initial
                          AND (length(b.middle_name) = 1 OR length(a.middle_name) = 1
                               OR b.middle_name = a.middle_name))
               ), []) AS namesakes_sharing_middle
        FROM linked l
        JOIN people a ON a.tin = l.tin
        JOIN people b ON b.tin = l.other
        WHERE list_has_any(a.forms, b.forms) AND list_has_any(a.parts, b.parts)
        GROUP BY l.tin
        """ + ("ORDER BY l.tin" if ordered else "")


def _reporting(
    progress: Callable[[str, int], None] | None, step: str
) -> Callable[[int], None] | None:
    """``progress`` for one step of :func:`build_taxpayer_features`."""
    if progress is None:
        return None
    return lambda count: progress(step, count)


# What is standardized per distinct value: step -> (key columns, function, feature schema).
STANDARDIZED_STEPS: dict[
    str, tuple[tuple[str, ...], Callable[..., dict[str, object]], pa.Schema]
] = {
    "names": (NAME_FIELDS, name_feature_row, _NAME_SCHEMA),
    "addresses": (ADDRESS_FIELDS, address_feature_row, _ADDRESS_SCHEMA),
}


def build_taxpayer_features(
    con: duckdb.DuckDBPyConnection,
    *,
    progress: Callable[[str, int], None] | None = None,
    workers: int = 1,
    taxpayers_per_range: int | None = None,
) -> int:
    """Create ``taxpayer_features`` (one row per TIN), ``taxpayer_addresses`` and
    ``taxpayer_namesakes`` from ``master_rows``. Returns the number of taxpayers.

    With ``taxpayers_per_range`` (a prepared master: :mod:`matchgate.master.build`) the
    tables are written in TIN order and the features are built that many taxpayers at a
    time, by ranges of TINs, so DuckDB's memory for their lists stays bounded whatever the
    size of the master: a ``GROUP BY`` that collects lists does not spill to disk, and over
    a whole 200,000-person master it held 2.8 GB (issue 12). The rows are the same."""
    for step, (columns, function, schema) in STANDARDIZED_STEPS.items():
        standardize_distinct(
            con,
            source_sql=_select_from_master_rows(columns),
            key_columns=columns,
            function=function,
            schema=schema,
            target=f"std_master_{step}",
            progress=_reporting(progress, step),
            workers=workers,
        )
    ordered = taxpayers_per_range is not None
    sql.run(con, taxpayer_addresses_sql(ordered=ordered), label="features.taxpayer_addresses")
    if taxpayers_per_range is None:
        sql.run(con, taxpayer_features_sql(), label="features.taxpayer_features")
    else:
        _taxpayer_features_by_range(con, taxpayers_per_range)
    sql.run(con, taxpayer_namesakes_sql(ordered=ordered), label="features.taxpayer_namesakes")
    return sql.fetch_int(
        con, "SELECT count(*) FROM taxpayer_features", label="features.taxpayer_features"
    )


def tin_range_starts(con: duckdb.DuckDBPyConnection, rows: str, per_range: int) -> list[str]:
    """The first TIN of each range of ``per_range`` taxpayers of ``rows``, in order."""
    if per_range < 1:
        raise ValueError(f"taxpayers per range must be at least 1, not {per_range}")
    found = sql.fetch_all(
        con,
        f"""SELECT tin FROM (
                SELECT tin, row_number() OVER (ORDER BY tin) AS position
                FROM (SELECT DISTINCT tin FROM {rows}))
            WHERE (position - 1) % {int(per_range)} = 0 ORDER BY tin""",
        label="features.tin_ranges",
    )
    return [str(tin) for (tin,) in found]


def insert_taxpayer_features_by_range(
    con: duckdb.DuckDBPyConnection,
    target: str,
    rows: str,
    names: str,
    addresses: str,
    per_range: int,
) -> None:
    """Insert into ``target`` the features of the taxpayers of the raw rows ``rows`` (a
    parenthesized query: those a new tax year touched), ``per_range`` taxpayers at a time,
    from ``names`` and ``addresses``."""
    sql.run(con, named_rows_sql(rows, names), label="features.named_rows")
    starts = tin_range_starts(con, "named_rows", per_range)
    for index, low in enumerate(starts):
        high = starts[index + 1] if index + 1 < len(starts) else None
        select = taxpayer_features_range_select(low, high, addresses, some=True)
        sql.run(con, f"INSERT INTO {target} {select}", label="features.taxpayer_features")
    sql.run(con, "DROP TABLE temp.main.named_rows", label="features.named_rows")


def _taxpayer_features_by_range(con: duckdb.DuckDBPyConnection, per_range: int) -> None:
    """``taxpayer_features`` built ``per_range`` taxpayers at a time, in TIN order."""
    sql.run(con, named_rows_sql(), label="features.named_rows")
    starts = tin_range_starts(con, "named_rows", per_range)
    if not starts:  # no taxpayer: the table, empty, with its columns
        sql.run(
            con,
            "CREATE OR REPLACE TABLE taxpayer_features AS "
            f"{taxpayer_features_range_select('000000000', None)} LIMIT 0",
            label="features.taxpayer_features",
        )
    for index, low in enumerate(starts):
        high = starts[index + 1] if index + 1 < len(starts) else None
        select = taxpayer_features_range_select(low, high)
        statement = (
            f"CREATE OR REPLACE TABLE taxpayer_features AS {select}"
            if index == 0
            else f"INSERT INTO taxpayer_features {select}"
        )
        sql.run(con, statement, label="features.taxpayer_features")
    sql.run(con, "DROP TABLE temp.main.named_rows", label="features.named_rows")


def _surname_as_first_name_forms(name: dict[str, object]) -> list[str] | None:
    """The formal first names a one-part request surname stands for when it is really a
    first name written in the wrong field as a nickname (TURNER, MATT -> MATTHEW)."""
    parts = name["surname_parts"]
    if not isinstance(parts, list) or len(parts) != 1:
        return None
    forms = [form for form in first_name_forms(parts[0]) if form != parts[0]]
    return forms or None


@dataclass(frozen=True, slots=True)
class MatchInput:
    """The identity fields of one request row that matching looks at.

    ``values`` holds the text of each of :data:`matchgate.fields.MATCH_FIELDS`, in that order.
    """

    row_number: int
    values: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.values) != len(MATCH_FIELDS):
            raise ValueError(
                f"a match input has {len(MATCH_FIELDS)} values ({', '.join(MATCH_FIELDS)}), "
                f"not {len(self.values)}"
            )

    @classmethod
    def from_record(cls, record: Any) -> MatchInput:
        """The identity fields of a request record (``matchgate.intake.RequestRecord``)."""
        return cls(record.row_number, tuple(getattr(record, name) for name in MATCH_FIELDS))

    def as_dict(self) -> dict[str, str]:
        return dict(zip(MATCH_FIELDS, self.values, strict=True))


# A request's address lists hold its one address (a taxpayer's, the whole filing history).
# The city locator is set apart: a request with a ZIP is not matched by city.
_REQUEST_ADDRESS_LISTS = {
    name: feature for name, feature in _ADDRESS_HISTORY_LISTS.items() if name != "city_locator_keys"
}
_REQUEST_FEATURE_SCHEMA = pa.schema(
    [
        *_typed(_TEXT, "unique_id"),
        *[(f.name, f.type) for f in _NAME_SCHEMA if f.name != "suffix"],
        *_typed(pa.bool_(), "first_name_unrecognised", "surname_unrecognised"),
        *_typed(_TEXT_LIST, "surname_parts_any", "surname_first_forms"),
        *_typed(_TEXT, "suffix", "dob", "tin", "address_key"),
        *[
            (name, pa.list_(_ADDRESS_SCHEMA.field(feature).type))
            for name, feature in _REQUEST_ADDRESS_LISTS.items()
        ],
        *_typed(_TEXT_LIST, "city_locator_keys"),
        *_typed(_TEXT, "address_kind"),
    ]
)


def request_feature_row(request: MatchInput) -> dict[str, object]:
    """The features of one request, by the columns of ``request_features``."""
    fields = request.as_dict()
    name = name_feature_row(*(fields[key] for key in NAME_FIELDS))
    address = address_feature_row(*(fields[key] for key in ADDRESS_FIELDS))
    row: dict[str, object] = {"unique_id": str(request.row_number)}
    row.update((key, name[key]) for key in _NAME_SCHEMA.names)
    # set once the master file is loaded (matchgate.match.engine)
    row["first_name_unrecognised"] = False
    row["surname_unrecognised"] = False
    row["surname_parts_any"] = name["surname_parts"]
    row["surname_first_forms"] = _surname_as_first_name_forms(name)
    row["dob"] = fields["dob"] or None
    row["tin"] = (fields["tin"] or "").replace("-", "") or None
    row["address_key"] = address["address_key"]
    for list_name, feature in _REQUEST_ADDRESS_LISTS.items():
        row[list_name] = [address[feature]] if address[feature] else None
    # Only a request without a ZIP is matched by city: with a ZIP, the ZIP must agree.
    city_key = address["city_locator_key"] if not address["zip5"] else None
    row["city_locator_keys"] = [city_key] if city_key else None
    row["address_kind"] = address["address_kind"]
    ocr_place = _ocr_number_reading(address["place"])
    if ocr_place is not None:
        row["places"] = [address["place"], ocr_place]
        row["house_numbers"] = [address["house_number"], ocr_place["number"]]
    return row


# A house number whose last character is a letter an OCR engine reads for a digit (161B for
# 1618, 508S for 5085, 307L for 3071, 814O for 8140): issue 11, the noisy mix.
_OCR_LAST_DIGIT = {"B": "8", "S": "5", "L": "1", "I": "1", "O": "0"}


def _ocr_number_reading(place: object) -> dict[str, object] | None:
    """The request's place read with the house number's last letter as the digit OCR
    confuses it with, for the tolerant comparison only (``address:written_differently``:
    the street, ZIP or city and unit must still agree). A lettered number (12B) stays the
    request's first reading, so a filed 12B is found as it is; only a number of 2+ digits
    before the letter is read again (1B is too short to tell a letter from a misreading)."""
    if not isinstance(place, dict):
        return None
    number = str(place.get("number") or "")
    if len(number) < 3 or not number[:-1].isdigit() or number[-1] not in _OCR_LAST_DIGIT:
        return None
    return {**place, "number": number[:-1] + _OCR_LAST_DIGIT[number[-1]]}


# Requests per task when their features are computed in several processes, and the fewest
# requests worth starting the processes for (standardizing costs ~250 us a request: a chunk
# is ~2.5 s of one core; starting a forked worker ~50 ms).
REQUEST_CHUNK = 10_000
PARALLEL_FROM_REQUESTS = 2 * REQUEST_CHUNK


def request_feature_rows(requests: Iterable[MatchInput], *, workers: int = 1) -> pa.Table:
    """Features of request rows, as the Arrow table that becomes ``request_features``: in
    ``workers`` processes, :data:`REQUEST_CHUNK` requests a task, when there are at least
    :data:`PARALLEL_FROM_REQUESTS` of them (the same table, in the same order, either way)."""
    if workers > 1:
        rows = requests if isinstance(requests, list) else list(requests)
        if len(rows) >= PARALLEL_FROM_REQUESTS:
            chunks = (rows[at : at + REQUEST_CHUNK] for at in range(0, len(rows), REQUEST_CHUNK))
            batches = list(_in_processes(_request_feature_batch, chunks, workers))
            return pa.Table.from_batches(batches, schema=_REQUEST_FEATURE_SCHEMA)
        requests = rows
    return pa.Table.from_batches([_request_feature_batch(requests)], schema=_REQUEST_FEATURE_SCHEMA)


def _request_feature_batch(requests: Iterable[MatchInput]) -> pa.RecordBatch:
    columns: dict[str, list[object]] = {name: [] for name in _REQUEST_FEATURE_SCHEMA.names}
    for request in requests:
        for key, value in request_feature_row(request).items():
            columns[key].append(value)
    return pa.RecordBatch.from_pydict(columns, schema=_REQUEST_FEATURE_SCHEMA)
