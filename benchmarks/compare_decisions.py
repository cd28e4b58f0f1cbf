"""Are two runs' decisions the same? Compares two ``internal/decisions.csv`` files request by
request (``bench_matching.py --decisions FILE`` keeps one; so does ``matchgate run``).

    python benchmarks/compare_decisions.py BEFORE.csv AFTER.csv

Must agree: the outcome and the chosen taxpayer (``tin``) of every request, and the set of
requests. Also counted, not required: the reason codes, the runner-up, and the best
probability (to 1e-9). Prints one JSON object; exits 1 when an outcome or a chosen taxpayer
differs or a request is in one file only, 0 otherwise.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

_MUST = ("outcome", "tin")
_ALSO = ("reason_codes", "runner_up_tin")


def read_decisions(path: Path) -> dict[str, dict[str, str]]:
    """``request_id`` -> row; a duplicated or missing ``request_id`` is an error."""
    rows: dict[str, dict[str, str]] = {}
    with path.open(encoding="utf-8", newline="") as stream:
        reader = csv.DictReader(stream)
        missing = [c for c in ("request_id", *_MUST) if c not in (reader.fieldnames or [])]
        if missing:
            raise SystemExit(f"{path}: no column {', '.join(missing)}")
        for line, row in enumerate(reader, start=2):
            key = row["request_id"]
            if not key:
                raise SystemExit(f"{path}, row {line}: request_id is empty")
            if key in rows:
                raise SystemExit(f"{path}, row {line}: request_id {key} appears twice")
            rows[key] = row
    return rows


def _probability(row: dict[str, str]) -> float | None:
    text = row.get("best_probability") or ""
    try:
        return float(text)
    except ValueError:
        return None


def compare(before: dict[str, dict[str, str]], after: dict[str, dict[str, str]]) -> dict:
    only_before = sorted(set(before) - set(after))
    only_after = sorted(set(after) - set(before))
    must: list[dict[str, str]] = []
    also = dict.fromkeys(_ALSO, 0)
    probability = 0
    for key in sorted(set(before) & set(after)):
        b, a = before[key], after[key]
        if any(b[c] != a[c] for c in _MUST):
            must.append(
                {"request_id": key, **{f"{c}_before": b[c] for c in _MUST}}
                | {f"{c}_after": a[c] for c in _MUST}
            )
        for column in _ALSO:
            also[column] += b.get(column) != a.get(column)
        pb, pa_ = _probability(b), _probability(a)
        probability += (pb is None) != (pa_ is None) or (
            pb is not None and pa_ is not None and abs(pb - pa_) > 1e-9
        )
    return {
        "requests_before": len(before),
        "requests_after": len(after),
        "only_before": only_before[:20],
        "only_after": only_after[:20],
        "outcome_or_tin_differs": len(must),
        "identical": not (must or only_before or only_after),
        "examples": must[:20],
        "also_differs": also | {"best_probability": probability},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args(argv)
    result = compare(read_decisions(args.before), read_decisions(args.after))
    json.dump(result, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0 if result["identical"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
