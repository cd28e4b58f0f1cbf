"""The known first names one edit from a request's misspelt first name
(``first_name_neighbours_sql``), found through deletion variants, are exactly those a
comparison with every known name finds (Damerau-Levenshtein within one)."""

from __future__ import annotations

import random

import duckdb
import pyarrow as pa

from matchgate.match.engine import first_name_neighbours_sql, first_name_variants_sql


def _random_names(rng: random.Random, count: int) -> list[str]:
    letters = "AEIMNORU"  # few letters: many names one edit apart
    return sorted(
        {"".join(rng.choice(letters) for _ in range(rng.randint(1, 7))) for _ in range(count)}
    )


def _edits(name: str, rng: random.Random) -> str:
    chars = list(name)
    kind = rng.choice(("insert", "delete", "substitute", "transpose", "none", "two"))
    position = rng.randrange(len(chars) + 1)
    if kind == "insert":
        chars.insert(position, rng.choice("AEIMNORU"))
    elif kind == "delete" and len(chars) > 1:
        del chars[min(position, len(chars) - 1)]
    elif kind == "substitute":
        chars[min(position, len(chars) - 1)] = rng.choice("AEIMNORU")
    elif kind == "transpose" and len(chars) > 1:
        i = min(position, len(chars) - 2)
        chars[i], chars[i + 1] = chars[i + 1], chars[i]
    elif kind == "two":
        chars.insert(position, "U")
        chars.insert(0, "O")
    return "".join(chars)


def test_neighbours_by_variants_equal_a_comparison_with_every_name() -> None:
    rng = random.Random(7)
    known = _random_names(rng, 400)
    asked = [_edits(rng.choice(known), rng) for _ in range(600)] + ["", "A", "MARIAUNA"]
    con = duckdb.connect()
    con.register("_seen_arrow", pa.table({"name": known}))
    con.execute("CREATE TABLE seen AS SELECT name FROM _seen_arrow")
    con.register(
        "_asked_arrow",
        pa.table({"unique_id": [str(i) for i in range(len(asked))], "first_name": asked}),
    )
    con.execute(
        "CREATE TABLE request_features AS SELECT unique_id, first_name, "
        "length(first_name) > 0 AS first_name_unrecognised FROM _asked_arrow"
    )
    con.execute(first_name_variants_sql("seen", into="variants"))
    con.execute(first_name_neighbours_sql("variants", into="neighbours"))
    found = {rid: list(names) for rid, names in con.execute("SELECT * FROM neighbours").fetchall()}
    brute = {
        rid: names
        for rid, names in con.execute(
            """SELECT r.unique_id, list_sort(list(s.name)) FROM request_features r, seen s
               WHERE r.first_name_unrecognised AND damerau_levenshtein(r.first_name, s.name) <= 1
               GROUP BY r.unique_id"""
        ).fetchall()
    }
    assert found == {rid: list(names) for rid, names in brute.items()}
    assert len(found) > 300  # the edits do land near known names
    assert any(len(names) > 1 for names in found.values())
