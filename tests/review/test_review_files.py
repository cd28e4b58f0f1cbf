"""Policy and letter files, ``review_batch`` end to end, and the ``review``/``policy`` CLI."""

from __future__ import annotations

import shutil
import tomllib
from datetime import date
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from matchgate.cli.review_commands import register
from matchgate.errors import IntakeError, LetterError, PolicyError
from matchgate.review import Policy, ReviewOutcome, load_letter, review_batch

CORPUS = Path(__file__).parent / "corpus"
GOOD_LETTER = CORPUS / "letters" / "good.toml"


def test_policy_defaults_and_round_trip(tmp_path: Path) -> None:
    assert Policy.load(None) == Policy.defaults()
    defaults = Policy.defaults()
    assert (
        defaults.period_span_years,
        defaults.max_batch_rows,
        defaults.max_cases_per_officer,
        defaults.safeguards_max_age_years,
        defaults.reason_boilerplate_share,
    ) == (6, 100_000, 50, 3, 0.2)
    path = tmp_path / "policy.toml"
    path.write_text(defaults.to_toml(), encoding="utf-8")
    assert Policy.load(path) == defaults
    assert "max_batch_rows = 100_000" in defaults.to_toml()


def test_policy_reads_only_its_table(tmp_path: Path) -> None:
    path = tmp_path / "policy.toml"
    path.write_text("[match]\nthreshold = 0.99\n[review]\nmax_batch_rows = 10\n", "utf-8")
    assert Policy.load(path).max_batch_rows == 10


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[review]\nmax_batch_row = 5\n", "review.max_batch_row"),
        ("[review]\nmax_batch_rows = 0\n", "review.max_batch_rows"),
        ("[review]\nmax_batch_rows = '5'\n", "review.max_batch_rows"),
        ("[review]\nreason_boilerplate_share = 1.5\n", "review.reason_boilerplate_share"),
        ("[review]\nallow_po_box = 1\n", "review.allow_po_box"),
        ("[review]\ntax_statutes = 'maybe'\n", "review.tax_statutes"),
        ("review = 3\n", "review"),
        ("[review\n", None),
    ],
)
def test_bad_policies_name_the_setting(tmp_path: Path, text: str, field: str | None) -> None:
    path = tmp_path / "policy.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(PolicyError) as caught:
        Policy.load(path)
    assert caught.value.field == field and str(path) in str(caught.value)


def test_letter_loads_with_dates_and_officers() -> None:
    letter = load_letter(GOOD_LETTER)
    assert (letter.agency_code, letter.date_signed) == ("DHS", date(2026, 10, 30))
    assert letter.safeguards_report_date == date(2026, 3, 16)
    assert len(letter.officers) == 2 and letter.officers[0].case_numbers[0] == "HSI-2026-000001"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("[letter]\nagency = 'DHS'\n", "letter.date_signed"),
        ("[letter]\ndate_signed = 'soon'\n", "letter.date_signed"),
        ("[letter]\ndate_signed = 2026-01-01\nagency = 3\n", "letter.agency"),
        (
            "[letter]\ndate_signed = 2026-01-01\nsafeguards_report_date = 5\n",
            "letter.safeguards_report_date",
        ),
        ("officers = 'x'\n[letter]\ndate_signed = 2026-01-01\n", "officers"),
        (
            "[letter]\ndate_signed = 2026-01-01\nsafeguards_reprot = 'x'\n",
            "letter.safeguards_reprot",
        ),
        (
            "[letter]\ndate_signed = 2026-01-01\n[[officers]]\ncase_numbers = [1]\n",
            "officers[1].case_numbers",
        ),
        ("title = 'no letter table'\n", "letter"),
        ("[letter\n", None),
    ],
)
def test_malformed_letters_name_file_and_field(
    tmp_path: Path, text: str, field: str | None
) -> None:
    path = tmp_path / "letter.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(LetterError) as caught:
        load_letter(path)
    if field:
        assert caught.value.field == field
    assert str(path) in str(caught.value)


def test_missing_letter_file(tmp_path: Path) -> None:
    with pytest.raises(LetterError, match="cannot read"):
        load_letter(tmp_path / "absent.toml")


def test_string_dates_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "letter.toml"
    path.write_text("[letter]\ndate_signed = '2026-10-30'\n", encoding="utf-8")
    assert load_letter(path).date_signed == date(2026, 10, 30)


def test_review_batch_counts_outcomes_and_reasons() -> None:
    stages: list[tuple[str, int, int | None]] = []
    report = review_batch(
        CORPUS / "bad_rows.csv",
        letter_path=GOOD_LETTER,
        progress=lambda stage, done, total: stages.append((stage, done, total)),
    )
    assert report.row_count == 72 and report.format == "csv"
    assert sum(report.outcome_counts.values()) == 72
    assert report.outcome_counts[ReviewOutcome.ACCEPTED] >= 6
    counts = report.reason_counts()
    assert counts["address_placeholder"] >= 9 and counts["statute_civil"] >= 5
    assert {r.source for r in report.reasons} == {"row", "intake"}
    assert stages[0] == ("reading", 72, None) and stages[-1] == ("reviewing", 72, 72)
    assert report.letter_decision.outcome is ReviewOutcome.ACCEPTED


def test_review_batch_with_a_deficient_letter() -> None:
    report = review_batch(
        CORPUS / "bad_rows.csv", letter_path=CORPUS / "letters" / "signer_ice_director.toml"
    )
    assert report.outcome_counts[ReviewOutcome.LEGALLY_DEFICIENT] == 72
    [letter_reason] = [r for r in report.reasons if r.source == "letter"]
    assert (letter_reason.code, letter_reason.rows) == ("signer_not_authorized", 72)


def _app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def test_cli_review_prints_a_table_per_reason(tmp_path: Path) -> None:
    requests = tmp_path / "requests.csv"
    shutil.copy(CORPUS / "bad_rows.csv", requests)
    result = CliRunner().invoke(
        _app(),
        ["review", "--requests", str(requests), "--letter", str(GOOD_LETTER)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    for text in (
        "Rows by outcome",
        "Rows by reason",
        "address_placeholder",
        "legally_deficient",
        "26 U.S.C. 6103(i)(2)(B)(i)",
        "72 rows",
    ):
        assert text in result.output


def test_cli_review_lets_errors_reach_the_exit_code_mapper(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"")
    result = CliRunner().invoke(
        _app(), ["review", "--requests", str(bad), "--letter", str(GOOD_LETTER)]
    )
    assert isinstance(result.exception, IntakeError)


def test_cli_policy_show(tmp_path: Path) -> None:
    result = CliRunner().invoke(_app(), ["policy", "show"])
    assert result.exit_code == 0
    # The whole policy file: the [review] table, then the [match] table.
    assert result.output.startswith(Policy.defaults().to_toml())
    shown = tomllib.loads(result.output)
    assert shown["review"]["max_cases_per_officer"] == 50
    assert shown["match"]["require_address_in_history"] is True
    path = tmp_path / "p.toml"
    path.write_text("[review]\nmax_cases_per_officer = 20\n", encoding="utf-8")
    result = CliRunner().invoke(_app(), ["policy", "show", "--policy", str(path)])
    assert "max_cases_per_officer = 20" in result.output


def test_shipped_default_policy_file_is_the_defaults() -> None:
    shipped = Path(__file__).parents[2] / "src/matchgate/review/data/default_policy.toml"
    assert shipped.read_text(encoding="utf-8") == Policy.defaults().to_toml()
    assert Policy.load(shipped) == Policy.defaults()
