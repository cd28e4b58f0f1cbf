"""Ledger endpoints and review actions through the API, against the real ledger."""

from __future__ import annotations

import csv
import shutil
import sqlite3
import uuid
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from matchgate.ledger import Ledger
from matchgate.server import ServerSettings, create_app
from workspace_copy import copy_workspace

from .conftest import Served

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


def _decisions(served: Served) -> list[dict[str, str]]:
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _row(served: Served, *outcomes: str) -> dict[str, str]:
    return next(row for row in _decisions(served) if row["outcome"] in outcomes)


def test_verify_reports_ok(served: Served) -> None:
    response = served.client.get("/api/ledger/verify")
    assert response.status_code == 200
    report = response.json()
    assert report["ok"] is True
    assert report["entries_checked"] >= 200
    assert report["summary"].startswith("ok:")
    assert "source" not in report


def test_accounting_for_a_disclosed_tin(served: Served) -> None:
    disclosed = _row(served, "disclosed")
    params = {"tin": disclosed["tin"]}
    assert served.anonymous.get("/api/accounting", params=params).status_code == 401
    response = served.client.get("/api/accounting", params=params, headers=served.auth())
    assert response.status_code == 200
    records = response.json()
    mine = [r for r in records if r["batch_id"] == served.batch_id]
    assert [r["row_number"] for r in mine] == [int(disclosed["row_number"])]
    assert mine[0]["disclosed_street"] == disclosed["disclosed_street"]
    assert mine[0]["agency"] == "Department of Homeland Security"


def test_accounting_for_an_agency_and_year(served: Served) -> None:
    year = datetime.now(UTC).year
    response = served.client.get(
        "/api/accounting", params={"agency": "DHS", "year": year}, headers=served.auth()
    )
    assert response.status_code == 200
    outcomes = served.batch["outcomes"]
    assert isinstance(outcomes, dict)
    mine = [record for record in response.json() if record["batch_id"] == served.batch_id]
    assert len(mine) == outcomes["disclosed"]


@pytest.mark.parametrize(
    "params", [{}, {"agency": "DHS"}, {"tin": "1", "agency": "DHS", "year": "2026"}]
)
def test_accounting_needs_one_question(served: Served, params: dict[str, str]) -> None:
    response = served.client.get("/api/accounting", params=params, headers=served.auth())
    assert response.status_code == 422
    assert response.json()["error"] == "InputError"


def _action_url(served: Served, row_number: str | int) -> str:
    return f"/api/batches/{served.batch_id}/rows/{row_number}/review-actions"


def _body(**overrides: str) -> dict[str, str]:
    body = {
        "action": "confirm_not_disclosed",
        "reason": "Father and son at one address; no date of birth to tell them apart.",
        "idempotency_key": uuid.uuid4().hex,
    }
    body.update(overrides)
    return body


def test_review_action_needs_the_token(served: Served) -> None:
    row = _row(served, "ambiguous", "needs_review")
    before = served.client.get("/api/ledger/verify").json()["entries_checked"]
    url = _action_url(served, row["row_number"])
    assert served.anonymous.post(url, json=_body()).status_code == 401
    wrong = {"Authorization": "Bearer mg_0123456789abcdef_not-it-not-it-not-it-not-it"}
    assert served.anonymous.post(url, json=_body(), headers=wrong).status_code == 401
    assert served.client.get("/api/ledger/verify").json()["entries_checked"] == before


def test_review_action_is_recorded_once(served: Served) -> None:
    row = _row(served, "ambiguous", "needs_review")
    body = _body()
    first = served.client.post(_action_url(served, row["row_number"]), json=body)
    assert first.status_code == 200, first.text
    again = served.client.post(_action_url(served, row["row_number"]), json=body)
    assert again.json()["sequence"] == first.json()["sequence"]
    report = served.client.get("/api/ledger/verify").json()
    assert report["ok"] is True
    with Ledger.open(served.workspace, read_only=True) as ledger:
        assert ledger.verify().last_sequence == report["last_sequence"]
    recorded = first.json()
    assert recorded["action"] == "confirm_not_disclosed"
    assert recorded["actor"] == served.name("reviewer")  # the authenticated user


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"action": "disclose_anyway"}, "action"),
        ({"reason": "   "}, "reason"),
    ],
)
def test_bad_review_actions_are_422(served: Served, overrides: dict[str, str], field: str) -> None:
    row = _row(served, "ambiguous", "needs_review")
    response = served.client.post(
        _action_url(served, row["row_number"]), json=_body(**overrides), headers=served.auth()
    )
    assert response.status_code == 422
    assert f"field '{field}'" in response.json()["message"]


def test_confirm_not_disclosed_refuses_a_disclosed_row(served: Served) -> None:
    row = _row(served, "disclosed")
    response = served.client.post(
        _action_url(served, row["row_number"]), json=_body(), headers=served.auth()
    )
    assert response.status_code == 422
    assert "was disclosed" in response.json()["message"]


def test_review_action_on_a_missing_row_is_404(served: Served) -> None:
    response = served.client.post(_action_url(served, 99_999), json=_body(), headers=served.auth())
    assert response.status_code == 404


def test_health(served: Served) -> None:
    assert served.client.get("/healthz").json() == {
        "status": "ok",
        "workspace_ready": True,
        "master_present": True,
    }


def test_a_tampered_ledger_is_409_and_names_the_entry(served: Served, tmp_path: Path) -> None:
    workspace = tmp_path / "copy"
    copy_workspace(served.workspace, workspace, ignore=shutil.ignore_patterns("batches"))
    with sqlite3.connect(workspace / "ledger.sqlite") as con:
        # Someone with the database file in hand drops the append-only triggers first.
        triggers = con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        for (name,) in triggers.fetchall():
            con.execute(f'DROP TRIGGER "{name}"')
        con.execute("UPDATE ledger_entries SET actor = 'someone else' WHERE sequence = 5")
    settings = ServerSettings(workspace=workspace, master=served.world / "master.parquet")
    client = TestClient(create_app(settings), headers=served.auth("auditor"))
    response = client.get("/api/ledger/verify")
    assert response.status_code == 409
    report = response.json()
    assert report["ok"] is False
    assert report["first_bad_sequence"] == 5
    assert report["summary"].startswith("FAILED at sequence 5")
