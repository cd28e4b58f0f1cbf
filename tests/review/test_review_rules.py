"""Review rules one at a time: statutes, periods, addresses, reasons, letters, the batch."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from types import SimpleNamespace

import pytest

import matchgate.review as review
from matchgate.intake import RequestRecord
from matchgate.review import (
    CITATIONS,
    BatchFacts,
    LetterDecision,
    Officer,
    Policy,
    RequestLetter,
    ReviewOutcome,
    address_rule,
    review_letter,
    review_row,
)
from matchgate.review.agencies import agency_registry
from matchgate.review.periods import parse_tax_periods
from matchgate.review.statutes import StatuteKind, parse_citations, statute_registry

LETTER = RequestLetter(
    agency="Department of Homeland Security",
    agency_code="DHS",
    signer_name="Jordan Example",
    signer_title="Secretary of Homeland Security",
    date_signed=date(2026, 10, 30),
    safeguards_report="SSR-DHS-2026-01",
    safeguards_report_date=date(2026, 3, 16),
    officers=(Officer("Alex Agent", "Special Agent", ("HSI-1", "HSI-2")),),
    batch_description="test",
)
GOOD = RequestRecord(
    row_number=1,
    first_name="Ana",
    last_name="Diaz",
    street="12 Main St",
    city="Austin",
    state="TX",
    zip="78701",
    tax_periods="2023-2025",
    statute="18 U.S.C. 1343",
    case_number="HSI-1",
    reason="Received proceeds of the wire fraud scheme under investigation",
)


def _review(record: RequestRecord, letter: RequestLetter = LETTER, **policy: object):  # type: ignore[no-untyped-def]
    facts = BatchFacts()
    facts.observe(record)
    rules = dataclasses.replace(Policy.defaults(), **policy)
    decision = review_letter(letter, facts=facts, policy=rules)
    return review_row(record, letter=letter, letter_decision=decision, facts=facts, policy=rules)


def test_exported_names_are_exactly_these() -> None:
    assert review.__all__ == sorted(review.__all__)
    for name in (
        "Policy",
        "RequestLetter",
        "Officer",
        "load_letter",
        "BatchFacts",
        "LetterDecision",
        "ReviewDecision",
        "ReviewOutcome",
        "review_letter",
        "review_row",
        "review_batch",
        "ReviewReport",
    ):
        assert name in review.__all__


def test_a_good_row_is_accepted_with_no_reasons() -> None:
    decision = _review(GOOD)
    assert (decision.outcome, decision.reasons) == (ReviewOutcome.ACCEPTED, ())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("18 USC 1343", ["18 U.S.C. 1343"]),
        ("18 U.S.C. § 1343", ["18 U.S.C. 1343"]),
        ("18 U.S.C. 1343(a)", ["18 U.S.C. 1343"]),
        ("18 u.s.c. sec. 1343", ["18 U.S.C. 1343"]),
        ("Title 18, United States Code, Section 1343", ["18 U.S.C. 1343"]),
        ("18 U.S.C. §§ 1343, 1349", ["18 U.S.C. 1343", "18 U.S.C. 1349"]),
        ("18 U.S.C. 1343 and 21 U.S.C. 846", ["18 U.S.C. 1343", "21 U.S.C. 846"]),
        ("18 USC 1028A(a)(1)", ["18 U.S.C. 1028A"]),
        ("42 U.S.C. 1320a-7b(b)", ["42 U.S.C. 1320a-7b"]),
        ("8 U.S.C. §1182(a)(6)(A)(i)", ["8 U.S.C. 1182"]),
        ("wire fraud", []),
        ("", []),
    ],
)
def test_statute_citations_normalize(text: str, expected: list[str]) -> None:
    assert [str(c) for c in parse_citations(text)] == expected


REQUIRED_CRIMINAL = (
    [
        ("18", s)
        for s in ("1001", "1028", "1028A", "1341", "1343", "1344", "1546", "1956", "1957", "371")
    ]
    + [("21", s) for s in ("841", "846", "952")]
    + [("8", s) for s in ("1324", "1325", "1326", "1327", "1328")]
)


@pytest.mark.parametrize(("title", "section"), REQUIRED_CRIMINAL)
def test_registry_holds_required_criminal_statutes(title: str, section: str) -> None:
    [citation] = parse_citations(f"{title} U.S.C. {section}")
    assert statute_registry().kind(citation) is StatuteKind.CRIMINAL


@pytest.mark.parametrize("section", [str(s) for s in range(7201, 7208)])
def test_title_26_offenses_are_known_but_tax_administration(section: str) -> None:
    [citation] = parse_citations(f"26 USC {section}")
    assert statute_registry().kind(citation) is StatuteKind.TAX


@pytest.mark.parametrize("section", ["1227", "1182", "1229a"])
def test_removal_provisions_are_civil(section: str) -> None:
    [citation] = parse_citations(f"8 U.S.C. {section}")
    assert statute_registry().kind(citation) is StatuteKind.CIVIL


def test_every_registry_entry_has_a_description() -> None:
    entries = statute_registry().entries()
    assert len(entries) > 150
    assert all(e.description and e.citation.section for e in entries)


def test_tax_statutes_can_be_sent_to_review_by_policy() -> None:
    record = dataclasses.replace(GOOD, statute="26 U.S.C. 7206")
    assert _review(record).outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert _review(record, tax_statutes="review").outcome is ReviewOutcome.NEEDS_REVIEW


@pytest.mark.parametrize(
    ("text", "years"),
    [
        ("2023-2025", (2023, 2024, 2025)),
        ("2024", (2024,)),
        ("2022;2024", (2022, 2024)),
        ("2022,2023", (2022, 2023)),
        ("TY2023", (2023,)),
        ("TY 2021 - TY 2022", (2021, 2022)),
        ("2021 through 2023", (2021, 2022, 2023)),
        ("2022 & 2024", (2022, 2024)),
        ("2025-2023", None),
        ("2023-25", None),
        ("last year", None),
        ("1850", None),
        ("", None),
    ],
)
def test_tax_periods_parse(text: str, years: tuple[int, ...] | None) -> None:
    assert parse_tax_periods(text) == years


def test_periods_are_judged_against_the_letter_date_not_today() -> None:
    letter = dataclasses.replace(
        LETTER, date_signed=date(2031, 1, 15), safeguards_report_date=None, safeguards_report=""
    )
    record = dataclasses.replace(GOOD, tax_periods="2030")
    codes = {r.code for r in _review(record, letter).reasons}
    assert "periods_not_past" not in codes and "periods_too_old" not in codes
    codes = {r.code for r in _review(dataclasses.replace(GOOD, tax_periods="2024"), letter).reasons}
    assert "periods_too_old" in codes


@pytest.mark.parametrize(
    ("street", "city", "state", "zip_code", "kind"),
    [
        ("", "", "", "", "empty"),
        ("Failed to Provide", "", "", "78701", "placeholder"),
        ("Unknown Address", "Austin", "TX", "78701", "placeholder"),
        ("NA NA", "Austin", "TX", "78701", "placeholder"),
        ("n/a", "Austin", "TX", "78701", "placeholder"),
        ("", "", "", "78701", "zip_only"),
        ("78701-1234", "", "", "", "zip_only"),
        ("Harris County Jail 1200 Baker St", "Houston", "TX", "77002", "institution"),
        ("PO Box 44", "Austin", "TX", "78701", "po_box"),
        ("12 Main St", "Austin", "TX", "", "street"),
        ("12 Main St", "", "", "78701", "street"),
        ("12 Main St", "", "", "", "unparseable"),
        ("12 Main St", "Austin", "TX", "787", "unparseable"),
        ("Main Street", "Austin", "TX", "78701", "unparseable"),
    ],
)
def test_fallback_address_classifier(
    street: str, city: str, state: str, zip_code: str, kind: str
) -> None:
    assert address_rule.fallback_address_kind(street, city, state, zip_code)[0] == kind


def test_address_rule_uses_standardize_when_importable(monkeypatch: pytest.MonkeyPatch) -> None:
    verdicts = {"9 Odd Rd": "institution", "10 Odd Rd": "martian"}

    def fake(street: str, city: str, state: str, zip_code: str) -> SimpleNamespace:
        return SimpleNamespace(kind=verdicts.get(street, "street"), reasons=("Fake said so.",))

    monkeypatch.setattr(address_rule, "_standardizer", lambda: fake)
    assert address_rule.classify_address("9 Odd Rd", "A", "TX", "78701") == (
        "institution",
        "Fake said so.",
    )
    # An answer the review does not know never passes as a real address.
    assert address_rule.classify_address("10 Odd Rd", "A", "TX", "78701")[0] == "unparseable"
    # A street without city/state or ZIP is still incomplete, whatever standardize says.
    assert address_rule.classify_address("1 Main St", "", "", "")[0] == "unparseable"


def test_policy_decides_po_boxes_and_institutions() -> None:
    box = dataclasses.replace(GOOD, street="PO Box 44")
    assert _review(box).outcome is ReviewOutcome.ACCEPTED
    assert {r.code for r in _review(box, allow_po_box=False).reasons} == {"address_po_box"}
    jail = dataclasses.replace(GOOD, street="Travis County Jail 500 W 10th St")
    assert _review(jail).outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert _review(jail, allow_institution=True).outcome is ReviewOutcome.ACCEPTED


def _batch(reasons: list[str]) -> tuple[BatchFacts, list[RequestRecord]]:
    records = [
        dataclasses.replace(GOOD, row_number=i, first_name=f"Ana{i}", reason=text)
        for i, text in enumerate(reasons, start=1)
    ]
    facts = BatchFacts()
    for record in records:
        facts.observe(record)
    return facts, records


@pytest.mark.parametrize(
    ("size", "same", "flagged"),
    [(100, 21, True), (100, 20, False), (49, 40, False), (50, 11, True)],
)
def test_boilerplate_reason(size: int, same: int, flagged: bool) -> None:
    boiler = "Subject is an alien believed to be present in violation of law."
    texts = [
        f"BOILERPLATE: {boiler}".lower().replace("boilerplate: ", "") + "!!" for _ in range(same)
    ] + [f"Received wire transfer number {i} from the scheme" for i in range(size - same)]
    facts, records = _batch(texts)
    policy = Policy.defaults()
    letter_decision = review_letter(LETTER, facts=facts, policy=policy)
    decision = review_row(
        records[0], letter=LETTER, letter_decision=letter_decision, facts=facts, policy=policy
    )
    assert ("reason_boilerplate" in {r.code for r in decision.reasons}) is flagged
    if flagged:
        assert decision.outcome is ReviewOutcome.NEEDS_REVIEW
        assert f"{same:,} of {size:,} rows" in decision.reasons[0].message
        assert facts.most_common_reasons(1)[0][1] == same


def test_a_deficient_letter_makes_every_row_deficient_with_its_reasons() -> None:
    letter = dataclasses.replace(LETTER, signer_title="Deputy Chief of Staff")
    decision = _review(GOOD, letter)
    assert decision.outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert [r.code for r in decision.reasons] == ["signer_not_authorized"]


def test_a_letter_needing_review_holds_back_accepted_rows_only() -> None:
    letter_decision = LetterDecision(
        ReviewOutcome.NEEDS_REVIEW, (review.citations.reason("batch_too_large", "Big."),)
    )
    facts = BatchFacts()
    bad = dataclasses.replace(GOOD, statute="")
    for record, outcome in (
        (GOOD, ReviewOutcome.NEEDS_REVIEW),
        (bad, ReviewOutcome.LEGALLY_DEFICIENT),
    ):
        decision = review_row(
            record,
            letter=LETTER,
            letter_decision=letter_decision,
            facts=facts,
            policy=Policy.defaults(),
        )
        assert decision.outcome is outcome
        assert decision.reasons[0].code == "batch_too_large"


def test_all_failing_reasons_are_returned_in_rule_order() -> None:
    record = RequestRecord(row_number=1, first_name="Ana", last_name="Diaz", duplicate_of=None)
    decision = _review(record)
    assert [r.code for r in decision.reasons] == [
        "address_missing",
        "periods_missing",
        "statute_missing",
        "case_number_missing",
        "reason_missing",
    ]
    assert all(r.citation == CITATIONS[r.code] for r in decision.reasons)


def test_duplicates_keep_their_outcome_and_say_so() -> None:
    decision = _review(dataclasses.replace(GOOD, row_number=5, duplicate_of=2))
    assert decision.outcome is ReviewOutcome.ACCEPTED
    assert [r.code for r in decision.reasons] == ["duplicate"]


def test_batch_facts_count_rows() -> None:
    facts, _ = _batch(["a b c d", "a b c d", "e f g h"])
    facts.observe(
        dataclasses.replace(
            GOOD,
            case_number="HSI-9",
            duplicate_of=1,
            problems=(review.citations.reason("duplicate", "x"),),
        )
    )
    assert (facts.row_count, facts.invalid_count, facts.duplicate_count) == (4, 1, 1)
    assert facts.distinct_case_numbers == 2
    assert facts.reason_count("A, B; C  D") == 2


def test_every_agency_entry_loads_and_dhs_is_on_file() -> None:
    dhs = agency_registry().by_code("DHS")
    assert dhs is not None and dhs.safeguards_report is not None
    assert (dhs.safeguards_report.report_id, dhs.safeguards_report.report_date) == (
        "SSR-DHS-2026-01",
        date(2026, 3, 16),
    )
    assert dhs.authorizes("Secretary of Homeland Security", allow_acting=False)
    doj = agency_registry().by_code("DOJ")
    assert doj is not None
    for title in (
        "Attorney General",
        "Deputy Attorney General",
        "Associate Attorney General",
        "Assistant Attorney General, Criminal Division",
        "Director of the Federal Bureau of Investigation",
        "Administrator of the Drug Enforcement Administration",
        "U.S. Attorney for the District of Arizona",
    ):
        assert doj.authorizes(title, allow_acting=False), title
    assert not doj.authorizes("Special Agent in Charge", allow_acting=True)
    assert all(agency.authorized_titles for agency in agency_registry())


# --- scope: officers and the agency's plausible caseload (6103(i)(2)(A)) ---------------------


def _scope_letter(**changes: object) -> review.RequestLetter:
    letter = review.load_letter(Path(__file__).parent / "corpus" / "letters" / "good.toml")
    return dataclasses.replace(letter, **changes)  # type: ignore[arg-type]


def _scope_facts(rows: int, duplicates: int = 0) -> review.BatchFacts:
    facts = review.BatchFacts()
    facts.row_count, facts.duplicate_count = rows, duplicates
    return facts


def _case_load_codes(letter: RequestLetter, limit: int) -> list[str]:
    rules = dataclasses.replace(Policy.defaults(), max_cases_per_officer=limit)
    decision = review_letter(letter, facts=_scope_facts(10), policy=rules)
    return [r.code for r in decision.reasons if r.code == "officer_case_load"]


def test_the_case_loads_derived_once_per_letter_are_judged_under_each_policy() -> None:
    # a look-up letter serves every look-up under it: its case loads and held cases are
    # derived once, and only the policy's limit is applied each time
    cases = tuple(f"HSI-{n}" for n in range(120)) + ("hsi-1", " HSI-2 ")  # 120 distinct
    letter = _scope_letter(officers=(Officer("Alex Agent", "Special Agent", cases),))
    assert _case_load_codes(letter, 119) == ["officer_case_load"]
    assert _case_load_codes(letter, 120) == []
    assert _case_load_codes(letter, 119) == ["officer_case_load"]
    # the same name twice counts its cases together; another letter is derived anew
    split = (
        Officer("Alex Agent", "Special Agent", cases[:60]),
        Officer("ALEX  AGENT", "Special Agent", cases[60:]),
    )
    assert _case_load_codes(_scope_letter(officers=split), 119) == ["officer_case_load"]
    assert _case_load_codes(_scope_letter(officers=split[:1]), 119) == []
    record = dataclasses.replace(GOOD, case_number="hsi-119")
    assert _review(record, letter, max_cases_per_officer=200).reasons == ()
    assert "case_no_officer" in {r.code for r in _review(record, LETTER).reasons}


def test_a_letters_signing_material_is_derived_per_request_file() -> None:
    from matchgate.review.letter import letter_signing_material

    first = letter_signing_material(LETTER, "A" * 64)
    assert letter_signing_material(LETTER, "a" * 64) == first
    assert letter_signing_material(LETTER, "b" * 64) != first
    assert letter_signing_material(LETTER, "A" * 64) == first
    lookups = dataclasses.replace(LETTER, kind="lookups", max_lookups=10)
    assert letter_signing_material(lookups, "a" * 64) == letter_signing_material(lookups, "")
    assert letter_signing_material(lookups, "") != letter_signing_material(
        dataclasses.replace(lookups, max_lookups=11), ""
    )


def test_duplicate_rows_do_not_count_against_the_caseload() -> None:
    policy = review.Policy()
    limit = 250_000 // 4
    over = review.review_letter(_scope_letter(), facts=_scope_facts(limit + 1), policy=policy)
    assert [r.code for r in over.reasons] == ["batch_exceeds_caseload"]
    assert over.outcome is ReviewOutcome.LEGALLY_DEFICIENT
    same_people = _scope_facts(limit + 1, duplicates=1)
    assert review.review_letter(_scope_letter(), facts=same_people, policy=policy).reasons == ()


def test_a_stricter_policy_share_lowers_the_caseload_limit() -> None:
    policy = review.Policy(max_caseload_share=0.01)
    decision = review.review_letter(_scope_letter(), facts=_scope_facts(2_501), policy=policy)
    assert decision.outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert "2,500" in decision.reasons[0].message


def test_an_agency_without_a_caseload_on_file_goes_to_review(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from matchgate.review import letter_rules

    found = letter_rules.find_agency(_scope_letter())
    assert found is not None
    unknown = dataclasses.replace(found, plausible_caseload=None)
    monkeypatch.setattr(letter_rules, "find_agency", lambda letter: unknown)
    decision = review.review_letter(_scope_letter(), facts=_scope_facts(10), policy=review.Policy())
    assert decision.outcome is ReviewOutcome.NEEDS_REVIEW
    assert [r.code for r in decision.reasons] == ["agency_caseload_unknown"]


def test_every_packaged_agency_has_a_plausible_caseload() -> None:
    for agency in agency_registry():
        assert isinstance(agency.plausible_caseload, int) and agency.plausible_caseload > 0


# --- batch size: a volume tripwire an office raises explicitly, never the scope rule ---------


def _big_agency(monkeypatch: pytest.MonkeyPatch, caseload: int) -> None:
    from matchgate.review import letter_rules

    found = letter_rules.find_agency(_scope_letter())
    assert found is not None
    big = dataclasses.replace(found, plausible_caseload=caseload)
    monkeypatch.setattr(letter_rules, "find_agency", lambda letter: big)


def test_the_default_sends_a_batch_over_100000_rows_to_a_person(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _big_agency(monkeypatch, 10_000_000)
    assert review.Policy().max_batch_rows == 100_000
    at_limit = review.review_letter(
        _scope_letter(), facts=_scope_facts(100_000), policy=review.Policy()
    )
    assert at_limit.reasons == ()
    over = review.review_letter(
        _scope_letter(), facts=_scope_facts(100_001), policy=review.Policy()
    )
    assert over.outcome is ReviewOutcome.NEEDS_REVIEW
    assert [r.code for r in over.reasons] == ["batch_too_large"]


def test_an_explicit_policy_admits_a_large_batch_the_caseload_allows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1.28 million rows pass on size only when the policy file says so and only for an
    agency whose registered caseload covers them (at the policy's share)."""
    path = tmp_path / "policy.toml"
    path.write_text("[review]\nmax_batch_rows = 1_500_000\nmax_caseload_share = 0.5\n", "utf-8")
    policy = review.Policy.load(path)
    _big_agency(monkeypatch, 2_560_000)
    admitted = review.review_letter(_scope_letter(), facts=_scope_facts(1_280_000), policy=policy)
    assert admitted.outcome is ReviewOutcome.ACCEPTED and admitted.reasons == ()
    _big_agency(monkeypatch, 3_000_002)  # the caseload covers 1,500,001 people: size alone
    over = review.review_letter(_scope_letter(), facts=_scope_facts(1_500_001), policy=policy)
    assert [r.code for r in over.reasons] == ["batch_too_large"]
    _big_agency(monkeypatch, 2_559_998)  # half of it is one person short
    short = review.review_letter(_scope_letter(), facts=_scope_facts(1_280_000), policy=policy)
    assert [r.code for r in short.reasons] == ["batch_exceeds_caseload"]


def test_no_size_setting_admits_the_2025_file_from_dhs(tmp_path: Path) -> None:
    """The highest size any policy may set leaves the caseload rule in force: 1.28 million
    people from DHS (plausible caseload 250,000) stay legally deficient."""
    path = tmp_path / "policy.toml"
    path.write_text("[review]\nmax_batch_rows = 10_000_000\nmax_caseload_share = 0.5\n", "utf-8")
    policy = review.Policy.load(path)
    decision = review.review_letter(_scope_letter(), facts=_scope_facts(1_280_000), policy=policy)
    assert decision.outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert [r.code for r in decision.reasons] == ["batch_exceeds_caseload"]
    census = review.review_letter(_scope_letter(), facts=_scope_facts(10_000_001), policy=policy)
    assert "batch_too_large" in [r.code for r in census.reasons]
