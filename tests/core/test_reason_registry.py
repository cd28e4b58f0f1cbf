"""Every reason code any stage emits is registered once, and only requester codes leave."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from matchgate.batch.pipeline import run_batch
from matchgate.match.decide import _FOOTNOTES
from matchgate.reasons import Audience, ReasonInfo, registry, unregistered
from matchgate.review.citations import CITATIONS
from matchgate.synth import REQUEST_MIXES, generate_world
from matchgate_cli import register_world_agency


def test_every_entry_is_complete() -> None:
    entries = registry()
    assert len(entries) > 80
    for code, info in entries.items():
        assert isinstance(info, ReasonInfo) and info.code == code
        assert info.meaning.endswith("."), code
        assert info.stage in {
            "intake",
            "review",
            "letter",
            "standardize",
            "match",
            "batch",
            "response",
        }
    # Legal findings say which law they apply.
    for code in CITATIONS:
        if entries[code].stage in {"review", "letter"}:
            assert entries[code].citation, code


def test_codes_that_speak_about_the_file_are_internal() -> None:
    entries = registry()
    for code in ("household_conflict", "no_filing_in_periods", "tin_matches", "tin_differs"):
        assert entries[code].audience is Audience.INTERNAL
    for info in entries.values():
        if info.stage in {"match", "batch"}:
            assert info.audience is Audience.INTERNAL, info.code


def test_every_match_footnote_is_registered_and_codes_do_not_clash() -> None:
    assert unregistered(code for code, _ in _FOOTNOTES.values()) == set()
    # One code, one meaning: the match's "no usable address" is not review's "no address".
    assert ("address", "missing") not in _FOOTNOTES or _FOOTNOTES[("address", "missing")][
        0
    ] != "address_missing"
    meanings: dict[str, set[str]] = {}
    for code, message in _FOOTNOTES.values():
        meanings.setdefault(code, set()).add(message)
    assert {code for code, texts in meanings.items() if len(texts) > 1} <= {
        "address_not_in_history"  # one meaning, said with what little does agree
    }


def test_unregistered_names_unknown_codes() -> None:
    assert unregistered(["duplicate", "no_such_code", ""]) == {"no_such_code"}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mix", "deficient"), [(mix, False) for mix in REQUEST_MIXES] + [("stress", True)]
)
def test_every_world_mix_emits_registered_codes_only(
    tmp_path: Path, mix: str, deficient: bool
) -> None:
    world = tmp_path / "world"
    generate_world(
        world, people=1_500, requests=250, seed=5, request_mix=mix, deficient_letter=deficient
    )
    register_world_agency(world, tmp_path / "ws")
    result = run_batch(
        master=world / "master.parquet",
        requests=world / "requests.csv",
        letter=world / "letter.toml",
        out_dir=tmp_path / "out",
        workspace=tmp_path / "ws",
    )
    emitted: set[str] = set()
    with (result.out_dir / "internal" / "decisions.csv").open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            emitted |= {reason["code"] for reason in json.loads(row["reasons_json"])}
    shown: set[str] = set()
    with (result.out_dir / "response.csv").open(encoding="utf-8") as stream:
        for row in csv.DictReader(stream):
            shown |= set(filter(None, row["reason_codes"].split(";")))
            assert row["outcome"] in {
                "disclosed",
                "not_disclosed",
                "legally_deficient",
                "invalid",
                "pending_review",
            }
    assert emitted and shown
    assert unregistered(emitted | shown) == set()
    leaked = {code for code in shown if registry()[code].audience is not Audience.REQUESTER}
    assert leaked == set()


@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_the_cli_prints_the_registry(output: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "matchgate", "reasons", "--format", output],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "household_conflict" in done.stdout
    if output == "json":
        entries = json.loads(done.stdout)
        assert {e["code"] for e in entries} == set(registry())
        assert all(set(e) == {"code", "stage", "audience", "meaning", "citation"} for e in entries)
    if output == "csv":
        rows = list(csv.DictReader(done.stdout.splitlines()))
        assert len(rows) == len(registry())
