"""Hypothesis for the review's parsers: citations, tax periods and reason normalization."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from matchgate.review.facts import normalize_reason
from matchgate.review.periods import parse_tax_periods
from matchgate.review.statutes import parse_citations, statute_registry

ENTRIES = statute_registry().entries()
FORMS = (
    "{t} USC {s}",
    "{t} U.S.C. {s}",
    "{t} U.S.C. § {s}",
    "{t} U.S.C. §{s}(a)(1)",
    "{t} u.s.c. sec. {s}",
    "Title {t}, United States Code, Section {s}",
    "  {t}  USC  {s}(b) ",
)


@settings(max_examples=300, deadline=None)
@given(entry=st.sampled_from(ENTRIES), form=st.sampled_from(FORMS))
def test_every_registry_citation_reads_back_in_every_form(entry, form) -> None:  # type: ignore[no-untyped-def]
    text = form.format(t=entry.citation.title, s=entry.citation.section)
    [citation] = parse_citations(text)
    assert statute_registry().lookup(citation) == entry


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_citation_parser_never_raises(text: str) -> None:
    for citation in parse_citations(text):
        assert citation.title.isdigit() and citation.section[:1].isdigit()


@settings(max_examples=300, deadline=None)
@given(
    years=st.sets(st.integers(1990, 2030), min_size=1, max_size=6),
    separator=st.sampled_from([";", ",", "; ", ", ", " ", " & "]),
    prefix=st.sampled_from(["", "TY", "TY ", "FY"]),
)
def test_listed_years_parse_back(years: set[int], separator: str, prefix: str) -> None:
    text = separator.join(f"{prefix}{year}" for year in sorted(years))
    assert parse_tax_periods(text) == tuple(sorted(years))


@settings(max_examples=200, deadline=None)
@given(
    start=st.integers(1990, 2030),
    length=st.integers(0, 10),
    dash=st.sampled_from(["-", " - ", "–", " to ", " through "]),
)
def test_ranges_parse_back(start: int, length: int, dash: str) -> None:
    assert parse_tax_periods(f"{start}{dash}{start + length}") == tuple(
        range(start, start + length + 1)
    )


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_period_parser_never_raises_and_returns_sorted_years(text: str) -> None:
    years = parse_tax_periods(text)
    assert years is None or list(years) == sorted(set(years))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_reason_normalization_is_idempotent(text: str) -> None:
    once = normalize_reason(text)
    assert normalize_reason(once) == once
    assert normalize_reason(text.upper()) == normalize_reason(text.lower()) or not text.isascii()
