"""Standardized matching features for taxpayers and requests, built in DuckDB.

Both sides get the same columns so Splink can compare them:

    unique_id, first_name, first_forms[], middle_name, middle_initial, surname,
    surname_joined, surname_parts[], suffix, dob, tin, address_key (the request's own,
    empty for taxpayers), address_keys[], street_keys[], zips[], city_states[]

A taxpayer's address lists hold every address filed from in any tax year, so the request's
address is compared with the whole filing history, not only the latest address.

Only identity columns are ever read from the master file: employer, income, dependents and
anything else the discloser holds never enter matchgate's database (minimization by
construction, not by filtering at the end).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from matchgate.errors import MasterFileError
from matchgate.standardize import (
    first_name_forms,
    nicknames_of,
    standardize_address,
    standardize_name,
)

__all__ = [
    "MASTER_IDENTITY_COLUMNS",
    "MasterReport",
    "build_taxpayer_features",
    "load_master",
    "name_feature_row",
]

# The only master-file columns matchgate reads. Everything else stays in the file.
MASTER_IDENTITY_COLUMNS = (
    "tin",
    "tin_type",
    "tax_year",
    "first_name",
    "middle_name",
    "last_name",
    "suffix",
    "dob",
    "street",
    "city",
    "state",
    "zip",
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


def load_master(con: duckdb.DuckDBPyConnection, path: Path) -> MasterReport:
    """Load the identity columns of the master file into ``master_rows`` and report problems.

    Rows without a TIN, a name or a valid tax year cannot be candidates and are counted
    as problems; duplicate (tin, tax_year) rows keep one row.
    """
    if not path.exists():
        raise MasterFileError("file not found", path=path)
    relation, params = _master_relation_sql(path)
    try:
        columns = [
            row[0] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}", params).fetchall()
        ]
    except duckdb.Error as exc:
        raise MasterFileError(f"cannot read the master file ({exc})", path=path) from exc
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
    select = []
    for name in MASTER_IDENTITY_COLUMNS:
        if name in lowered:
            expr = f"coalesce(trim(CAST(\"{lowered[name]}\" AS VARCHAR)), '')"
        else:
            expr = _OPTIONAL_MASTER_COLUMNS[name]
        select.append(f"{expr} AS {name}")
    try:
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE master_raw AS "
            f"SELECT {', '.join(select)} FROM {relation}",
            params,
        )
    except duckdb.Error as exc:
        raise MasterFileError(f"cannot read the master file ({exc})", path=path) from exc

    report = MasterReport(path=str(path))
    report.rows = _scalar(con, "SELECT count(*) FROM master_raw")
    checks = {
        "missing_tin": "coalesce(tin, '') = ''",
        "bad_tin": "coalesce(tin, '') <> '' AND NOT regexp_full_match(tin, '[0-9]{9}')",
        "bad_tax_year": "try_cast(tax_year AS INTEGER) IS NULL",
        "missing_last_name": "coalesce(last_name, '') = ''",
        "missing_first_name": "coalesce(first_name, '') = ''",
        "bad_dob": "coalesce(dob, '') <> '' AND try_strptime(dob, '%Y-%m-%d') IS NULL",
        "missing_address": "coalesce(street, '') = ''",
    }
    for code, condition in checks.items():
        count = _scalar(con, f"SELECT count(*) FROM master_raw WHERE {condition}")
        if count:
            report.problems[code] = count
    duplicates = _scalar(
        con,
        "SELECT coalesce(sum(n - 1), 0) FROM (SELECT count(*) AS n FROM master_raw "
        "GROUP BY tin, tax_year HAVING count(*) > 1)",
    )
    if duplicates:
        report.problems["duplicate_tin_year"] = duplicates
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE master_rows AS
        SELECT tin, tin_type, CAST(tax_year AS INTEGER) AS tax_year, first_name, middle_name,
               last_name, suffix,
               CASE WHEN try_strptime(dob, '%Y-%m-%d') IS NULL THEN NULL ELSE dob END AS dob,
               street, city, state, zip
        FROM (
            SELECT *, row_number() OVER (
                PARTITION BY tin, tax_year ORDER BY street, first_name, last_name
            ) AS copy_number
            FROM master_raw
            WHERE regexp_full_match(coalesce(tin, ''), '[0-9]{9}')
              AND try_cast(tax_year AS INTEGER) IS NOT NULL
              AND coalesce(last_name, '') <> ''
        )
        WHERE copy_number = 1
        """
    )
    con.execute("DROP TABLE master_raw")
    report.taxpayers = _scalar(con, "SELECT count(DISTINCT tin) FROM master_rows")
    return report


def _scalar(con: duckdb.DuckDBPyConnection, sql: str) -> int:
    row = con.execute(sql).fetchone()
    return int(row[0]) if row and row[0] is not None else 0


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


def address_feature_row(street: str, city: str, state: str, zip_code: str) -> dict[str, object]:
    address = standardize_address(street or "", city or "", state or "", zip_code or "")
    city_state = f"{address.city}|{address.state}" if address.city and address.state else ""
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
    }


_NAME_SCHEMA = pa.schema(
    [
        ("first_name", pa.string()),
        ("first_forms", pa.list_(pa.string())),
        ("first_nicknames", pa.list_(pa.string())),
        ("middle_name", pa.string()),
        ("middle_initial", pa.string()),
        ("surname", pa.string()),
        ("surname_joined", pa.string()),
        ("surname_parts", pa.list_(pa.string())),
        ("suffix", pa.string()),
    ]
)
_LOCATOR = pa.struct([("number", pa.string()), ("name", pa.string()), ("zip", pa.string())])
_ADDRESS_SCHEMA = pa.schema(
    [
        ("address_key", pa.string()),
        ("street_key", pa.string()),
        ("zip5", pa.string()),
        ("city_state", pa.string()),
        ("locator_key", pa.string()),
        ("locator", _LOCATOR),
        ("city_locator_key", pa.string()),
        ("address_kind", pa.string()),
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
) -> int:
    """Standardize each distinct combination of ``key_columns`` once, into table ``target``.

    Households and repeated tax years share names and addresses, so working on distinct
    values is several times cheaper than standardizing every row.
    """
    keys = ", ".join(key_columns)
    cursor = con.execute(f"SELECT DISTINCT {keys} FROM ({source_sql})")
    batches: list[pa.RecordBatch] = []
    total = 0
    while True:
        chunk = cursor.fetchmany(50_000)
        if not chunk:
            break
        columns: dict[str, list[object]] = {f"key_{name}": [] for name in key_columns}
        columns.update({name: [] for name in schema.names})
        for values in chunk:
            for name, value in zip(key_columns, values, strict=True):
                columns[f"key_{name}"].append(value)
            features = function(*[value or "" for value in values])
            for name in schema.names:
                columns[name].append(features[name])
        key_fields = [pa.field(f"key_{name}", pa.string()) for name in key_columns]
        batches.append(
            pa.RecordBatch.from_pydict(columns, schema=pa.schema(key_fields + list(schema)))
        )
        total += len(chunk)
        if progress is not None:
            progress(total)
    key_fields = [pa.field(f"key_{name}", pa.string()) for name in key_columns]
    table = pa.Table.from_batches(batches, schema=pa.schema(key_fields + list(schema)))
    con.register("_standardized_arrow", table)
    con.execute(f"CREATE OR REPLACE TEMP TABLE {target} AS SELECT * FROM _standardized_arrow")
    con.unregister("_standardized_arrow")
    return total


def build_taxpayer_features(
    con: duckdb.DuckDBPyConnection, *, progress: Callable[[str, int], None] | None = None
) -> int:
    """Create ``taxpayer_features`` (one row per TIN) and ``taxpayer_addresses`` from
    ``master_rows``. Returns the number of taxpayers."""
    standardize_distinct(
        con,
        source_sql="SELECT first_name, middle_name, last_name, suffix FROM master_rows",
        key_columns=("first_name", "middle_name", "last_name", "suffix"),
        function=name_feature_row,
        schema=_NAME_SCHEMA,
        target="std_master_names",
        progress=(lambda n: progress("names", n)) if progress else None,
    )
    standardize_distinct(
        con,
        source_sql="SELECT street, city, state, zip FROM master_rows",
        key_columns=("street", "city", "state", "zip"),
        function=address_feature_row,
        schema=_ADDRESS_SCHEMA,
        target="std_master_addresses",
        progress=(lambda n: progress("addresses", n)) if progress else None,
    )
    # Every (taxpayer, year) address, standardized: the filing history the request's
    # address is checked against, and the source of the disclosed address.
    con.execute(
        """
        CREATE OR REPLACE TABLE taxpayer_addresses AS
        SELECT m.tin, m.tax_year, m.street, m.city, m.state, m.zip,
               a.address_key, a.street_key, a.zip5, a.city_state, a.locator_key, a.locator,
               a.city_locator_key
        FROM master_rows m
        LEFT JOIN std_master_addresses a
          ON a.key_street = m.street AND a.key_city = m.city
         AND a.key_state = m.state AND a.key_zip = m.zip
        """
    )
    # Names and date of birth come from the latest year filed.
    con.execute(
        """
        CREATE OR REPLACE TABLE taxpayer_features AS
        WITH latest AS (
            SELECT * FROM (
                SELECT *, row_number() OVER (PARTITION BY tin ORDER BY tax_year DESC) AS rn
                FROM master_rows
            ) WHERE rn = 1
        ),
        history AS (
            SELECT tin,
                   list_distinct(list(address_key) FILTER (WHERE address_key IS NOT NULL))
                       AS address_keys,
                   list_distinct(list(street_key) FILTER (WHERE street_key IS NOT NULL))
                       AS street_keys,
                   list_distinct(list(zip5) FILTER (WHERE zip5 IS NOT NULL)) AS zips,
                   list_distinct(list(city_state) FILTER (WHERE city_state IS NOT NULL))
                       AS city_states,
                   list_distinct(list(locator_key) FILTER (WHERE locator_key IS NOT NULL))
                       AS locator_keys,
                   list_distinct(list(locator) FILTER (WHERE locator IS NOT NULL)) AS locators,
                   list_distinct(list(city_locator_key)
                       FILTER (WHERE city_locator_key IS NOT NULL)) AS city_locator_keys
            FROM taxpayer_addresses GROUP BY tin
        ),
        -- Names filed under in any year: a surname used only in earlier years, or a
        -- first name standardized differently, still identifies the person.
        all_names AS (
            SELECT m.tin,
                   list_distinct(flatten(list(n.surname_parts)
                       FILTER (WHERE n.surname_parts IS NOT NULL))) AS surname_parts_any,
                   list_distinct(flatten(list(n.first_forms)
                       FILTER (WHERE n.first_forms IS NOT NULL))) AS first_forms_any
            FROM master_rows m
            JOIN std_master_names n
              ON n.key_first_name = m.first_name AND n.key_middle_name = m.middle_name
             AND n.key_last_name = m.last_name AND n.key_suffix = m.suffix
            GROUP BY m.tin
        )
        SELECT l.tin AS unique_id, n.first_name,
               coalesce(nullif(an.first_forms_any, []), n.first_forms) AS first_forms,
               n.first_nicknames, FALSE AS first_name_unrecognised,
               FALSE AS surname_unrecognised,
               n.middle_name, n.middle_initial, n.surname, n.surname_joined, n.surname_parts,
               coalesce(nullif(an.surname_parts_any, []), n.surname_parts) AS surname_parts_any,
               CAST(NULL AS VARCHAR[]) AS surname_first_forms,
               n.suffix, l.dob, l.tin, CAST(NULL AS VARCHAR) AS address_key,
               h.address_keys, h.street_keys, h.zips, h.city_states, h.locator_keys, h.locators,
               h.city_locator_keys
        FROM latest l
        LEFT JOIN all_names an ON an.tin = l.tin
        JOIN std_master_names n
          ON n.key_first_name = l.first_name AND n.key_middle_name = l.middle_name
         AND n.key_last_name = l.last_name AND n.key_suffix = l.suffix
        LEFT JOIN history h ON h.tin = l.tin
        """
    )
    return _scalar(con, "SELECT count(*) FROM taxpayer_features")


def _surname_as_first_name_forms(name: dict[str, object]) -> list[str] | None:
    """The formal first names a one-part request surname stands for when it is really a
    first name written in the wrong field as a nickname (TURNER, MATT -> MATTHEW)."""
    parts = name["surname_parts"]
    if not isinstance(parts, list) or len(parts) != 1:
        return None
    forms = [form for form in first_name_forms(parts[0]) if form != parts[0]]
    return forms or None


def request_feature_rows(
    records: Iterable[tuple[int, str, str, str, str, str, str, str, str, str, str]],
) -> pa.Table:
    """Features for request rows given as
    (row_number, first, middle, last, suffix, dob, tin, street, city, state, zip)."""
    rows: dict[str, list[object]] = {
        name: []
        for name in (
            "unique_id",
            "first_name",
            "first_forms",
            "first_nicknames",
            "first_name_unrecognised",
            "surname_unrecognised",
            "middle_name",
            "middle_initial",
            "surname",
            "surname_joined",
            "surname_parts",
            "surname_parts_any",
            "surname_first_forms",
            "suffix",
            "dob",
            "tin",
            "address_key",
            "address_keys",
            "street_keys",
            "zips",
            "city_states",
            "locator_keys",
            "locators",
            "city_locator_keys",
            "address_kind",
        )
    }
    for row_number, first, middle, last, suffix, dob, tin, street, city, state, zip_code in records:
        name = name_feature_row(first, middle, last, suffix)
        address = address_feature_row(street, city, state, zip_code)
        rows["unique_id"].append(str(row_number))
        for key in _NAME_SCHEMA.names:
            rows[key].append(name[key])
        # set once the master file is loaded (matchgate.match.engine)
        rows["first_name_unrecognised"].append(False)
        rows["surname_unrecognised"].append(False)
        rows["surname_parts_any"].append(name["surname_parts"])
        rows["surname_first_forms"].append(_surname_as_first_name_forms(name))
        rows["dob"].append(dob or None)
        rows["tin"].append((tin or "").replace("-", "") or None)
        rows["address_key"].append(address["address_key"])
        rows["address_keys"].append([address["address_key"]] if address["address_key"] else None)
        rows["street_keys"].append([address["street_key"]] if address["street_key"] else None)
        rows["zips"].append([address["zip5"]] if address["zip5"] else None)
        rows["city_states"].append([address["city_state"]] if address["city_state"] else None)
        rows["locator_keys"].append([address["locator_key"]] if address["locator_key"] else None)
        rows["locators"].append([address["locator"]] if address["locator"] else None)
        # Only a request without a ZIP is matched by city: with a ZIP, the ZIP must agree.
        city_key = address["city_locator_key"] if not address["zip5"] else None
        rows["city_locator_keys"].append([city_key] if city_key else None)
        rows["address_kind"].append(address["address_kind"])
    return pa.table(
        rows,
        schema=pa.schema(
            [
                ("unique_id", pa.string()),
                *[(f.name, f.type) for f in _NAME_SCHEMA if f.name != "suffix"],
                ("first_name_unrecognised", pa.bool_()),
                ("surname_unrecognised", pa.bool_()),
                ("surname_parts_any", pa.list_(pa.string())),
                ("surname_first_forms", pa.list_(pa.string())),
                ("suffix", pa.string()),
                ("dob", pa.string()),
                ("tin", pa.string()),
                ("address_key", pa.string()),
                ("address_keys", pa.list_(pa.string())),
                ("street_keys", pa.list_(pa.string())),
                ("zips", pa.list_(pa.string())),
                ("city_states", pa.list_(pa.string())),
                ("locator_keys", pa.list_(pa.string())),
                ("locators", pa.list_(_LOCATOR)),
                ("city_locator_keys", pa.list_(pa.string())),
                ("address_kind", pa.string()),
            ]
        ),
    )
