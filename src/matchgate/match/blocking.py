"""Candidate generation: which taxpayers each request is scored against.

matchgate builds the candidate pairs itself (instead of Splink's blocking rules) so that
it can cap oversized blocks per request and say so: a request for JOSE GARCIA in a large
file would otherwise be compared with thousands of people. Within a capped block the
candidates kept are the most similar by a cheap pre-score, so the people who could be
confused with the requested person are still in the comparison; the request carries a
``block_capped`` footnote naming the rule.

Rules, each a pure function returning SQL over ``request_features`` (r) and the exploded
master key tables built by :func:`build_key_tables_sql`:

    tin            same TIN
    address        request address in the taxpayer's filing history
    name           a surname part and a first-name form in common
    dob_surname    same date of birth and same first letter of the joined surname
    dob_first      same date of birth and a first-name form in common
    swapped        request first name is a taxpayer surname part, and the other way round
    zip_surname    a ZIP in the history and a surname part in common
    street         same street and number anywhere in the history (ZIP typo, moved unit)
    locator        same number, street name and ZIP, ignoring street type and direction
    city_locator   (requests without a ZIP) same number, street name, city and state
    number_zip     same house number and ZIP, whatever the street name (a mangled street)
    dob_zip        same date of birth and a ZIP in the history (both names mangled)
    number_city    (requests without a ZIP) same house number, city and state, whatever the
                   street name
    dob_initial    same date of birth and one initial in common, either way round (a typo in
                   the name's first letters is rare; in the rest, common)
    name_phonetic  a first-name form and the Soundex or NYSIIS code of a surname part in
                   common (FAYLE / FAILE, a phonetic respelling)
    name_one_edit  one name the same and the other within one edit (a deletion-neighbourhood
                   key: NAZTHAN / NATHAN MAIER, VIEYS / VIENS)

A rule that needs two keys in common reads one key table of the two together (``mk_name``:
first-name form and surname part, for name and swapped; ``mk_zip_surname``: ZIP and surname
part), so it reads only the pairs it finds: intersecting the holders of each key read every
holder of JOSE, or of a ZIP, to keep the few who were also GARCIA (a look-up at 1,000,000
people spent 114 ms of its ~244 ms there; benchmarks/RESULTS.md). The same pairs as the
intersection: ``tests/match/test_name_keys.py``.

The noisy mix (issue 11) showed what the older rules miss: requests without a ZIP whose
street is mangled, a name typo together with a ZIP typo, swapped names with a typo.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import pyarrow as pa

from matchgate import sql
from matchgate.standardize.phonetic import phonetic_keys

__all__ = [
    "BLOCKING_RULES",
    "build_candidate_pairs",
    "build_key_tables",
    "build_key_tables_sql",
]

# Names shorter than this get no one-edit keys: an edit to a three-letter name is another name.
_EDIT_MIN_LENGTH = 4


def _deletions_sql(word: str, *, min_length: int = _EDIT_MIN_LENGTH) -> str:
    """SQL list of ``word`` and every string one character shorter (its deletion
    neighbourhood): two words within one edit (insertion, deletion, substitution or
    adjacent transposition) always share one of these. A word shorter than ``min_length``
    gets no deletions (itself only)."""
    return (
        f"CASE WHEN length({word}) >= {min_length} THEN list_prepend({word}, "
        f"list_transform(range(1, length({word}) + 1), "
        f"i -> left({word}, i - 1) || substr({word}, i + 1))) ELSE [{word}] END"
    )


def _joined_keys_sql(table: str, id_column: str, lists: str, parts: str = "surname_parts") -> str:
    """``(id, key)`` rows of ``table``: each element of the list column ``lists`` joined with
    ``|`` to each element of ``parts``, the key of the combined key tables (``mk_name``:
    first-name form and surname part; ``mk_zip_surname``: ZIP and surname part). The master's
    tables and the requests' keys are both made here, so they always agree. Names hold no
    ``|`` (A-Z, 0-9, ``-`` and spaces), ZIPs are five digits."""
    return f"""SELECT id, unnest({lists}) || '|' || part AS key
           FROM (SELECT {id_column} AS id, {lists}, unnest({parts}) AS part FROM {table}
                 WHERE {lists} IS NOT NULL AND {parts} IS NOT NULL)"""


def ordered_select(select: str, order_by: Mapping[str, str] | None, table: str) -> str:
    """``select`` with its rows in ``order_by[table]`` order, if ``table`` is there: a
    prepared master stores the tables a look-up reads by key in key order
    (``matchgate.master.store.POINT_READ_INDEXES``), written so once instead of written and
    then copied in order."""
    if not order_by or table not in order_by:
        return select
    return f"SELECT * FROM ({select}) ORDER BY {order_by[table]}"


def build_key_tables_sql(order_by: Mapping[str, str] | None = None) -> list[str]:
    """Exploded (key, tin) tables over ``taxpayer_features``; built once per master. A
    table named in ``order_by`` is written in the order of that column."""
    explode = {
        "mk_address": "address_keys",
        "mk_street": "street_keys",
        "mk_locator": "locator_keys",
        "mk_city_locator": "city_locator_keys",
    }
    selects = {
        table: f"""SELECT DISTINCT unnest({column}) AS key, unique_id AS tin
            FROM taxpayer_features WHERE {column} IS NOT NULL"""
        for table, column in explode.items()
    }
    # House number and ZIP, whatever the street name (a request's street mangled by typos).
    selects["mk_number_zip"] = """SELECT DISTINCT u.l.number || '|' || u.l.zip AS key, u.tin
           FROM (SELECT unique_id AS tin, unnest(locators) AS l FROM taxpayer_features
                 WHERE locators IS NOT NULL) u"""
    # Date of birth and a ZIP of the filing history (both names mangled).
    selects["mk_dob_zip"] = """SELECT DISTINCT f.dob || '|' || z.zip AS key, f.unique_id AS tin
           FROM (SELECT unique_id, dob, unnest(zips) AS zip FROM taxpayer_features
                 WHERE dob IS NOT NULL AND zips IS NOT NULL) z
           JOIN taxpayer_features f ON f.unique_id = z.unique_id"""
    # House number, city and state, whatever the street name (requests without a ZIP).
    selects[
        "mk_number_city"
    ] = """SELECT DISTINCT split_part(k, '|', 1) || '|' || split_part(k, '|', 3) || '|'
                  || split_part(k, '|', 4) AS key, tin
           FROM (SELECT unique_id AS tin, unnest(city_locator_keys) AS k FROM taxpayer_features
                 WHERE city_locator_keys IS NOT NULL)"""
    # A first-name form and a surname part together (the name and swapped rules), and a ZIP
    # of the history and a surname part together (zip_surname): a rule then reads the
    # holders of both at once, not every holder of a common first name, surname or ZIP to
    # intersect them. Names hold no '|' (A-Z, 0-9, '-' and spaces), ZIPs are five digits.
    for table, lists in (("mk_name", "first_forms"), ("mk_zip_surname", "zips")):
        keys = _joined_keys_sql("taxpayer_features", "unique_id", lists, "surname_parts_any")
        selects[table] = f"SELECT DISTINCT key, id AS tin FROM ({keys})"
    # One name exact and the other within one edit: first name's deletion neighbourhood
    # with a surname part, and a first-name form with a surname part's neighbourhood.
    selects[
        "mk_name_edit"
    ] = f"""SELECT DISTINCT 'F' || unnest({_deletions_sql("first_name")}) || '|' || part AS key,
                  tin
           FROM (SELECT unique_id AS tin, first_name, unnest(surname_parts_any) AS part
                 FROM taxpayer_features
                 WHERE first_name IS NOT NULL AND surname_parts_any IS NOT NULL)
           UNION
           SELECT DISTINCT 'S' || form || '|' || unnest({_deletions_sql("part")}) AS key, tin
           FROM (SELECT unique_id AS tin, unnest(first_forms) AS form, part
                 FROM (SELECT unique_id, first_forms, unnest(surname_parts_any) AS part
                       FROM taxpayer_features
                       WHERE first_forms IS NOT NULL AND surname_parts_any IS NOT NULL))"""
    selects[
        "mk_person"
    ] = """SELECT unique_id AS tin, tin AS tin_value, dob, first_name, surname_joined,
                  left(surname_joined, 1) AS surname_initial, first_forms, surname_parts
           FROM taxpayer_features"""
    return [
        f"CREATE OR REPLACE TABLE {table} AS {ordered_select(select, order_by, table)}"
        for table, select in selects.items()
    ]


def _phonetic_table(con: duckdb.DuckDBPyConnection, table: str, parts_sql: str) -> None:
    """``table(part, key)``: the phonetic keys of each distinct surname part ``parts_sql``
    yields (a one-column query), computed once per part in Python."""
    parts = [row[0] for row in sql.fetch_all(con, parts_sql, label=f"blocking.{table}.parts")]
    pairs = [(part, key) for part in parts for key in phonetic_keys(part)]
    arrow = pa.table(
        {"part": [p for p, _ in pairs], "key": [k for _, k in pairs]},
        schema=pa.schema([("part", pa.string()), ("key", pa.string())]),
    )
    # A relation on the Arrow table, not a registered view: registering is a catalog
    # change (a TEMP view), which makes DuckDB plan a look-up's prepared statements again.
    sql.run(con, f"DROP TABLE IF EXISTS {table}", label=f"blocking.{table}")
    con.from_arrow(arrow).create(table)


def build_key_tables(
    con: duckdb.DuckDBPyConnection, order_by: Mapping[str, str] | None = None
) -> None:
    """Build every master key table: :func:`build_key_tables_sql` and the phonetic ones
    (``mk_name_phonetic``: first-name form and a surname part's phonetic code). A table
    named in ``order_by`` is written in the order of that column."""
    sql.run_all(con, build_key_tables_sql(order_by), label="blocking.key_tables")
    _phonetic_table(
        con,
        "master_surname_phonetics",
        """SELECT DISTINCT unnest(surname_parts_any) FROM taxpayer_features
           WHERE surname_parts_any IS NOT NULL""",
    )
    phonetic = """SELECT DISTINCT t.form || '|' || ph.key AS key, t.tin
           FROM (SELECT tin, unnest(first_forms) AS form, part FROM (
                   SELECT unique_id AS tin, first_forms, unnest(surname_parts_any) AS part
                   FROM taxpayer_features
                   WHERE first_forms IS NOT NULL AND surname_parts_any IS NOT NULL)) t
           JOIN master_surname_phonetics ph ON ph.part = t.part"""
    sql.run(
        con,
        "CREATE OR REPLACE TABLE mk_name_phonetic AS "
        + ordered_select(phonetic, order_by, "mk_name_phonetic"),
        label="blocking.mk_name_phonetic",
    )


def _request_phonetics(con: duckdb.DuckDBPyConnection) -> None:
    """``request_name_phonetics(rid, key)``: the request side of ``name_phonetic``."""
    _phonetic_table(
        con,
        "request_surname_phonetics",
        """SELECT DISTINCT unnest(surname_parts) FROM request_features
           WHERE surname_parts IS NOT NULL""",
    )
    sql.run(
        con,
        """CREATE OR REPLACE TABLE request_name_phonetics AS
           SELECT DISTINCT r.rid, r.form || '|' || ph.key AS key
           FROM (SELECT rid, unnest(first_forms) AS form, part FROM (
                   SELECT unique_id AS rid, first_forms, unnest(surname_parts) AS part
                   FROM request_features
                   WHERE first_forms IS NOT NULL AND surname_parts IS NOT NULL)) r
           JOIN request_surname_phonetics ph ON ph.part = r.part""",
        label="blocking.request_name_phonetics",
    )


def _request_keys(column: str) -> str:
    return f"SELECT unique_id AS rid, unnest({column}) AS key FROM request_features"


BLOCKING_RULES: dict[str, str] = {
    "tin": """
        SELECT r.unique_id AS rid, p.tin FROM request_features r
        JOIN mk_person p ON p.tin_value = r.tin WHERE r.tin IS NOT NULL""",
    "address": f"""
        SELECT q.rid, m.tin FROM ({_request_keys("address_keys")}) q
        JOIN mk_address m ON m.key = q.key""",
    "name": f"""
        SELECT DISTINCT q.id AS rid, m.tin
        FROM ({_joined_keys_sql("request_features", "unique_id", "first_forms")}) q
        JOIN mk_name m ON m.key = q.key""",
    "dob_surname": """
        SELECT r.unique_id AS rid, p.tin FROM request_features r
        JOIN mk_person p ON p.dob = r.dob
         AND p.surname_initial = left(r.surname_joined, 1)
        WHERE r.dob IS NOT NULL""",
    "dob_first": """
        SELECT DISTINCT r.unique_id AS rid, p.tin FROM request_features r
        JOIN mk_person p ON p.dob = r.dob
        WHERE r.dob IS NOT NULL AND list_has_any(p.first_forms, r.first_forms)""",
    "swapped": """
        SELECT DISTINCT q.rid, m.tin FROM (
            SELECT unique_id AS rid, unnest(surname_parts) || '|' || first_name AS key
            FROM request_features
            WHERE first_name IS NOT NULL AND surname_parts IS NOT NULL) q
        JOIN mk_name m ON m.key = q.key""",
    "zip_surname": f"""
        SELECT DISTINCT q.id AS rid, m.tin
        FROM ({_joined_keys_sql("request_features", "unique_id", "zips")}) q
        JOIN mk_zip_surname m ON m.key = q.key""",
    "street": f"""
        SELECT q.rid, m.tin FROM ({_request_keys("street_keys")}) q
        JOIN mk_street m ON m.key = q.key""",
    "locator": f"""
        SELECT q.rid, m.tin FROM ({_request_keys("locator_keys")}) q
        JOIN mk_locator m ON m.key = q.key""",
    "number_zip": """
        SELECT q.rid, m.tin FROM (
            SELECT unique_id AS rid, unnest(locators) AS l FROM request_features
            WHERE locators IS NOT NULL) q
        JOIN mk_number_zip m ON m.key = q.l.number || '|' || q.l.zip""",
    "dob_zip": """
        SELECT q.rid, m.tin FROM (
            SELECT unique_id AS rid, dob || '|' || unnest(zips) AS key FROM request_features
            WHERE dob IS NOT NULL AND zips IS NOT NULL) q
        JOIN mk_dob_zip m ON m.key = q.key""",
    "number_city": """
        SELECT q.rid, m.tin FROM (
            SELECT unique_id AS rid, unnest(city_locator_keys) AS k FROM request_features
            WHERE city_locator_keys IS NOT NULL) q
        JOIN mk_number_city m ON m.key = split_part(q.k, '|', 1) || '|'
             || split_part(q.k, '|', 3) || '|' || split_part(q.k, '|', 4)""",
    "dob_initial": """
        SELECT r.unique_id AS rid, p.tin FROM request_features r
        JOIN mk_person p ON p.dob = r.dob
         AND (left(p.first_name, 1) = left(r.first_name, 1)
              OR p.surname_initial = left(r.first_name, 1)
              OR left(p.first_name, 1) = left(r.surname_joined, 1))
        WHERE r.dob IS NOT NULL""",
    "name_phonetic": """
        SELECT DISTINCT q.rid, m.tin FROM request_name_phonetics q
        JOIN mk_name_phonetic m ON m.key = q.key""",
    "name_one_edit": f"""
        SELECT DISTINCT q.rid, m.tin FROM (
            SELECT rid, 'F' || unnest({_deletions_sql("first_name")}) || '|' || part AS key
            FROM (SELECT unique_id AS rid, first_name, unnest(surname_parts) AS part
                  FROM request_features
                  WHERE first_name IS NOT NULL AND surname_parts IS NOT NULL)
            UNION ALL
            SELECT rid, 'S' || form || '|' || unnest({_deletions_sql("part")}) AS key
            FROM (SELECT rid, unnest(first_forms) AS form, part
                  FROM (SELECT unique_id AS rid, first_forms, unnest(surname_parts) AS part
                        FROM request_features
                        WHERE first_forms IS NOT NULL AND surname_parts IS NOT NULL))) q
        JOIN mk_name_edit m ON m.key = q.key""",
    "city_locator": f"""
        SELECT q.rid, m.tin FROM ({_request_keys("city_locator_keys")}) q
        JOIN mk_city_locator m ON m.key = q.key""",
}

# A cheap similarity used only to choose which candidates to keep in a capped block.
_PRESCORE_SQL = """
    (CASE WHEN p.tin_value = r.tin THEN 8 ELSE 0 END)
  + (CASE WHEN p.dob = r.dob THEN 4 ELSE 0 END)
  + (CASE WHEN p.first_name = r.first_name THEN 3
          WHEN list_has_any(p.first_forms, r.first_forms) THEN 2 ELSE 0 END)
  + 3 * coalesce(jaro_winkler_similarity(p.surname_joined, r.surname_joined), 0)
  + 2 * coalesce(jaro_winkler_similarity(p.first_name, r.first_name), 0)
"""


def raw_pairs_sql() -> str:
    """``raw_pairs(rid, tin, rule)``: every pair each rule finds, before any cap."""
    union = " UNION ALL ".join(
        f"SELECT rid, tin, '{name}' AS rule FROM ({rule_sql})"
        for name, rule_sql in BLOCKING_RULES.items()
    )
    return f"CREATE OR REPLACE TEMP TABLE raw_pairs AS {union}"


def capped_blocks_sql(raw_pairs: str = "raw_pairs") -> str:
    """``capped_blocks(rid, rule, size)``: the blocks larger than the cap (bound as ``?``)
    among the pairs of ``raw_pairs``."""
    return f"""
        CREATE OR REPLACE TABLE capped_blocks AS
        SELECT rid, rule, count(*) AS size FROM {raw_pairs}
        GROUP BY rid, rule HAVING count(*) > ?
        """


def candidate_pairs_sql(raw_pairs: str = "raw_pairs") -> str:
    """``candidate_pairs(rid, tin, rules)``: in each block of ``raw_pairs`` the cap (bound
    as ``?``) most similar taxpayers by the pre-score, with every rule that found the pair."""
    return f"""
        CREATE OR REPLACE TABLE candidate_pairs AS
        WITH scored AS (
            SELECT rp.rid, rp.tin, rp.rule,
                   row_number() OVER (
                       PARTITION BY rp.rid, rp.rule
                       ORDER BY {_PRESCORE_SQL} DESC, rp.tin
                   ) AS rank_in_block
            FROM {raw_pairs} rp
            JOIN request_features r ON r.unique_id = rp.rid
            JOIN mk_person p ON p.tin = rp.tin
        )
        SELECT rid, tin, list_sort(list_distinct(list(rule))) AS rules
        FROM scored WHERE rank_in_block <= ?
        GROUP BY rid, tin
        """


def build_candidate_pairs(con: duckdb.DuckDBPyConnection, *, block_cap: int) -> dict[str, int]:
    """Create ``candidate_pairs(rid, tin, rules)`` and ``capped_blocks(rid, rule, size)``.

    Returns counts: pairs, requests with at least one candidate, capped blocks.
    """
    _request_phonetics(con)
    sql.run(con, raw_pairs_sql(), label="blocking.raw_pairs")
    sql.run(con, capped_blocks_sql(), [block_cap], label="blocking.capped_blocks")
    sql.run(con, candidate_pairs_sql(), [block_cap], label="blocking.candidate_pairs")
    sql.run(con, "DROP TABLE raw_pairs", label="blocking.raw_pairs")
    row = sql.fetch_one(
        con,
        "SELECT count(*), count(DISTINCT rid) FROM candidate_pairs",
        label="blocking.counts",
    )
    capped = sql.fetch_int(con, "SELECT count(*) FROM capped_blocks", label="blocking.counts")
    return {
        "pairs": int(row[0]) if row else 0,
        "requests_with_candidates": int(row[1]) if row else 0,
        "capped_blocks": capped,
    }
