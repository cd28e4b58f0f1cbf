"""The yearly report's charts, drawn with matplotlib's Agg backend (no display, no network).

Each chart is drawn from the report's tables (or the per-disclosure probabilities the
probability table bins), so a chart shows nothing the tables do not account for.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from matchgate.report._tables import OUTCOMES, PROBABILITY_BINS, ReportTables  # noqa: E402

__all__ = ["Chart", "draw_charts"]

_COLOURS = {
    "disclosed": "#1b7837",
    "no_match": "#999999",
    "ambiguous": "#e08214",
    "needs_review": "#fdb863",
    "legally_deficient": "#b2182b",
    "invalid": "#6a3d9a",
}
_STEP_COLOURS = {"legal review": "#b2182b", "matching": "#2166ac"}
_MAX_AGENCIES = 8
_MAX_REASONS = 20


@dataclass(frozen=True, slots=True)
class Chart:
    name: str
    title: str
    caption: str
    png: bytes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    # No timestamp or software tag: the same ledger draws the same bytes.
    figure.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(figure)
    return buffer.getvalue()


def _empty(figure: Figure, text: str) -> None:
    axis = figure.subplots()
    axis.axis("off")
    axis.text(0.5, 0.5, text, ha="center", va="center", fontsize=12)


def draw_charts(report: ReportTables) -> list[Chart]:
    return [
        _outcomes(report),
        _reasons(report),
        _probabilities(report),
        _wrong_by_month(report),
        _queue(report),
    ]


def _outcomes(report: ReportTables) -> Chart:
    table = report.table("outcomes_by_month")
    agencies = sorted({row[0] for row in table.rows})
    shown = agencies[:_MAX_AGENCIES]
    months = [f"{report.year:04d}-{index:02d}" for index in range(1, 13)]
    figure = plt.figure(figsize=(10, 2.6 * max(1, len(shown)) + 0.6))
    if not shown:
        _empty(figure, f"No request rows recorded in {report.year}")
    else:
        axes = figure.subplots(len(shown), 1, squeeze=False, sharex=True)
        for axis, agency in zip(axes[:, 0], shown, strict=True):
            counts = {
                row[1]: [int(value) for value in row[2 : 2 + len(OUTCOMES)]]
                for row in table.rows
                if row[0] == agency
            }
            bottom = [0] * 12
            for index, outcome in enumerate(OUTCOMES):
                heights = [counts.get(month, [0] * len(OUTCOMES))[index] for month in months]
                axis.bar(
                    range(12),
                    heights,
                    bottom=bottom,
                    color=_COLOURS[outcome],
                    label=outcome,
                )
                bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
            axis.set_title(agency, fontsize=10, loc="left")
            axis.set_ylabel("rows")
        axes[-1, 0].set_xticks(range(12), [month[5:] for month in months])
        axes[-1, 0].set_xlabel(f"month of {report.year}")
        axes[0, 0].legend(fontsize=8, ncol=3, loc="upper right")
    caption = "Row outcomes per agency per month (table outcomes_by_month)."
    if len(agencies) > len(shown):
        caption += f" The first {len(shown)} of {len(agencies)} agencies are drawn."
    return Chart("outcomes_by_month", "Outcomes per agency per month", caption, _png(figure))


def _reasons(report: ReportTables) -> Chart:
    totals: dict[tuple[str, str], int] = {}
    for _agency, step, _stage, code, rows, _entries in report.table("refusal_reasons").rows:
        if step in _STEP_COLOURS:
            totals[(code, step)] = totals.get((code, step), 0) + int(rows)
    ranked = sorted(totals.items(), key=lambda item: (-item[1], item[0]))[:_MAX_REASONS]
    figure = plt.figure(figsize=(10, 0.32 * max(len(ranked), 4) + 1.2))
    if not ranked:
        _empty(figure, "No row was refused")
    else:
        axis = figure.subplots()
        labels = [code for (code, _step), _n in ranked][::-1]
        values = [n for _key, n in ranked][::-1]
        colours = [_STEP_COLOURS[step] for (_code, step), _n in ranked][::-1]
        bars = axis.barh(labels, values, color=colours)
        axis.bar_label(bars, padding=3, fontsize=8)
        axis.set_xlim(0, max(values) * 1.1)
        axis.set_xlabel("rows (a row counts once per reason code)")
        for step, colour in _STEP_COLOURS.items():
            axis.bar(0, 0, color=colour, label=step)
        axis.legend(fontsize=8, loc="lower right")
    caption = (
        "Reason codes of the rows not disclosed, all agencies (table refusal_reasons; evidence"
        f" notes left out; the {_MAX_REASONS} most frequent)."
    )
    return Chart("refusal_reasons", "Refusal reasons", caption, _png(figure))


def _probabilities(report: ReportTables) -> Chart:
    values = report.disclosure_one_minus_p
    figure = plt.figure(figsize=(10, 3.8))
    if not values:
        _empty(figure, f"No disclosure with a match probability in {report.year}")
    else:
        axis = figure.subplots()
        floor = PROBABILITY_BINS[1] / 10
        axis.hist([max(value, floor) for value in values], bins=[floor, *PROBABILITY_BINS[1:]])
        axis.set_xscale("log")
        axis.set_xlabel("1 - match probability (log scale; 1 - p below 1e-9 drawn at 1e-10)")
        axis.set_ylabel("disclosures")
    caption = (
        "How sure the model was of each disclosure: the further left, the surer"
        " (table disclosure_probabilities)."
    )
    return Chart(
        "disclosure_probabilities", "Match probabilities of disclosures", caption, _png(figure)
    )


def _wrong_by_month(report: ReportTables) -> Chart:
    rows = report.table("wrong_disclosures_by_month").rows
    figure = plt.figure(figsize=(10, 3.8))
    axis = figure.subplots()
    positions = range(len(rows))
    estimated = [float(row[2]) for row in rows]
    retracted = [int(row[3]) for row in rows]
    left = axis.bar(
        [p - 0.2 for p in positions], estimated, width=0.4, label="estimated: sum of 1 - p"
    )
    right = axis.bar(
        [p + 0.2 for p in positions], retracted, width=0.4, label="measured: retracted"
    )
    # The estimate is often far below one person: print the figures, not only the bars.
    axis.bar_label(left, labels=[f"{v:.3g}" if v else "" for v in estimated], padding=2, fontsize=7)
    axis.bar_label(right, labels=[str(v) if v else "" for v in retracted], padding=2, fontsize=7)
    axis.set_ylim(0, max([*estimated, *retracted, 1.0]) * 1.2)
    axis.set_xticks(list(positions), [row[0][5:] for row in rows])
    axis.set_xlabel(f"month of disclosure, {report.year}")
    axis.set_ylabel("wrong disclosures")
    axis.legend(fontsize=8)
    caption = (
        "The model's own estimate of wrong-person disclosures beside the disclosures later"
        " retracted (table wrong_disclosures_by_month). A retraction is a wrong disclosure"
        " someone found; the estimate counts those nobody has found yet too."
    )
    return Chart("wrong_disclosures_by_month", "Estimated vs retracted", caption, _png(figure))


def _queue(report: ReportTables) -> Chart:
    reviewed = report.review_ages_days
    pending = report.pending_ages_days
    figure = plt.figure(figsize=(10, 3.8))
    if not reviewed and not pending:
        _empty(figure, f"No row was held for review in {report.year}")
    else:
        axis = figure.subplots()
        top = max([*reviewed, *pending, 1.0])
        bins = [top * index / 20 for index in range(21)]
        axis.hist(
            [list(reviewed), list(pending)],
            bins=bins,
            stacked=True,
            label=["reviewed: days to first action", "pending: days waiting"],
            color=["#2166ac", "#e08214"],
        )
        axis.set_xlabel("days")
        axis.set_ylabel("rows")
        axis.legend(fontsize=8)
    caption = (
        "Age of the rows in the review queue (needs_review and ambiguous), from the row's"
        " ledger entry to the first review action naming it, or to the report's end when"
        " none does yet (table review_queue)."
    )
    return Chart("review_queue", "Review queue age", caption, _png(figure))
