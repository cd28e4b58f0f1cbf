"""Hypothesis for intake's value parsers: dates, TINs, names and cell text."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from matchgate.intake.columns import normalize_header
from matchgate.intake.values import check_dob, check_text, check_tin, split_full_name

FORMATS = ("%Y-%m-%d", "%m/%d/%Y", "%Y%m%d", "%b %d, %Y", "%d %B %Y", "%m-%d-%Y")


@settings(max_examples=300, deadline=None)
@given(day=st.dates(date(1900, 1, 1), date(2026, 1, 1)), fmt=st.sampled_from(FORMATS))
def test_dates_of_birth_read_back_in_every_format(day: date, fmt: str) -> None:
    assert check_dob(day.strftime(fmt), today=date(2026, 6, 1)) == (day.isoformat(), None)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_dob_never_raises_and_is_iso_when_valid(text: str) -> None:
    value, problem = check_dob(text, today=date(2026, 6, 1))
    if problem is None and text:
        assert date.fromisoformat(value) <= date(2026, 6, 1)


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[1-8][0-9]{2}-[0-9]{2}-[0-9]{4}", fullmatch=True))
def test_dashed_tins_normalize_to_nine_digits(text: str) -> None:
    value, problem = check_tin(text)
    if problem is None:
        assert value == text.replace("-", "") and len(value) == 9


@settings(max_examples=300, deadline=None)
@given(st.lists(st.from_regex(r"[A-Za-z][a-z]{0,10}", fullmatch=True), max_size=6))
def test_split_full_name_keeps_every_word(words: list[str]) -> None:
    parts = split_full_name(" ".join(words))
    assert sorted(" ".join(parts).split()) == sorted(words)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=1_200))
def test_cell_text_is_clean_or_refused(text: str) -> None:
    value, problem = check_text(text, "street")
    if problem is None:
        assert value == value.strip() and "  " not in value and len(value) <= 1_000
    else:
        assert value == "" and problem.field == "street"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_header_normalization_is_idempotent(text: str) -> None:
    once = normalize_header(text)
    assert normalize_header(once) == once and (once.isascii() or not once)
