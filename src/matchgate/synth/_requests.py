"""The request batch and its ground truth, one row at a time.

Rows are rendered in Python because each one makes a dozen small decisions; at 50,000 rows that
takes a second or two, far less than writing the master file. Every variation applied to a row
is recorded as a hazard tag in ``truth.csv``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import numpy as np

from matchgate.review.periods import parse_tax_periods
from matchgate.synth._blocks import Taken
from matchgate.synth._cases import Case, draw_cases, render_tax_periods
from matchgate.synth._deficiencies import ADDRESS_KINDS, DEFICIENCY_KINDS, make_deficient
from matchgate.synth._naming_customs import PARTICLE_SURNAMES, strip_accents
from matchgate.synth._noise import NO_DOB_RATE_NOISY, NOISE_TAGS, corrupt_row, noise_tags
from matchgate.synth._population import World
from matchgate.synth._request_text import (
    add_accents,
    apply_case,
    nickname_for,
    one_char_edit,
    particle_variant,
    render_address,
    render_dob,
)
from matchgate.synth._subjects import Subject, SubjectPicker
from matchgate.synth._tins import looks_issued

__all__ = [
    "HAZARD_TAGS",
    "REQUEST_COLUMNS",
    "TRUTH_COLUMNS",
    "RequestBatch",
    "RequestPlan",
    "build_requests",
]

REQUEST_COLUMNS = (
    "request_id", "first_name", "middle_name", "last_name", "suffix", "dob", "street", "city",
    "state", "zip", "tin", "tax_periods", "statute", "case_number", "reason",
)  # fmt: skip
TRUTH_COLUMNS = (
    "request_id", "tin", "hazards", "legally_sufficient", "filed_in_periods", "corruptions",
)  # fmt: skip
HAZARD_TAGS: tuple[str, ...] = (
    "jr_sr", "twins", "spouses", "roommates", "apartment", "compound_surname", "particle",
    "nickname", "accent", "typo", "name_swap", "no_middle", "no_dob", "mover", "tin_given",
    "tin_wrong", "itin", "not_in_file", "common_name", "placeholder_address", "zip_only",
    "institution_address", "civil_statute", "missing_reason", "missing_periods", "missing_name",
    "missing_case", "namesake_in_household", "moved_together", "address_not_filed",
    "namesake_elsewhere", *NOISE_TAGS,
)  # fmt: skip

NOT_IN_FILE_SHARE = 0.10
NICKNAME_RATE = 0.35
ACCENTED_REQUEST_RATE = 0.12
NAME_TYPO_RATE = 0.08
STREET_TYPO_RATE = 0.04
NAME_SWAP_RATE = 0.03
# 45% of requests come without a date of birth: an assumption, not a published figure
# (docs/SOURCES.md, "The project's own assumptions")
NO_DOB_RATE = 0.45
# The stress world takes the date of birth from Jr/Sr rows more often: without it a father
# and son at one address cannot be told apart, the case behind most wrong answers.
NO_DOB_RATE_JR_SR_STRESS = 0.65
SUFFIX_GIVEN_RATE = 0.25
TIN_GIVEN_RATE = 0.15
TIN_WRONG_RATE = 0.12
CASE_STYLES = (("upper", 0.7), ("title", 0.2), ("lower", 0.1))
_SUFFIX_FORMS = {"JR": ("JR", "Jr.", "JR."), "SR": ("SR", "Sr.", "SR.")}
_SURNAME_LAYOUTS = (
    ("hyphen", 0.2), ("joined", 0.08), ("paternal", 0.3), ("maternal", 0.07),
    ("swapped", 0.1), ("spaced", 0.25),
)  # fmt: skip


@dataclass(frozen=True)
class RequestPlan:
    """The batch-wide draws of a chunked world, made once: every block renders its share of
    the rows against them (``first_index`` is the block's first row in the whole batch)."""

    cases: list[Case]
    case_of_row: np.ndarray  # whole batch
    kind_of_row: dict[int, str]  # whole-batch row index -> deficiency kind
    first_index: int = 0

    @classmethod
    def draw(
        cls,
        rng: np.random.Generator,
        text_rng: random.Random,
        *,
        requests: int,
        as_of_year: int,
        legal_deficiency_rate: float,
    ) -> RequestPlan:
        cases, case_of_row = draw_cases(rng, text_rng, requests, as_of_year)
        deficient = rng.permutation(requests)[: round(requests * legal_deficiency_rate)]
        # the rows are already in random order, so cycling through the kinds spreads them evenly
        kind_of_row = {
            int(row): DEFICIENCY_KINDS[i % len(DEFICIENCY_KINDS)] for i, row in enumerate(deficient)
        }
        return cls(cases=cases, case_of_row=case_of_row, kind_of_row=kind_of_row)


@dataclass(frozen=True)
class RequestBatch:
    rows: list[dict[str, str]]
    truth: list[dict[str, str]]
    cases: list[Case]


def _has_accent(text: str) -> bool:
    return strip_accents(text) != text


def _surname_layout(layout: str, paternal: str, maternal: str) -> str:
    return {
        "hyphen": f"{paternal}-{maternal}",
        "joined": f"{paternal}{maternal}".replace(" ", ""),
        "paternal": paternal,
        "maternal": maternal,
        "swapped": f"{maternal} {paternal}",
        "spaced": f"{paternal} {maternal}",
    }[layout]


def _written_surname(rng: random.Random, census_surname: str) -> str:
    if census_surname in PARTICLE_SURNAMES:
        return particle_variant(rng, census_surname)
    return census_surname


def _render_last_name(rng: random.Random, subject: Subject, tags: set[str]) -> str:
    paternal = _written_surname(rng, subject.paternal_surname)
    if not subject.maternal_surname:
        if subject.paternal_surname in PARTICLE_SURNAMES:
            tags.add("particle")
        return paternal
    maternal = _written_surname(rng, subject.maternal_surname)
    names = [name for name, _ in _SURNAME_LAYOUTS]
    layout = rng.choices(names, weights=[weight for _, weight in _SURNAME_LAYOUTS])[0]
    written_parts = {
        "paternal": (subject.paternal_surname,),
        "maternal": (subject.maternal_surname,),
    }.get(layout, (subject.paternal_surname, subject.maternal_surname))
    if any(part in PARTICLE_SURNAMES for part in written_parts):
        tags.add("particle")
    if subject.files_both_surnames:
        filed_layout = "hyphen" if subject.hyphenates_surnames else "spaced"
    else:
        filed_layout = "paternal"
    written = _surname_layout(layout, paternal, maternal)
    # "LOPEZ LOPEZ" swapped is still "LOPEZ LOPEZ": only a visible difference is a hazard
    if written != _surname_layout(filed_layout, paternal, maternal):
        tags.add("compound_surname")
    return written


def _render_names(rng: random.Random, subject: Subject, tags: set[str]) -> dict[str, str]:
    first, middle_name = subject.first_name, subject.middle_name
    nickname = nickname_for(rng, first.split(" ")[0])
    if nickname and rng.random() < NICKNAME_RATE:
        first = nickname
        tags.add("nickname")
    elif " " in first:
        # a double given name: whole, split into first and middle, or the first part only
        given, second = first.split(" ", 1)
        roll = rng.random()
        if roll < 0.3 and not middle_name:
            first, middle_name = given, second
        elif roll < 0.55:
            first = given
    last = _render_last_name(rng, subject, tags)
    middle = ""
    if middle_name:
        roll = rng.random()
        middle = "" if roll < 0.5 else middle_name[:1] if roll < 0.7 else middle_name
    if subject.filed_middle_name and not middle:
        tags.add("no_middle")
    if rng.random() < ACCENTED_REQUEST_RATE:
        first, middle, last = add_accents(first), add_accents(middle), add_accents(last)
    if rng.random() < NAME_TYPO_RATE:
        if rng.random() < 0.5:
            edited, first = first, one_char_edit(rng, first)
        else:
            edited, last = last, one_char_edit(rng, last)
        if edited not in (first, last):
            tags.add("typo")
    if rng.random() < NAME_SWAP_RATE:
        first, last = last, first
        tags.add("name_swap")
    # judged on the final text: a typo can take an accented letter away again
    if subject.in_file and _has_accent(first + last) != _has_accent(
        subject.filed_first_name + subject.filed_last_name
    ):
        tags.add("accent")
    style = rng.choices([s for s, _ in CASE_STYLES], weights=[w for _, w in CASE_STYLES])[0]
    suffix = ""
    if subject.true_suffix and rng.random() < SUFFIX_GIVEN_RATE:
        suffix = rng.choice(_SUFFIX_FORMS[subject.true_suffix])
    return {
        "first_name": apply_case(first, style),
        "middle_name": apply_case(middle, style),
        "last_name": apply_case(last, style),
        "suffix": suffix,
    }


def _mistyped_tin(rng: random.Random, tin: str) -> str:
    """One digit wrong, still shaped like an issued TIN: a wrong TIN that passes a format check
    is the dangerous kind."""
    while True:
        position = rng.randrange(9)
        digit = str((int(tin[position]) + rng.randint(1, 9)) % 10)
        typed = tin[:position] + digit + tin[position + 1 :]
        if looks_issued(typed):
            return typed


def _render_tin(rng: random.Random, picker: SubjectPicker, subject: Subject, tags: set[str]) -> str:
    given_rate = TIN_GIVEN_RATE if subject.in_file else TIN_GIVEN_RATE / 2
    if rng.random() >= given_rate:
        return ""
    tags.add("tin_given")
    if not subject.in_file:
        if rng.random() < 0.5:
            tags.add("tin_wrong")
            tin = picker.someone_elses_tin(subject)
        else:
            tin = picker.unissued_tin()
    elif rng.random() < TIN_WRONG_RATE:
        tags.add("tin_wrong")
        if rng.random() < 0.5:
            tin = picker.someone_elses_tin(subject)
        else:
            tin = _mistyped_tin(rng, subject.tin)
    else:
        tin = subject.tin
    return f"{tin[:3]}-{tin[3:5]}-{tin[5:]}" if rng.random() < 0.4 else tin


def _render_row(
    rng: random.Random, picker: SubjectPicker, subject: Subject, case: Case, as_of_year: int
) -> tuple[dict[str, str], set[str], set[str]]:
    """The row, the hazard tags that came from writing the name, and all other tags (kept
    apart because a missing name or a replaced address takes its tags away again)."""
    name_tags: set[str] = set()
    row = _render_names(rng, subject, name_tags)
    tags = set(subject.tags)
    stressed = "jr_sr" in tags and picker.mix == "stress"
    no_dob_rate = NO_DOB_RATE_JR_SR_STRESS if stressed else NO_DOB_RATE
    if picker.mix == "noisy":
        no_dob_rate = NO_DOB_RATE_NOISY
    # the same draws whatever the rate, so a noisy world's rows are its census twin's rows
    # (same people, same text) with fewer dates of birth taken away and the corruption on top
    without_dob = rng.random() < no_dob_rate
    row["dob"] = render_dob(rng, subject.dob)
    if without_dob:
        row["dob"] = ""
        tags.add("no_dob")
    address = render_address(rng, subject.address, typo=rng.random() < STREET_TYPO_RATE)
    if address.has_typo:
        tags.add("typo")
    if subject.address.shared_building:
        tags.add("apartment")
    city = address.city.title() if row["last_name"].istitle() else address.city
    row.update(street=address.street, city=city, state=address.state, zip=address.zip_code)
    row["tin"] = _render_tin(rng, picker, subject, tags)
    row.update(
        tax_periods=render_tax_periods(rng, as_of_year),
        statute=case.statute,
        case_number=case.number,
        reason=case.reason,
    )
    return row, name_tags, tags


def build_requests(
    world: World,
    rng: np.random.Generator,
    text_rng: random.Random,
    *,
    requests: int,
    as_of_year: int,
    legal_deficiency_rate: float,
    request_mix: str = "stress",
    plan: RequestPlan | None = None,
    taken: Taken | None = None,
) -> RequestBatch:
    """``requests`` rows about people of ``world``. A chunked world passes the batch-wide
    ``plan`` (cases, legal defects, numbering) and the other blocks' TINs (``taken``); without
    them the batch is the whole world's and draws its own plan."""
    picker = SubjectPicker(world, rng, text_rng, mix=request_mix, taken=taken)
    # the corruption draws from a stream of its own, spawned without consuming a draw of the
    # others, so corrupting leaves every other choice (who, which address, ...) unchanged
    noise_seed = rng.bit_generator.seed_seq.spawn(1)[0]  # type: ignore[attr-defined]
    noise_rng = random.Random(int(np.random.default_rng(noise_seed).integers(2**63)))
    if plan is None:
        plan = RequestPlan.draw(
            rng,
            text_rng,
            requests=requests,
            as_of_year=as_of_year,
            legal_deficiency_rate=legal_deficiency_rate,
        )
    cases, case_of_row, kind_of_row = plan.cases, plan.case_of_row, plan.kind_of_row
    rows: list[dict[str, str]] = []
    truth: list[dict[str, str]] = []
    tag_order = {tag: i for i, tag in enumerate(HAZARD_TAGS)}
    for index in range(plan.first_index, plan.first_index + requests):
        if text_rng.random() < NOT_IN_FILE_SHARE:
            subject = picker.outsider(as_of_year)
        else:
            subject = picker.pick_taxpayer()
        fields, name_tags, other_tags = _render_row(
            text_rng, picker, subject, cases[int(case_of_row[index])], as_of_year
        )
        kind = kind_of_row.get(index)
        if kind is not None:
            make_deficient(text_rng, kind, fields)
            other_tags.add(kind)
            if kind in ADDRESS_KINDS:  # the street as written is gone, and its variations
                other_tags -= {"apartment", "typo", "address_not_filed", "namesake_elsewhere"}
            if kind == "missing_name":
                name_tags = set()
                other_tags.discard("common_name")
        corruptions: list[str] = []
        if request_mix == "noisy" and kind is None:
            corruptions = corrupt_row(noise_rng, fields)
            other_tags |= noise_tags(corruptions)
            if not fields["dob"]:
                other_tags.add("no_dob")
            if subject.filed_middle_name and not fields["middle_name"]:
                name_tags.add("no_middle")
        tags = name_tags | other_tags
        request_id = f"REQ-{index + 1:07d}"
        filed = ""
        if subject.in_file:
            asked = set(parse_tax_periods(fields["tax_periods"]) or ())
            filed_years = world.filings.year[world.filings.rows_of(subject.person)]
            filed = "true" if asked & set(filed_years.tolist()) else "false"
        rows.append({"request_id": request_id, **fields})
        truth.append(
            {
                "request_id": request_id,
                "tin": subject.tin,
                "hazards": ";".join(sorted(tags, key=tag_order.__getitem__)),
                "legally_sufficient": "false" if kind else "true",
                "filed_in_periods": filed,
                "corruptions": ";".join(corruptions),
            }
        )
    used = sorted(
        {int(case_of_row[i]) for i in range(plan.first_index, plan.first_index + requests)}
    )
    return RequestBatch(rows=rows, truth=truth, cases=[cases[i] for i in used])
