"""Score a batch's decisions against ground truth (synthetic worlds, or labelled data).

``truth.csv`` has ``request_id, tin`` (tin empty when the person is not in the master
file) and optionally ``hazards`` (``;``-joined tags), ``legally_sufficient`` and
``filed_in_periods``. ``decisions.csv`` is the internal file ``run`` and ``match`` write.

A wrong-person disclosure is a disclosed row whose TIN is not the true TIN (including
every disclosure about someone who is not in the file). Recall is the share of in-file,
legally sufficient requests disclosed to the right person. When the truth says whether
the person filed a return in a requested tax year (``filed_in_periods``), recall of
answerable requests leaves out those who did not: there is no address from those years
that any lawful answer could give, and the right answer (``no_filing_in_periods``) is not
a disclosure. Recall of right answers counts both over every in-file, legally sufficient
request: the right person's address disclosed, or the right person found and told to have
filed no return in the requested periods. A person found who is not the right one counts
as a wrong identification even though nothing was disclosed.
"""

from __future__ import annotations

import csv
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from matchgate.errors import InputError

__all__ = ["Evaluation", "evaluate"]

_NOT_SUFFICIENT = {"legally_deficient", "invalid"}


@dataclass
class _Tally:
    requests: int = 0
    in_file: int = 0
    answerable: int = 0
    answered: int = 0
    right_answers: int = 0
    wrong_identifications: int = 0
    disclosed: int = 0
    right: int = 0
    wrong: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "requests": self.requests,
            "in_file_requests": self.in_file,
            "disclosures": self.disclosed,
            "wrong_person_disclosures": self.wrong,
            "precision": _ratio(self.right, self.disclosed),
            "recall": _ratio(self.right, self.in_file),
            "answerable_requests": self.answerable,
            "recall_of_answerable": _ratio(self.answered, self.answerable),
            "recall_of_right_answers": _ratio(self.right_answers, self.in_file),
            "wrong_identifications_without_disclosure": self.wrong_identifications,
        }


def _ratio(numerator: int, denominator: int) -> float | None:
    return round(numerator / denominator, 6) if denominator else None


def _read(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.DictReader(stream)
            missing = [c for c in required if c not in (reader.fieldnames or [])]
            if missing:
                raise InputError(f"missing column(s): {', '.join(missing)}", path=path)
            return list(reader)
    except FileNotFoundError as exc:
        raise InputError("file not found", path=path) from exc
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the file ({exc})", path=path) from exc


Evaluation = dict[str, object]


def evaluate(*, truth: Path, decisions: Path) -> Evaluation:
    truth_rows = _read(truth, ("request_id", "tin"))
    decision_rows = _read(decisions, ("request_id", "outcome", "tin"))
    truth_by_id = {row["request_id"]: row for row in truth_rows}
    overall = _Tally()
    per_hazard: dict[str, _Tally] = defaultdict(_Tally)
    outcomes: Counter[str] = Counter()
    expected_wrong = 0.0
    unlabelled = 0
    wrong_rows: list[dict[str, str]] = []
    for row in decision_rows:
        outcomes[row["outcome"]] += 1
        label = truth_by_id.get(row["request_id"])
        if label is None:
            unlabelled += 1
            continue
        true_tin = (label.get("tin") or "").strip()
        sufficient_text = (label.get("legally_sufficient") or "").strip().lower()
        if sufficient_text:
            sufficient = sufficient_text in {"true", "1", "yes"}
        else:
            sufficient = row["outcome"] not in _NOT_SUFFICIENT
        # without the column every in-file request counts as answerable
        answerable = (label.get("filed_in_periods") or "").strip().lower() != "false"
        hazards = [h for h in (label.get("hazards") or "").split(";") if h]
        tallies = [overall, *(per_hazard[h] for h in hazards)]
        disclosed = row["outcome"] == "disclosed"
        right = disclosed and bool(true_tin) and row["tin"] == true_tin
        # matched, but the person filed nothing in the requested periods
        found = (
            row["outcome"] == "no_match"
            and "no_filing_in_periods" in (row.get("reason_codes") or "").split(";")
            and bool(row["tin"])
        )
        found_right = found and row["tin"] == true_tin
        for tally in tallies:
            tally.requests += 1
            if found and not found_right:
                tally.wrong_identifications += 1
            if true_tin and sufficient:
                tally.in_file += 1
                tally.right_answers += right or found_right
                if answerable:
                    tally.answerable += 1
                    tally.answered += right
            if disclosed:
                tally.disclosed += 1
                if right:
                    tally.right += 1
                else:
                    tally.wrong += 1
        if disclosed:
            probability = row.get("best_probability") or row.get("match_probability") or ""
            try:
                expected_wrong += 1.0 - float(probability)
            except ValueError:
                pass
            if not right:
                wrong_rows.append(
                    {
                        "request_id": row["request_id"],
                        "disclosed_tin": row["tin"],
                        "true_tin": true_tin,
                        "hazards": ";".join(hazards),
                    }
                )
    result: dict[str, object] = overall.as_dict()
    result["outcomes"] = dict(sorted(outcomes.items()))
    result["model_expected_wrong_disclosures"] = round(expected_wrong, 4)
    result["unlabelled_rows"] = unlabelled
    result["per_hazard"] = {name: t.as_dict() for name, t in sorted(per_hazard.items())}
    result["wrong_person_examples"] = wrong_rows[:20]
    return result
