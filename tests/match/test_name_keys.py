"""The name and swapped rules read ``mk_name`` (first-name form and surname part together),
zip_surname ``mk_zip_surname`` (ZIP and surname part together; STORAGE_VERSION 3), and they
find exactly the pairs they found before, when they intersected the holders of a first-name
form or a ZIP (``mk_first_form``, ``mk_zip``, rebuilt here as preparation built them) with
the holders of a surname part (``mk_surname_part``).

Compared through the real blocking code on a prepared stress world whose requests are also
asked with first name and surname swapped and with one part of a compound surname only:
every rule's raw pairs, the batch's candidate pairs and capped blocks (with the policy's cap
and with a cap of 2), and each look-up's (``CompiledScorer``) candidate pairs and capped
blocks, old rules against new.
"""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from matchgate import sql
from matchgate.batch.workspace import connect_duckdb
from matchgate.intake.read import record_from_fields
from matchgate.master import attach_prepared, ensure_prepared
from matchgate.match import MatchInput, MatchModel, MatchPolicy, blocking
from matchgate.match.blocking import BLOCKING_RULES, build_candidate_pairs
from matchgate.match.compiled import CompiledScorer
from matchgate.match.engine import load_requests_for_matching
from matchgate.synth import generate_world

# The rules as they were before mk_name, word for word.
OLD_RULES = {
    "name": """
        SELECT DISTINCT s.rid, s.tin FROM (
            SELECT q.rid, m.tin FROM (
                SELECT unique_id AS rid, unnest(surname_parts) AS key FROM request_features) q
            JOIN mk_surname_part m ON m.key = q.key) s
        JOIN (SELECT q.rid, m.tin FROM (
                SELECT unique_id AS rid, unnest(first_forms) AS key FROM request_features) q
              JOIN mk_first_form m ON m.key = q.key) f
          ON f.rid = s.rid AND f.tin = s.tin""",
    "swapped": """
        SELECT DISTINCT s.rid, s.tin FROM (
            SELECT r.unique_id AS rid, m.tin FROM request_features r
            JOIN mk_surname_part m ON m.key = r.first_name) s
        JOIN (SELECT q.rid, m.tin FROM (
                SELECT unique_id AS rid, unnest(surname_parts) AS key FROM request_features) q
              JOIN mk_first_form m ON m.key = q.key) f
          ON f.rid = s.rid AND f.tin = s.tin""",
    "zip_surname": """
        SELECT DISTINCT z.rid, z.tin FROM (
            SELECT q.rid, m.tin FROM (
                SELECT unique_id AS rid, unnest(zips) AS key FROM request_features) q
            JOIN mk_zip m ON m.key = q.key) z
        JOIN (SELECT q.rid, m.tin FROM (
                SELECT unique_id AS rid, unnest(surname_parts) AS key FROM request_features) q
              JOIN mk_surname_part m ON m.key = q.key) s
          ON s.rid = z.rid AND s.tin = z.tin""",
}
# The key tables those rules read, as preparation built them before STORAGE_VERSION 3.
OLD_KEY_TABLES = {
    "mk_first_form": "first_forms",
    "mk_surname_part": "surname_parts_any",
    "mk_zip": "zips",
}


# The kinds of name pair the comparison must hold: through a first-name form other than the
# name (a nickname), through one part of a compound surname, through a surname only an
# earlier filing holds.
_NAME_KINDS = {
    "nickname": "p.first_name <> r.first_name",
    "compound surname": "len(p.surname_parts) > 1 AND p.surname_joined <> r.surname_joined",
    "earlier surname": "NOT list_has_any(p.surname_parts, r.surname_parts)",
}


@dataclasses.dataclass
class Scene:
    con: duckdb.DuckDBPyConnection
    requests: list[MatchInput]


def _variants(rows: list[dict[str, str]]) -> Iterator[dict[str, str]]:
    """Each request as asked, with first name and surname swapped, and (compound surnames)
    with the last part of the surname only."""
    for row in rows:
        yield row
        yield {**row, "first_name": row["last_name"], "last_name": row["first_name"]}
        parts = row["last_name"].replace("-", " ").split()
        if len(parts) > 1:
            yield {**row, "last_name": parts[-1]}


def _file_earlier_surnames(master: Path, out: Path) -> None:
    """``master`` with 40 taxpayers' first filed year under another taxpayer's surname (the
    generator files one surname a person): a surname only an earlier filing holds."""
    con = duckdb.connect()
    try:
        con.execute(
            f"""COPY (
                WITH firsts AS (
                    SELECT tin, min(tax_year) AS tax_year FROM read_parquet('{master}')
                    GROUP BY tin HAVING count(*) > 1 ORDER BY tin LIMIT 40),
                other AS (
                    SELECT f.tin, f.tax_year, o.last_name FROM (
                        SELECT *, row_number() OVER (ORDER BY tin) AS n FROM firsts) f
                    JOIN (SELECT tin, any_value(last_name) AS last_name,
                                 row_number() OVER (ORDER BY tin DESC) AS n
                          FROM read_parquet('{master}') GROUP BY tin) o ON o.n = f.n)
                SELECT m.* REPLACE (coalesce(o.last_name, m.last_name) AS last_name)
                FROM read_parquet('{master}') m
                LEFT JOIN other o ON o.tin = m.tin AND o.tax_year = m.tax_year
            ) TO '{out}' (FORMAT parquet)"""
        )
    finally:
        con.close()


def _earlier_names(master: Path, template: dict[str, str]) -> Iterator[dict[str, str]]:
    """Requests for 40 taxpayers under the name of their first filed year where it is not
    the name of their latest (a surname used only in earlier years: ``surname_parts_any``)."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            f"""SELECT first_name, last_name, street, city, state, zip FROM (
                    SELECT *, row_number() OVER (PARTITION BY tin ORDER BY tax_year) AS first,
                           last_value(last_name) OVER (
                               PARTITION BY tin ORDER BY tax_year
                               ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING
                           ) AS latest
                    FROM read_parquet('{master}'))
                WHERE first = 1 AND last_name IS DISTINCT FROM latest
                ORDER BY tin LIMIT 40"""
        ).fetchall()
    finally:
        con.close()
    for first_name, last_name, street, city, state, zip_code in rows:
        yield {
            **template,
            "first_name": first_name,
            "last_name": last_name,
            "street": street,
            "city": city,
            "state": state,
            "zip": zip_code,
            "dob": "",
            "tin": "",
        }


@pytest.fixture(scope="module")
def scene(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scene]:
    world = tmp_path_factory.mktemp("name-keys-world")
    generate_world(world, people=1500, requests=120, seed=41, request_mix="stress")
    master = world / "earlier-surnames.parquet"
    _file_earlier_surnames(world / "master.parquet", master)
    prepared = ensure_prepared(master, tmp_path_factory.mktemp("ws"))
    con = connect_duckdb()
    attach_prepared(con, prepared)
    for table, column in OLD_KEY_TABLES.items():
        sql.run(
            con,
            f"""CREATE OR REPLACE TEMP TABLE {table} AS
                SELECT DISTINCT unnest({column}) AS key, unique_id AS tin
                FROM taxpayer_features WHERE {column} IS NOT NULL""",
            label="test.old_key_tables",
        )
    with (world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        rows = list(csv.DictReader(stream))
    requests = []
    asked = [*_variants(rows), *_earlier_names(master, rows[0])]
    for number, row in enumerate(asked, start=1):
        record = record_from_fields(number, row)
        if not record.problems:
            requests.append(MatchInput.from_record(record))
    yield Scene(con=con, requests=requests)
    con.close()


def _pairs(con: duckdb.DuckDBPyConnection, rule_sql: str) -> set[tuple[str, str]]:
    return {(str(r), str(t)) for r, t in sql.fetch_all(con, rule_sql, label="test.rule")}


def _blocks(con: duckdb.DuckDBPyConnection) -> tuple[set[tuple[object, ...]], ...]:
    candidates = sql.fetch_all(
        con, "SELECT rid, tin, rules FROM candidate_pairs", label="test.candidates"
    )
    capped = sql.fetch_all(con, "SELECT rid, rule, size FROM capped_blocks", label="test.capped")
    return (
        {(str(r), str(t), tuple(rules)) for r, t, rules in candidates},
        {(str(r), str(rule), int(size)) for r, rule, size in capped},
    )


def test_the_rules_find_the_same_pairs(scene: Scene) -> None:
    con = scene.con
    load_requests_for_matching(con, scene.requests)
    for rule, old_sql in OLD_RULES.items():
        assert _pairs(con, BLOCKING_RULES[rule]) == _pairs(con, old_sql), rule
    # The world holds what the comparison is about (_NAME_KINDS, and swapped names).
    found = sql.fetch_one(
        con,
        "SELECT "
        + ", ".join(f"count(*) FILTER (WHERE {kind})" for kind in _NAME_KINDS.values())
        + f""" FROM ({BLOCKING_RULES["name"]}) n
            JOIN request_features r ON r.unique_id = n.rid
            JOIN mk_person p ON p.tin = n.tin""",
        label="test.coverage",
    )
    assert found is not None and all(count > 0 for count in found), found
    assert _pairs(con, BLOCKING_RULES["swapped"])


@pytest.mark.parametrize("block_cap", [MatchPolicy().block_cap, 2])
def test_the_batch_blocks_are_the_same(
    scene: Scene, block_cap: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    con = scene.con
    load_requests_for_matching(con, scene.requests)
    build_candidate_pairs(con, block_cap=block_cap)
    new = _blocks(con)
    with monkeypatch.context() as patch:
        for rule, old_sql in OLD_RULES.items():
            patch.setitem(blocking.BLOCKING_RULES, rule, old_sql)
        build_candidate_pairs(con, block_cap=block_cap)
        old = _blocks(con)
    assert new == old
    rules = {rule for _, _, found in new[0] for rule in found}
    assert set(OLD_RULES) <= rules
    if block_cap == 2:
        assert {"name", "zip_surname"} <= {rule for _, rule, _ in new[1]}


def test_each_look_up_blocks_as_before(scene: Scene) -> None:
    con = scene.con
    load_requests_for_matching(con, scene.requests)
    # (Every request once is ~30 s: up to 5 requests of each kind the name rule finds, 5
    # the swapped rule finds, 3 neither finds.)
    chosen: set[int] = set()
    for kind in (*_NAME_KINDS.values(), "true"):
        found = sql.fetch_all(
            con,
            f"""SELECT DISTINCT n.rid FROM ({BLOCKING_RULES["name"]}) n
                JOIN request_features r ON r.unique_id = n.rid
                JOIN mk_person p ON p.tin = n.tin
                WHERE {kind} ORDER BY n.rid::INTEGER LIMIT 5""",
            label="test.kinds",
        )
        assert found, kind
        chosen |= {int(rid) for (rid,) in found}
    swapped = sorted(int(rid) for rid, _ in _pairs(con, BLOCKING_RULES["swapped"]))
    chosen |= set(swapped[:5])
    named = {int(rid) for rid, _ in _pairs(con, BLOCKING_RULES["name"])} | set(swapped)
    chosen |= {r.row_number for r in scene.requests if r.row_number not in named}
    chosen -= set(sorted(chosen - named)[3:])
    scorer = CompiledScorer(
        con, model=MatchModel.from_priors(), taxpayers=1500, policy=MatchPolicy()
    )
    new_rules = dict(scorer._rules)
    old_rules = {**new_rules, **OLD_RULES}
    seen: set[str] = set()
    for request in scene.requests:
        if request.row_number not in chosen:
            continue
        scorer.load([request])
        blocks = {}
        for name, rules in (("new", new_rules), ("old", old_rules)):
            scorer._rules = rules
            scorer._candidate_pairs()
            blocks[name] = _blocks(con)
        assert blocks["new"] == blocks["old"], request.row_number
        seen |= {rule for _, _, rules in blocks["new"][0] for rule in rules}
    assert set(OLD_RULES) <= seen
