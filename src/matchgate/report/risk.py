"""What a request design would do: a naive matcher's wrong identifications beside
matchgate's outcomes, measured on a generated world and extrapolated to a batch size.

A *design* is the set of fields every request row carries (``name+state``, ``name+address``,
``name+dob+address``, ...). On a generated world (census mix: requests about taxpayers
drawn as the population is, 10% not in the file) the world's requests are cut down to the
design's fields; a design field the world's row leaves blank (no date of birth, no TIN) is
filled with the true person's value from the master file, for people in the file.

- The naive matcher (as in 2025) compares only the fields the request carries, after
  upper-casing, dropping accents and collapsing spaces, and names the best candidate: every
  taxpayer whose filings agree on all of them scores the same, so one of the k tied
  candidates is named. Its expected wrong identifications per row are (k-1)/k when the
  person is among the k, and 1 when they are not (not in the file, or a typo hides them).
- matchgate runs the same rows through every stage (legal review, matching, the
  disclosure rule) under the world's letter signed for the cut-down file, and its
  disclosures are checked against the truth.

Both are measured per row and multiplied by the batch size: the world's population density
is kept, so at the size of the real master file (many more namesakes per state) the naive
figures can only be higher. Nothing here is a real taxpayer: the world is synthetic.
"""

from __future__ import annotations

import csv
import shutil
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from matchgate.errors import InputError

__all__ = ["DESIGNS", "DesignMeasure", "RiskRow", "extrapolate", "measure_design", "naive_matches"]

# The request fields each design carries (the rest are blanked).
_NAME = ("first_name", "middle_name", "last_name", "suffix")
_ADDRESS = ("street", "city", "state", "zip")
DESIGNS: dict[str, tuple[str, ...]] = {
    "name+state": (*_NAME, "state"),
    "name+zip": (*_NAME, "zip"),
    "name+address": (*_NAME, *_ADDRESS),
    "name+dob+address": (*_NAME, "dob", *_ADDRESS),
    "tin+name_control": ("tin", "last_name"),
    "tin+name+address": ("tin", *_NAME, *_ADDRESS),
}
# What the naive matcher compares for each design (name_control: first four letters of the
# surname, as TIN Matching does).
_NAIVE_KEYS: dict[str, tuple[str, ...]] = {
    "name+state": ("first_name", "last_name", "state"),
    "name+zip": ("first_name", "last_name", "zip"),
    "name+address": ("first_name", "last_name", "street", "zip"),
    "name+dob+address": ("first_name", "last_name", "dob", "street", "zip"),
    "tin+name_control": ("tin", "name_control"),
    "tin+name+address": ("tin", "first_name", "last_name", "street", "zip"),
}
_LEGAL_FIELDS = ("tax_periods", "statute", "case_number", "reason")


def _design(name: str) -> tuple[str, ...]:
    try:
        return DESIGNS[name]
    except KeyError:
        raise InputError(
            f"unknown request design {name!r} (known: {', '.join(DESIGNS)})", field="design"
        ) from None


def _plain(text: str | None) -> str:
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(ascii_text.upper().replace(".", " ").replace(",", " ").split())


def _dob(text: str | None) -> str:
    """A date of birth as YYYY-MM-DD when it reads as one (ISO or M/D/YYYY), else as is."""
    value = (text or "").strip()
    if "/" in value:
        parts = value.split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            month, day, year = parts
            return f"{int(year):04d}-{int(month):02d}-{int(day):02d}"
    return value


def _key_value(field: str, row: dict[str, str]) -> str:
    if field == "name_control":
        return _plain(row.get("last_name")).replace(" ", "").replace("-", "")[:4]
    if field == "dob":
        return _dob(row.get("dob"))
    if field == "zip":
        return (row.get("zip") or "").strip()[:5]
    if field == "tin":
        return "".join(ch for ch in row.get("tin") or "" if ch.isdigit())
    return _plain(row.get(field))


@dataclass(frozen=True, slots=True)
class NaiveResult:
    rows: int
    named: int  # rows where the naive matcher names someone
    expected_wrong: float  # sum over rows of the chance the person named is not the one asked
    candidates: dict[str, int]  # request id -> k
    found_true: dict[str, bool]  # request id -> the person asked about is among the k


def naive_matches(
    requests: list[dict[str, str]], truth: dict[str, str], master: pl.DataFrame, design: str
) -> NaiveResult:
    """The naive matcher on ``requests`` (already cut to ``design``)."""
    keys = _NAIVE_KEYS[design]
    index: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for record in master.select(
        "tin", "first_name", "last_name", "dob", "street", "state", "zip"
    ).iter_rows(named=True):
        values = {name: "" if value is None else str(value) for name, value in record.items()}
        index[tuple(_key_value(field, values) for field in keys)].add(values["tin"])
    named = 0
    wrong = 0.0
    candidates: dict[str, int] = {}
    found_true: dict[str, bool] = {}
    for row in requests:
        key = tuple(_key_value(field, row) for field in keys)
        found = index.get(key, set()) if all(key) else set()
        candidates[row["request_id"]] = len(found)
        true_tin = truth.get(row["request_id"], "")
        found_true[row["request_id"]] = bool(true_tin) and true_tin in found
        if not found:
            continue
        named += 1
        wrong += (len(found) - 1) / len(found) if true_tin in found else 1.0
    return NaiveResult(len(requests), named, wrong, candidates, found_true)


@dataclass(frozen=True, slots=True)
class DesignMeasure:
    """One design measured on one world (counts over ``rows`` request rows)."""

    design: str
    rows: int
    naive_named: int
    naive_wrong: float
    disclosed: int
    disclosed_wrong: int
    refused: int
    review: int
    world_people: int
    # Expected naive wrong identifications over the rows had the master file master_size
    # taxpayers (name+state and name+zip only; None otherwise).
    naive_wrong_at_size: float | None = None
    master_size: int = 0

    def per_row(self, count: float) -> float:
        return count / self.rows if self.rows else 0.0


@dataclass(frozen=True, slots=True)
class RiskRow:
    design: str
    batch_size: int
    naive_named: float
    naive_wrong: float
    naive_wrong_at_master_size: float | None
    matchgate_disclosed: float
    matchgate_wrong: float
    matchgate_refused: float
    matchgate_review: float

    def as_dict(self) -> dict[str, object]:
        return {
            "design": self.design,
            "batch_size": self.batch_size,
            "naive_named": round(self.naive_named),
            "naive_wrong": round(self.naive_wrong),
            "naive_wrong_at_master_size": ""
            if self.naive_wrong_at_master_size is None
            else round(self.naive_wrong_at_master_size),
            "matchgate_disclosed": round(self.matchgate_disclosed),
            "matchgate_wrong": round(self.matchgate_wrong),
            "matchgate_refused": round(self.matchgate_refused),
            "matchgate_review": round(self.matchgate_review),
        }


def extrapolate(measure: DesignMeasure, batch_size: int) -> RiskRow:
    scale = batch_size / measure.rows if measure.rows else 0.0
    return RiskRow(
        design=measure.design,
        batch_size=batch_size,
        naive_named=measure.naive_named * scale,
        naive_wrong=measure.naive_wrong * scale,
        naive_wrong_at_master_size=None
        if measure.naive_wrong_at_size is None
        else measure.naive_wrong_at_size * scale,
        matchgate_disclosed=measure.disclosed * scale,
        matchgate_wrong=measure.disclosed_wrong * scale,
        matchgate_refused=measure.refused * scale,
        matchgate_review=measure.review * scale,
    )


# Designs whose naive collisions grow with the size of the master file: a name in a state
# or a ZIP code is shared by more people the more people there are. (Sharing an address is a
# household's size, the same at any scale, so address designs are not scaled.)
_SCALED_GEOGRAPHY = {"name+state": "state", "name+zip": "zip"}


def naive_at_master_size(
    requests: list[dict[str, str]],
    truth: dict[str, str],
    master: pl.DataFrame,
    design: str,
    candidates: dict[str, int],
    found_true: dict[str, bool],
    master_size: int,
) -> float | None:
    """Expected naive wrong identifications over ``requests`` had the master file
    ``master_size`` taxpayers, for designs whose collisions scale (else None).

    Namesakes of a request in its state (ZIP) are taken as Poisson with mean
    m = p(first name) * p(surname) * share(state) * master_size, the frequencies measured on
    the world's taxpayers (first names and surnames drawn independently, as the generator
    draws them). Expected wrong: 1 - (1 - e^-m)/m when the person is among the candidates
    (one of 1 + X tied people is named), 1 - e^-m when not (anyone found is wrong)."""
    import math

    geography = _SCALED_GEOGRAPHY.get(design)
    if geography is None:
        return None
    people = master.sort("tax_year").unique("tin", keep="last")
    total = people.height or 1

    def shares(field: str) -> dict[str, float]:
        counts: dict[str, int] = defaultdict(int)
        for value in people[field].to_list():
            counts[_key_value(field, {field: "" if value is None else str(value)})] += 1
        return {key: count / total for key, count in counts.items()}

    first, last, geo = shares("first_name"), shares("last_name"), shares(geography)
    wrong = 0.0
    for row in requests:
        key = {field: _key_value(field, row) for field in ("first_name", "last_name", geography)}
        if not all(key.values()):
            continue
        mean = (
            first.get(key["first_name"], 0.0)
            * last.get(key["last_name"], 0.0)
            * geo.get(key[geography], 0.0)
            * master_size
        )
        if found_true.get(row["request_id"]):
            wrong += 1 - (1 - math.exp(-mean)) / mean if mean > 0 else 0.0
        else:
            wrong += 1 - math.exp(-mean)
    del truth, candidates
    return wrong


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def cut_requests(
    requests: list[dict[str, str]],
    truth: dict[str, str],
    master: pl.DataFrame,
    design: str,
) -> list[dict[str, str]]:
    """The world's rows with only the design's fields (and the legal fields) kept; a design
    field the row leaves blank is filled from the true person's latest filing."""
    kept = set(_design(design)) | set(_LEGAL_FIELDS) | {"request_id"}
    latest = {
        str(row["tin"]): row
        for row in master.sort("tax_year").select("tin", "dob").iter_rows(named=True)
    }
    out = []
    for row in requests:
        cut = {name: (value if name in kept else "") for name, value in row.items()}
        person = latest.get(truth.get(row["request_id"], ""))
        if person is not None:
            if "tin" in kept and not cut.get("tin"):
                cut["tin"] = str(person["tin"])
            if "dob" in kept and not cut.get("dob") and person["dob"]:
                cut["dob"] = str(person["dob"])
        out.append(cut)
    return out


def measure_design(
    world: Path, design: str, *, work: Path, master_size: int = 160_000_000
) -> DesignMeasure:
    """Measure ``design`` on the generated world in ``world`` (master.parquet, requests.csv,
    truth.csv, letter.toml and agency.key/agency.toml as ``matchgate generate`` writes them);
    ``work`` holds the cut-down request file and the batch (a fresh workspace per design)."""
    from matchgate.batch.pipeline import run_batch
    from matchgate.review.registry import AgencyRegistryStore
    from matchgate.review.signing import load_private_key, sign_letter_file

    _design(design)
    for name in (
        "master.parquet",
        "requests.csv",
        "truth.csv",
        "letter.toml",
        "agency.key",
        "agency.toml",
    ):
        if not (world / name).is_file():
            raise InputError(
                f"the world folder lacks {name} (make one with matchgate generate)",
                path=world / name,
            )
    master = pl.read_parquet(world / "master.parquet")
    requests = _read_csv(world / "requests.csv")
    truth = {row["request_id"]: row["tin"] for row in _read_csv(world / "truth.csv")}
    rows = cut_requests(requests, truth, master, design)
    folder = work / design.replace("+", "_")
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    path = folder / "requests.csv"
    with path.open("w", encoding="utf-8", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(requests[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    letter = folder / "letter.toml"
    shutil.copyfile(world / "letter.toml", letter)
    sign_letter_file(key=load_private_key(world / "agency.key"), letter=letter, requests=path)
    workspace = folder / "workspace"
    with AgencyRegistryStore.open(workspace) as registry:
        registry.add_file(world / "agency.toml", actor="matchgate risk")
    result = run_batch(
        master=world / "master.parquet",
        requests=path,
        letter=letter,
        out_dir=folder / "out",
        workspace=workspace,
        actor="matchgate risk",
    )
    decisions = _read_csv(result.out_dir / "internal" / "decisions.csv")
    by_id = {row["request_id"]: row for row in decisions}
    disclosed = [row for row in decisions if row["outcome"] == "disclosed"]
    naive = naive_matches(rows, truth, master, design)
    return DesignMeasure(
        design=design,
        rows=len(rows),
        naive_named=naive.named,
        naive_wrong=naive.expected_wrong,
        disclosed=len(disclosed),
        disclosed_wrong=sum(row["tin"] != truth.get(row["request_id"], "") for row in disclosed),
        refused=sum(
            row["outcome"] in ("legally_deficient", "invalid", "no_match", "ambiguous")
            for row in by_id.values()
        ),
        review=sum(row["outcome"] == "needs_review" for row in by_id.values()),
        world_people=master["tin"].n_unique(),
        naive_wrong_at_size=naive_at_master_size(
            rows, truth, master, design, naive.candidates, naive.found_true, master_size
        ),
        master_size=master_size,
    )


def plot_risk(measures: Sequence[DesignMeasure], out: Path) -> Path:
    """Wrong identifications against batch size per design (log-log), naive and matchgate."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = [10**k for k in range(3, 8)]
    figure, axis = plt.subplots(figsize=(9, 5.5))
    for index, measure in enumerate(measures):
        colour = f"C{index}"
        naive = [max(measure.per_row(measure.naive_wrong) * n, 1e-1) for n in sizes]
        ours = [max(measure.per_row(measure.disclosed_wrong) * n, 1e-1) for n in sizes]
        axis.plot(sizes, naive, "-o", color=colour, label=f"{measure.design}: naive (world)")
        if measure.naive_wrong_at_size is not None:
            scaled = [max(measure.per_row(measure.naive_wrong_at_size) * n, 1e-1) for n in sizes]
            axis.plot(
                sizes, scaled, ":^", color=colour,
                label=f"{measure.design}: naive ({measure.master_size:,} taxpayers)",
            )  # fmt: skip
        axis.plot(sizes, ours, "--s", color=colour, label=f"{measure.design}: matchgate")
    axis.axvline(1_280_000, color="#999", linestyle=":", label="1,280,000 rows")
    axis.set_xscale("log")
    axis.set_yscale("log")
    axis.set_xlabel("rows in the batch")
    axis.set_ylabel("wrong people named (0 drawn at 0.1)")
    axis.set_title("Misidentifications per request design (measured per row, extrapolated)")
    axis.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100, metadata={"Software": None})
    plt.close(figure)
    return out
