"""The yearly report against a ledger built in the test, and against direct counts of the
batches' own decision files (which the report never reads)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from matchgate.cli import app
from matchgate.cli.exit_codes import exit_code_for
from matchgate.errors import MatchgateError
from matchgate.ledger import Ledger
from matchgate.reasons import registry
from matchgate.report import LedgerSource, verify_report, write_report
from matchgate_cli import run_matchgate

from .conftest import RETRACTION_CAUSE, REVIEWER, Office

# Seconds per test (worlds, subprocesses, a model): the full suite only, not `make check`.
pytestmark = pytest.mark.slow


def cli(*args: object) -> tuple[int, str]:
    """``matchgate ARGS`` in-process; a matchgate error becomes its exit code, as in main()."""
    result = CliRunner(env={"COLUMNS": "200"}).invoke(app, [str(a) for a in args])
    if isinstance(result.exception, MatchgateError):
        return exit_code_for(result.exception), f"{result.output}{result.exception}"
    return result.exit_code, result.output + (str(result.exception or ""))


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def report_dir(office: Office, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "rep"
    code, output = cli(
        "report", "oversight", "--year", office.year, "--workspace", office.workspace, "--out", out
    )
    assert code == 0, output
    return out


def _codes(row: dict[str, str]) -> list[str]:
    return [code for code in row["reason_codes"].split(";") if code]


def test_the_folder_holds_the_page_every_table_as_csv_and_every_chart_as_png(
    report_dir: Path,
) -> None:
    manifest = json.loads((report_dir / "report.json").read_text())
    for name in manifest["tables"]:
        assert (report_dir / f"{name}.csv").is_file()
    for name in manifest["charts"]:
        assert (report_dir / f"{name}.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert len(manifest["charts"]) == 5
    page = (report_dir / "index.html").read_text()
    # Self-contained: no script, no stylesheet link, no address outside the page.
    for forbidden in ("<script", "<link", "http://", "https://", "url("):
        assert forbidden not in page.lower()
    assert page.count('src="data:image/png;base64,') == len(manifest["charts"])


def test_the_figures_agree_with_a_direct_count_of_the_batches(
    office: Office, report_dir: Path
) -> None:
    batches = {row["batch_id"]: row for row in read_csv(report_dir / "batches.csv")}
    assert set(batches) == set(office.decisions)
    expected_agency: Counter[str] = Counter()
    expected_reasons: Counter[tuple[str, str]] = Counter()
    tins: dict[str, set[str]] = {}
    for batch_id, rows in office.decisions.items():
        agency = office.agencies[batch_id]
        line = batches[batch_id]
        assert line["agency"] == agency
        assert int(line["request_rows"]) == len(rows)
        disclosed = [
            r for r in rows if r["outcome"] == "disclosed" and "duplicate" not in _codes(r)
        ]
        assert int(line["disclosures"]) == len(disclosed)
        expected_agency[(agency, "rows")] += len(rows)
        expected_agency[(agency, "disclosures")] += len(disclosed)
        expected_agency[(agency, "legal")] += sum(
            r["outcome"] in ("legally_deficient", "invalid") for r in rows
        )
        tins.setdefault(agency, set()).update(r["tin"] for r in disclosed)
        for row in rows:
            if row["outcome"] != "disclosed":
                for code in _codes(row):
                    expected_reasons[(agency, code)] += 1
    # The deficient world's letter is refused, and why; the good world's is accepted.
    verdicts = sorted(line["letter"] for line in batches.values())
    assert verdicts == ["accepted", "refused"]
    refused = next(line for line in batches.values() if line["letter"] == "refused")
    assert refused["letter_reason_codes"]
    for code in refused["letter_reason_codes"].split(";"):
        assert registry()[code].stage == "letter"
    assert refused["disclosures"] == "0"

    answered = {line["agency"]: line for line in read_csv(report_dir / "agency_outcomes.csv")}
    for asked in read_csv(report_dir / "agencies.csv"):
        agency = asked["agency"]
        assert int(asked["request_rows"]) == expected_agency[(agency, "rows")]
        line = answered[agency]
        assert int(line["disclosures"]) == expected_agency[(agency, "disclosures")]
        assert int(line["rows_refused_legal_review"]) == expected_agency[(agency, "legal")]
        assert int(line["distinct_taxpayers"]) == len(tins[agency])
        assert line["entries"].split("..")[0].isdigit()
    agencies = read_csv(report_dir / "agency_outcomes.csv")
    assert sum(int(line["retractions"]) for line in agencies) == 1
    assert sum(int(line["review_actions"]) for line in agencies) == 1
    assert sum(int(line["letters_refused"]) for line in read_csv(report_dir / "agencies.csv")) == 1

    reasons = {
        (line["agency"], line["reason_code"]): int(line["rows"])
        for line in read_csv(report_dir / "refusal_reasons.csv")
    }
    assert reasons == dict(expected_reasons)
    steps = {
        line["reason_code"]: line["step"] for line in read_csv(report_dir / "refusal_reasons.csv")
    }
    assert steps.get("no_candidate", "matching") == "matching"
    assert any(step == "legal review" for step in steps.values())


def test_statutes_outcomes_and_months_add_up(office: Office, report_dir: Path) -> None:
    outcomes: Counter[str] = Counter(
        row["outcome"] for rows in office.decisions.values() for row in rows
    )
    statutes = read_csv(report_dir / "statutes.csv")
    for outcome in outcomes:
        assert sum(int(line[outcome]) for line in statutes) == outcomes[outcome]
    assert all(line["statute"] != "(not recorded)" for line in statutes)
    months = read_csv(report_dir / "outcomes_by_month.csv")
    for outcome in outcomes:
        assert sum(int(line[outcome]) for line in months) == outcomes[outcome]


def test_retractions_reviews_officers_and_the_queue(office: Office, report_dir: Path) -> None:
    [retraction] = read_csv(report_dir / "retractions.csv")
    assert (retraction["cause"], retraction["retractions"]) == (RETRACTION_CAUSE, "1")
    [review] = read_csv(report_dir / "review_actions.csv")
    assert (review["action"], review["reviewer"], review["actions"]) == (
        "confirm_not_disclosed",
        REVIEWER,
        "1",
    )
    flagged = sum(
        row["outcome"] in ("needs_review", "ambiguous")
        for rows in office.decisions.values()
        for row in rows
    )
    queue = read_csv(report_dir / "review_queue.csv")
    assert sum(int(line["rows_flagged"]) for line in queue) == flagged
    assert sum(int(line["reviewed"]) for line in queue) == 1
    assert sum(int(line["pending"]) for line in queue) == flagged - 1
    officers = read_csv(report_dir / "officers.csv")
    assert officers and all(int(line["letters"]) >= 1 for line in officers)
    assert all(int(line["most_cases_in_one_letter"]) >= 1 for line in officers)
    disclosures = sum(
        int(line["disclosures"]) for line in read_csv(report_dir / "agency_outcomes.csv")
    )
    assert sum(int(line["disclosures_received"]) for line in officers) >= disclosures
    monthly = read_csv(report_dir / "wrong_disclosures_by_month.csv")
    assert sum(int(line["later_retracted"]) for line in monthly) == 1
    assert sum(int(line["disclosures"]) for line in monthly) == disclosures
    probabilities = read_csv(report_dir / "disclosure_probabilities.csv")
    assert sum(int(line["disclosures"]) for line in probabilities) == disclosures
    estimated = sum(float(line["estimated_wrong"]) for line in monthly)
    binned = sum(float(line["sum_1_minus_p"] or 0) for line in probabilities)
    assert estimated == pytest.approx(binned, abs=1e-5)


def test_verify_accepts_the_report_and_names_a_tampered_cell(
    office: Office, report_dir: Path, tmp_path: Path
) -> None:
    code, output = cli("report", "verify", report_dir, "--workspace", office.workspace)
    assert code == 0, output
    assert "matches the ledger" in output

    import shutil

    tampered = tmp_path / "tampered"
    shutil.copytree(report_dir, tampered)
    path = tampered / "agency_outcomes.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    column = rows[0].index("disclosures")
    rows[1][column] = str(int(rows[1][column]) - 1)
    with path.open("w", encoding="utf-8", newline="") as stream:
        csv.writer(stream, lineterminator="\n").writerows(rows)
    code, output = cli("report", "verify", tampered, "--workspace", office.workspace)
    assert code == 3, output
    assert "agency_outcomes.csv" in output and "column disclosures" in output
    assert f"the ledger gives '{int(rows[1][column]) + 1}'" in output


def test_verify_catches_the_page_and_a_chart_changed(
    office: Office, report_dir: Path, tmp_path: Path
) -> None:
    import shutil

    page = tmp_path / "page"
    shutil.copytree(report_dir, page)
    html = (page / "index.html").read_text()
    [agency_row] = read_csv(report_dir / "retractions.csv")
    assert f'<td>{RETRACTION_CAUSE}</td><td class="n">1</td>' in html
    (page / "index.html").write_text(
        html.replace(
            f'<td>{RETRACTION_CAUSE}</td><td class="n">1</td>',
            f'<td>{RETRACTION_CAUSE}</td><td class="n">0</td>',
        )
    )
    check = verify_report(page, LedgerSource(workspace=office.workspace))
    assert not check.ok and "index.html table retractions" in check.problem
    assert agency_row["retractions"] == "1"

    chart = tmp_path / "chart"
    shutil.copytree(report_dir, chart)
    (chart / "refusal_reasons.png").write_bytes((chart / "review_queue.png").read_bytes())
    check = verify_report(chart, LedgerSource(workspace=office.workspace))
    assert not check.ok and "refusal_reasons.png" in check.problem


def test_a_report_still_verifies_after_the_ledger_grows_but_not_on_another_ledger(
    office: Office, workspace_copy: Path, tmp_path: Path
) -> None:
    out = tmp_path / "rep"
    written = write_report(LedgerSource(workspace=workspace_copy), year=office.year, out=out)
    good = next(iter(office.decisions))
    disclosed = [
        r
        for r in office.decisions[good]
        if r["outcome"] == "disclosed" and "duplicate" not in _codes(r)
    ]
    with Ledger.open(workspace_copy) as ledger:
        ledger.retract(
            f"D-{good[:12]}-{disclosed[-1]['row_number']}",
            reason="second cause",
            actor="Disclosure Officer",
            out_dir=tmp_path / "notices",
        )
    # The report says which entries it read; later entries do not make it wrong.
    assert verify_report(out, LedgerSource(workspace=workspace_copy)).ok
    # Pointed at a later entry, the report is not the one that entry's ledger gives.
    again = write_report(
        LedgerSource(workspace=workspace_copy), year=office.year, out=tmp_path / "b"
    )
    assert again.last_sequence > written.last_sequence
    manifest = json.loads((out / "report.json").read_text())
    manifest["last_sequence"] = again.last_sequence
    (out / "report.json").write_text(json.dumps(manifest))
    check = verify_report(out, LedgerSource(workspace=workspace_copy))
    assert not check.ok and "hash differs" in check.problem


def test_the_report_of_an_exported_ledger_is_the_same_report(
    office: Office, report_dir: Path, tmp_path: Path
) -> None:
    export = tmp_path / "ledger.jsonl"
    with Ledger.open(office.workspace) as ledger:
        ledger.export(export)
        public_key = ledger.public_key_path
    out = tmp_path / "from-export"
    code, output = cli(
        "report", "oversight", "--year", office.year, "--file", export,
        "--public-key", public_key, "--out", out,
    )  # fmt: skip
    assert code == 0, output
    for name in json.loads((report_dir / "report.json").read_text())["tables"]:
        assert (out / f"{name}.csv").read_text() == (report_dir / f"{name}.csv").read_text(), name
    code, output = cli("report", "verify", report_dir, "--file", export, "--public-key", public_key)
    assert code == 0, output

    # A changed export is refused before anything is reported from it.
    lines = export.read_text().splitlines()
    index = next(i for i, line in enumerate(lines) if '"kind":"row_decision"' in line)
    lines[index] = lines[index].replace('"outcome":"', '"outcome":"x', 1)
    assert lines[index] != export.read_text().splitlines()[index]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("\n".join(lines) + "\n")
    code, output = cli(
        "report", "oversight", "--year", office.year, "--file", bad,
        "--public-key", public_key, "--out", tmp_path / "nope",
    )  # fmt: skip
    assert code == 3, output
    assert "fails verification" in output
    assert not (tmp_path / "nope").exists()


def test_out_takes_a_folder_or_a_summary_file_and_refuses_other_suffixes(
    office: Office, tmp_path: Path
) -> None:
    base = ("report", "oversight", "--year", office.year, "--workspace", office.workspace)
    code, output = cli(*base, "--out", tmp_path / "rep.html")
    assert code == 2, output
    assert "rep.html" in output and "folder" in output
    assert not (tmp_path / "rep.html").exists()
    code, output = cli(*base, "--out", tmp_path / "summary.json")
    assert code == 0, output
    lines = json.loads((tmp_path / "summary.json").read_text())["agencies"]
    assert sum(line["retracted"] for line in lines) == 1
    code, output = cli(*base, "--out", tmp_path / "summary.csv")
    assert code == 0 and (tmp_path / "summary.csv").read_text().startswith("year,agency")
    code, output = cli(*base)
    assert code == 0 and "Disclosures under 26 U.S.C. 6103(i)(2)" in output
    code, output = cli(
        "report", "oversight", "--year", office.year, "--file", tmp_path / "x.jsonl",
        "--public-key", tmp_path / "x.pub",
    )  # fmt: skip
    assert code == 2 and "--out DIR" in output


def test_the_real_command_exits_3_on_a_tampered_report(
    office: Office, report_dir: Path, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "rep"
    shutil.copytree(report_dir, copy)
    path = copy / "retractions.csv"
    path.write_text(path.read_text().replace(",1,", ",2,"))
    result = run_matchgate("report", "verify", copy, "--workspace", office.workspace)
    assert result.returncode == 3, result.stderr
    assert "retractions.csv" in result.stderr and "column retractions" in result.stderr
