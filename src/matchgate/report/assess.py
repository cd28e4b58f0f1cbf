"""``matchgate assess``: the deployed model and policy measured on a synthetic world shaped
like a given master file (a Computer Matching Act style accuracy assessment).

1. The master file's aggregate statistics are read (``_master_shape``): its size, surname
   and first-name frequency curves, share of ITINs, share of addresses where several
   taxpayers file, tax years on file and filing rate. No record is copied.
2. A census-mix world is generated with a ``WorldShape`` fitted to them, and the same
   statistics are measured on it, so the page shows how close the shape came.
3. The world's batch runs through every stage (legal review, matching, the disclosure
   rule, the ledger) in a throwaway workspace under ``DIR/work``, with the deployed
   workspace's model (``WS/model.json``) and policy (``--policy``, else ``WS/policy.toml``)
   when present, else the defaults; the deployed workspace is only read.
4. Decisions are scored against the world's truth (``matchgate.evaluate``): precision,
   recall, wrong-person disclosures per hazard, the model's own estimate of its wrong
   disclosures (the sum of 1 - p over disclosures) beside the measured count, and
   precision and recall had the disclosure threshold been set elsewhere.

``DIR`` gets ``index.html`` (self-contained), one CSV per table, one PNG per chart and
``assessment.json``; ``DIR/work`` keeps the synthetic world and the batch for re-checking.
"""

from __future__ import annotations

import csv
import io
import math
import shutil
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from matchgate.errors import InputError, WorkspaceError  # noqa: E402
from matchgate.ledger._entries import format_timestamp  # noqa: E402
from matchgate.match.policy import load_match_policy  # noqa: E402
from matchgate.report._charts import Chart, _empty, _png  # noqa: E402
from matchgate.report._html import Section, render_page  # noqa: E402
from matchgate.report._master_shape import (  # noqa: E402
    CURVE_RANKS,
    MasterShape,
    fit_world_shape,
    read_master_shape,
)
from matchgate.report._report import write_page_folder  # noqa: E402
from matchgate.report._tables import Table  # noqa: E402

__all__ = [
    "Assessment",
    "assess",
    "default_people",
    "default_requests",
    "threshold_curve",
]

MANIFEST = "assessment.json"
FORMAT = "matchgate-assessment/1"
MAX_DEFAULT_PEOPLE = 100_000
MIN_PEOPLE = 500
ACTOR = "matchgate assess"
# Rows whose outcome depends on the threshold alone: every rule above the disclosure rule
# passed (disclosed), or only the threshold held them back (grey zone: sent to review).
_THRESHOLD_CODES = {"probability_grey_zone"}

LIMITS: tuple[str, ...] = (
    "The world is synthetic. Its names are drawn from census frequency tables bent to the"
    " master file's name curves; real spelling habits, transliterations and data-entry"
    " errors are not sampled from the master file, so typos are the generator's, not the"
    " requesters'.",
    "Family structures are the generator's templates (single, couple, family, Jr/Sr,"
    " twins, roommates) at fitted shares: real households (three generations, a junior"
    " moving out and back, blended families, shared surnames across households) differ.",
    "Hazards are planted at the generator's rates; a hazard the generator does not know"
    " (identity theft, a deceased taxpayer's TIN reused, a requester's systematic error)"
    " is not measured at all.",
    "Requests are the generator's census mix, not the requesting agency's real rows: the"
    " share of rows without a date of birth, of wrong TINs and of people not in the file"
    " are assumptions (docs/SOURCES.md).",
    "Zero wrong-person disclosures in a sample bounds the rate, it does not prove it zero:"
    " the table gives the 95% upper bound for the rows measured. A rate below 1 in the"
    " number of disclosures needs a larger world (--people, --requests).",
    "Needs-review rows are counted as not disclosed: a reviewer's decisions are not simulated.",
    "The world has fewer people than a national master file unless --people says so;"
    " namesake density (and so ambiguity) grows with size, so a small world flatters"
    " designs that rely on names.",
)


def default_people(taxpayers: int) -> int:
    """The world's size: the master file's, up to 100,000 (more with --people)."""
    return max(MIN_PEOPLE, min(taxpayers, MAX_DEFAULT_PEOPLE))


def default_requests(people: int) -> int:
    return max(100, min(10_000, people // 10))


@dataclass(frozen=True, slots=True)
class Assessment:
    folder: Path
    world: Path
    decisions: Path
    scores: dict[str, Any]
    curve: list[dict[str, Any]]
    tables: tuple[Table, ...]
    files: tuple[str, ...]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def threshold_curve(
    decisions: list[dict[str, str]],
    truth: dict[str, dict[str, str]],
    *,
    thresholds: list[float],
) -> list[dict[str, Any]]:
    """Disclosures, wrong ones, precision and recall had the disclosure threshold been each
    of ``thresholds`` (all at or above the policy's review threshold, where every other
    rule's verdict is the same): a row is disclosed when it passed every other rule
    (disclosed, or held back by ``probability_grey_zone`` alone) and its best candidate's
    probability reaches the threshold. Recall counts over in-file, legally sufficient rows.
    """
    eligible = []
    for row in decisions:
        codes = [code for code in (row.get("reason_codes") or "").split(";") if code]
        if row["outcome"] == "disclosed" or (codes and codes[0] in _THRESHOLD_CODES):
            try:
                probability = float(row.get("best_probability") or row["match_probability"])
            except (KeyError, ValueError):
                continue
            eligible.append((probability, row["tin"], row["request_id"]))
    in_file = sum(
        1
        for label in truth.values()
        if label.get("tin") and (label.get("legally_sufficient") or "true").lower() == "true"
    )
    curve = []
    for threshold in thresholds:
        chosen = [(tin, rid) for p, tin, rid in eligible if p >= threshold]
        right = sum(1 for tin, rid in chosen if tin and tin == truth.get(rid, {}).get("tin"))
        curve.append(
            {
                "threshold": threshold,
                "disclosures": len(chosen),
                "wrong_person_disclosures": len(chosen) - right,
                "precision": right / len(chosen) if chosen else None,
                "recall": right / in_file if in_file else None,
            }
        )
    return curve


def _thresholds(review: float, deployed: float) -> list[float]:
    """From the review threshold to 1 - 1e-6 (the precision decisions.csv keeps), denser
    near 1, with the deployed one."""
    values = {round(review, 9), round(deployed, 9)}
    for exponent in range(1, 13):  # decisions.csv keeps probabilities to 6 decimals
        gap = 10 ** (-exponent / 2)
        if 1 - gap >= review:
            values.add(round(1 - gap, 9))
    return sorted(values)


def _upper_bound(wrong: int, total: int, confidence: float = 0.95) -> float | None:
    """Clopper-Pearson upper bound of a rate from ``wrong`` of ``total`` (bisection on the
    binomial tail; exact for the small counts wrong disclosures come in)."""
    if total == 0:
        return None
    alpha = 1 - confidence

    def tail(p: float) -> float:  # P(X <= wrong) for X ~ Binomial(total, p)
        if p <= 0:
            return 1.0
        if p >= 1:
            return 0.0 if wrong < total else 1.0
        return sum(
            math.exp(
                math.lgamma(total + 1)
                - math.lgamma(k + 1)
                - math.lgamma(total - k + 1)
                + k * math.log(p)
                + (total - k) * math.log1p(-p)
            )
            for k in range(wrong + 1)
        )

    low, high = wrong / total, 1.0
    for _ in range(60):
        middle = (low + high) / 2
        if tail(middle) > alpha / 2:
            low = middle
        else:
            high = middle
    return high


def _deployed(
    workspace: Path, policy: Path | None, work: Path
) -> tuple[Path, str, Path | None, str]:
    """(model path, where it comes from, policy path, where it comes from)."""
    if not workspace.is_dir():
        raise WorkspaceError("the workspace is not a folder", path=workspace)
    deployed_model = workspace / "model.json"
    if deployed_model.is_file():
        model, model_source = deployed_model, f"the workspace's trained model ({deployed_model})"
    else:
        model = work / "model.json"
        model_source = (
            f"no {deployed_model}: a model trained on the synthetic world (the default"
            " training, as a first run would do)"
        )
    if policy is None and (workspace / "policy.toml").is_file():
        policy = workspace / "policy.toml"
    if policy is not None and not policy.is_file():
        raise InputError("policy file not found", path=policy)
    policy_source = f"{policy}" if policy else "the defaults (no --policy, no WS/policy.toml)"
    return model, model_source, policy, policy_source


def _ratio(value: object) -> str:
    return "" if value is None else f"{float(str(value)):.6f}"


def _tables(
    target: MasterShape,
    world: MasterShape,
    shape: Any,
    scores: dict[str, Any],
    curve: list[dict[str, Any]],
    deployed_threshold: float,
) -> list[Table]:
    disclosures = int(scores["disclosures"])
    wrong = int(scores["wrong_person_disclosures"])
    estimated = float(scores["model_expected_wrong_disclosures"])
    bound = _upper_bound(wrong, disclosures)
    source = "the batch's decisions.csv scored against the world's truth.csv"
    accuracy_rows = [
        ("requests", str(scores["requests"]), "rows in the batch"),
        ("in_file_requests", str(scores["in_file_requests"]), "in the file, legally sufficient"),
        ("disclosures", str(disclosures), "outcome disclosed"),
        ("wrong_person_disclosures", str(wrong), "disclosed TIN is not the true TIN"),
        ("precision", _ratio(scores["precision"]), "right disclosures / disclosures"),
        ("recall", _ratio(scores["recall"]), "right disclosures / in-file requests"),
        (
            "recall_of_answerable",
            _ratio(scores["recall_of_answerable"]),
            "over people who filed in a requested tax year",
        ),
        (
            "estimated_wrong_disclosures",
            f"{estimated:.6f}",
            "the model's own estimate: sum of 1 - p over disclosures",
        ),
        (
            "estimated_false_disclosure_rate",
            f"{estimated / disclosures:.3e}" if disclosures else "",
            "estimated wrong / disclosures",
        ),
        (
            "measured_false_disclosure_rate",
            f"{wrong / disclosures:.3e}" if disclosures else "",
            "wrong / disclosures",
        ),
        (
            "measured_rate_upper_95",
            f"{bound:.3e}" if bound is not None else "",
            "Clopper-Pearson 95% upper bound of the measured rate",
        ),
    ]
    hazards = scores["per_hazard"]
    hazard_rows = [
        (
            name,
            str(t["requests"]),
            str(t["in_file_requests"]),
            str(t["disclosures"]),
            str(t["wrong_person_disclosures"]),
            _ratio(t["precision"]),
            _ratio(t["recall"]),
        )
        for name, t in sorted(hazards.items())
    ]
    curve_rows = [
        (
            f"{point['threshold']:.9f}",
            str(point["disclosures"]),
            str(point["wrong_person_disclosures"]),
            _ratio(point["precision"]),
            _ratio(point["recall"]),
            "yes" if math.isclose(point["threshold"], deployed_threshold) else "",
        )
        for point in curve
    ]
    statistic_rows = []
    knobs = {
        "surname_collision": f"surname_exponent {shape.surname_exponent}",
        "first_name_collision": f"first_name_exponent {shape.first_name_exponent}",
        "itin_share": f"itin_scale {shape.itin_scale}",
        "multi_taxpayer_address_share": f"single_household_share {shape.single_household_share}",
        "first_tax_year": f"tax_years {shape.tax_years}",
        "filing_rate": f"filing_rate_scale {shape.filing_rate_scale}",
    }
    for name, value in target.statistics().items():
        theirs = world.statistics()[name]
        statistic_rows.append((name, _number(value), _number(theirs), knobs.get(name, "")))
    curve_table = [
        (
            str(rank),
            _number(target.surname_curve[i]),
            _number(world.surname_curve[i]),
            _number(target.first_name_curve[i]),
            _number(world.first_name_curve[i]),
        )
        for i, rank in enumerate(CURVE_RANKS)
    ]
    outcomes = sorted(dict(scores["outcomes"]).items())
    return [
        Table(
            "accuracy",
            "Precision, recall and wrong-person disclosures",
            source,
            ("measure", "value", "how"),
            tuple(accuracy_rows),
        ),
        Table(
            "outcomes",
            "Outcomes of the batch",
            "decisions.csv, rows per outcome (needs_review: not disclosed, no reviewer simulated)",
            ("outcome", "rows"),
            tuple((name, str(count)) for name, count in outcomes),
        ),
        Table(
            "per_hazard",
            "Per hazard",
            source + ", per hazard tag of truth.csv (a row counts under each of its tags)",
            (
                "hazard",
                "requests",
                "in_file_requests",
                "disclosures",
                "wrong_person_disclosures",
                "precision",
                "recall",
            ),
            tuple(hazard_rows),
        ),
        Table(
            "threshold_curve",
            "Precision and recall against the disclosure threshold",
            "decisions.csv: rows that passed every other rule, disclosed at each threshold"
            " when the best candidate's probability reaches it (from the review threshold up)",
            (
                "threshold",
                "disclosures",
                "wrong_person_disclosures",
                "precision",
                "recall",
                "deployed",
            ),
            tuple(curve_rows),
        ),  # fmt: skip
        Table(
            "master_shape",
            "The master file's statistics and the world's",
            "aggregate statistics of the master file and of the generated world's master"
            " file, computed alike; the knob is the WorldShape setting fitted to each",
            ("statistic", "master", "world", "knob"),
            tuple(statistic_rows),
        ),
        Table(
            "name_curves",
            "Name frequency curves",
            "share of taxpayers holding the k-th most common surname / first name (no name"
            " is read out of the master file, only its count)",
            ("rank", "master_surname", "world_surname", "master_first_name", "world_first_name"),
            tuple(curve_table),
        ),
    ]


def _number(value: float | int) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.6g}"


def _charts(
    tables: dict[str, Table], scores: dict[str, Any], deployed: float, review: float
) -> list[Chart]:
    return [
        _curve_chart(tables["threshold_curve"], deployed, review),
        _hazard_chart(scores),
        _estimate_chart(scores),
        _names_chart(tables["name_curves"]),
    ]


def _curve_chart(table: Table, deployed: float, review: float) -> Chart:
    figure = plt.figure(figsize=(10, 4.2))
    axis = figure.subplots()
    gaps = [max(1 - float(row[0]), 1e-10) for row in table.rows]
    precision = [float(row[3]) if row[3] else math.nan for row in table.rows]
    recall = [float(row[4]) if row[4] else math.nan for row in table.rows]
    axis.plot(gaps, precision, "-o", color="#1b7837", label="precision")
    axis.plot(gaps, recall, "-s", color="#2166ac", label="recall")
    axis.axvline(1 - deployed, color="#b2182b", linestyle="--", label=f"deployed {deployed}")
    axis.set_xscale("log")
    axis.invert_xaxis()
    axis.set_ylim(-0.02, 1.02)
    axis.set_xlabel("1 - disclosure threshold (log scale; stricter to the right)")
    axis.set_ylabel("share")
    axis.legend(fontsize=8, loc="lower left")
    caption = (
        f"Precision and recall had the threshold been set from the review threshold ({review})"
        " up (table threshold_curve)."
    )
    return Chart("threshold_curve", "Precision and recall against the threshold", caption,
                 _png(figure))  # fmt: skip


def _hazard_chart(scores: dict[str, Any]) -> Chart:
    hazards = sorted(
        scores["per_hazard"].items(), key=lambda item: (-item[1]["disclosures"], item[0])
    )
    figure = plt.figure(figsize=(10, 0.3 * max(len(hazards), 4) + 1.2))
    if not hazards:
        _empty(figure, "No hazard tag in the world's truth")
    else:
        axis = figure.subplots()
        labels = [name for name, _t in hazards][::-1]
        wrong = [int(t["wrong_person_disclosures"]) for _n, t in hazards][::-1]
        disclosed = [int(t["disclosures"]) for _n, t in hazards][::-1]
        bars = axis.barh(labels, wrong, color="#b2182b", label="wrong-person disclosures")
        axis.bar_label(
            bars,
            labels=[f"{w} of {d} disclosed" for w, d in zip(wrong, disclosed, strict=True)],
            padding=3,
            fontsize=7,
        )
        axis.set_xlim(0, max([*wrong, 1]) * 1.6)
        axis.set_xlabel("wrong-person disclosures (label: of the hazard's disclosures)")
        axis.legend(fontsize=8, loc="lower right")
    return Chart("wrong_per_hazard", "Wrong-person disclosures per hazard",
                 "Per hazard tag (table per_hazard).", _png(figure))  # fmt: skip


def _estimate_chart(scores: dict[str, Any]) -> Chart:
    disclosures = int(scores["disclosures"])
    estimated = float(scores["model_expected_wrong_disclosures"])
    wrong = int(scores["wrong_person_disclosures"])
    bound = _upper_bound(wrong, disclosures)
    figure = plt.figure(figsize=(10, 3.4))
    axis = figure.subplots()
    values = [estimated, float(wrong), (bound or 0.0) * disclosures]
    labels = ["estimated: sum of 1 - p", "measured: wrong", "measured: 95% upper bound"]
    bars = axis.bar(labels, values, color=["#2166ac", "#b2182b", "#fdb863"])
    rates = [v / disclosures if disclosures else 0.0 for v in values]
    axis.bar_label(
        bars,
        labels=[f"{v:.3g} ({r:.2e} per disclosure)" for v, r in zip(values, rates, strict=True)],
        padding=2,
        fontsize=8,
    )
    axis.set_ylim(0, max([*values, 1.0]) * 1.3)
    axis.set_ylabel(f"wrong disclosures of {disclosures:,}")
    caption = (
        "The model's own estimate of its wrong-person disclosures beside the count measured"
        " against the truth, and the upper bound the sample allows (table accuracy)."
    )
    return Chart("estimated_vs_measured", "Estimated vs measured false disclosures", caption,
                 _png(figure))  # fmt: skip


def _names_chart(table: Table) -> Chart:
    figure = plt.figure(figsize=(10, 4.2))
    axis = figure.subplots()
    ranks = [int(row[0]) for row in table.rows]
    styles = (
        (1, "master: surname", "-o", "#1b7837"),
        (2, "world: surname", "--o", "#a6dba0"),
        (3, "master: first name", "-s", "#762a83"),
        (4, "world: first name", "--s", "#c2a5cf"),
    )
    for column, label, style, colour in styles:
        points = [(r, float(row[column])) for r, row in zip(ranks, table.rows, strict=True)]
        shown = [(r, v) for r, v in points if v > 0]
        if shown:
            axis.plot(*zip(*shown, strict=True), style, color=colour, label=label)
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("rank of the name")
    axis.set_ylabel("share of taxpayers")
    axis.legend(fontsize=8)
    caption = "How concentrated names are in the master file and in the world (table name_curves)."
    return Chart("name_curves", "Name frequency curves", caption, _png(figure))


def _register_and_run(
    world: Path, work: Path, *, model: Path, policy: Path | None
) -> tuple[Path, dict[str, Any]]:
    from matchgate.batch.pipeline import run_batch
    from matchgate.review.registry import AgencyRegistryStore

    workspace = work / "workspace"
    with AgencyRegistryStore.open(workspace) as registry:
        registry.add_file(world / "agency.toml", actor=ACTOR)
    result = run_batch(
        master=world / "master.parquet",
        requests=world / "requests.csv",
        letter=world / "letter.toml",
        out_dir=work / "batch",
        workspace=workspace,
        policy_path=policy,
        model_path=model,
        actor=ACTOR,
        ledger_key=work / "ledger.key",  # a throwaway ledger: its key stays beside it
    )
    return result.out_dir / "internal" / "decisions.csv", result.summary()


def assess(
    *,
    master: Path,
    workspace: Path,
    out: Path,
    people: int | None = None,
    requests: int | None = None,
    seed: int = 1,
    policy: Path | None = None,
    now: datetime | None = None,
) -> Assessment:
    """Assess the deployed model and policy on a world shaped like ``master``; write the
    assessment to ``out``. Raises a ``MatchgateError`` naming the file (and row and field)
    when an input is unusable, before anything is generated."""
    from matchgate.evaluate import evaluate
    from matchgate.synth import generate_world

    if out.exists() and not out.is_dir():
        raise InputError("the assessment folder is a file", path=out)
    target = read_master_shape(master)
    people = default_people(target.taxpayers) if people is None else people
    requests = default_requests(people) if requests is None else requests
    if requests > people:
        raise InputError(
            f"--requests ({requests:,}) cannot exceed --people ({people:,})", field="requests"
        )
    work = out / "work"
    model, model_source, policy_path, policy_source = _deployed(workspace, policy, work)
    match_policy = load_match_policy(policy_path)
    fitted = fit_world_shape(target, seed=seed)
    if work.exists():
        shutil.rmtree(work)
    world = work / "world"
    generate_world(
        world,
        people=people,
        requests=requests,
        seed=seed,
        as_of=date(target.last_tax_year + 1, 11, 1),
        request_mix="census",
        legal_deficiency_rate=0.0,
        shape=fitted.shape,
    )
    measured = read_master_shape(world / "master.parquet")
    decisions_path, batch = _register_and_run(world, work, model=model, policy=policy_path)
    scores = dict(evaluate(truth=world / "truth.csv", decisions=decisions_path))
    decisions = _read_csv(decisions_path)
    # evaluate() rounds the estimate to 4 decimals; the page gives it whole
    scores["model_expected_wrong_disclosures"] = sum(
        1.0 - float(row["best_probability"] or row["match_probability"] or 1.0)
        for row in decisions
        if row["outcome"] == "disclosed"
    )
    truth = {row["request_id"]: row for row in _read_csv(world / "truth.csv")}
    curve = threshold_curve(
        decisions,
        truth,
        thresholds=_thresholds(match_policy.review_threshold, match_policy.disclose_threshold),
    )
    tables = _tables(target, measured, fitted.shape, scores, curve, match_policy.disclose_threshold)
    by_name = {table.name: table for table in tables}
    charts = _charts(
        by_name, scores, match_policy.disclose_threshold, match_policy.review_threshold
    )
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "master": str(master),
        "master_taxpayers": target.taxpayers,
        "people": people,
        "requests": requests,
        "seed": seed,
        "shape": {k: getattr(fitted.shape, k) for k in fitted.shape.__dataclass_fields__},
        "model": model_source,
        "policy": policy_source,
        "disclose_threshold": match_policy.disclose_threshold,
        "review_threshold": match_policy.review_threshold,
        "batch_id": batch["batch_id"],
        "generated_at": format_timestamp(now or datetime.now(UTC)),
        "tables": [table.name for table in tables],
        "charts": [chart.name for chart in charts],
    }
    files = _write(out, tables, charts, manifest, target)
    return Assessment(
        folder=out,
        world=world,
        decisions=decisions_path,
        scores=scores,
        curve=curve,
        tables=tuple(tables),
        files=files,
    )


def _write(
    out: Path,
    tables: list[Table],
    charts: list[Chart],
    manifest: dict[str, Any],
    target: MasterShape,
) -> tuple[str, ...]:
    page = render_page(
        title="Accuracy assessment of the deployed matching model",
        intro=_intro(manifest, target),
        meta=_meta(manifest),
        charts=charts,
        tables=tables,
        sections=[Section("What this assessment cannot show", items=LIMITS, name="limits")],
        empty="Nothing to show.",
    )
    (out / "report.pdf").unlink(missing_ok=True)  # a PDF of an earlier run is not this one
    try:
        files = write_page_folder(
            out, tables=tables, charts=charts, page=page, manifest=(MANIFEST, manifest)
        )
    except OSError as exc:
        raise InputError(f"cannot write the assessment: {exc}", path=out) from exc
    return tuple(files)


def _intro(manifest: dict[str, Any], target: MasterShape) -> str:
    buffer = io.StringIO()
    buffer.write(
        "<p>The deployed model and policy run on a synthetic world shaped like the master"
        f" file ({target.taxpayers:,} taxpayers, tax years {target.first_tax_year}"
        f"..{target.last_tax_year}): {int(manifest['people']):,} synthetic people,"
        f" {int(manifest['requests']):,} request rows drawn as the population is. Only the"
        " master file's aggregate statistics were read (table master_shape); no record of it"
        " is in the world. Every figure is counted from the batch's decisions against the"
        " world's truth, which a real batch does not have. The limits of this kind of"
        ' evidence are listed <a href="#s-limits">below</a>.</p>'
    )
    return buffer.getvalue() + f"<p>Model: {escape(str(manifest['model']))}.</p>"


def _meta(manifest: dict[str, Any]) -> dict[str, str]:
    return {
        "master file": str(manifest["master"]),
        "world": f"{manifest['people']:,} people, {manifest['requests']:,} requests, seed"
        f" {manifest['seed']} (DIR/work/world)",
        "policy": str(manifest["policy"]),
        "disclosure threshold": str(manifest["disclose_threshold"]),
        "batch": f"{manifest['batch_id']} (DIR/work/batch; a throwaway workspace and ledger)",
        "generated": str(manifest["generated_at"]),
    }
