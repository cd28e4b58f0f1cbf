"""Hardening against the real served batch: bounded query numbers with no server path or
engine message in the answer, and a confirmation shown only for what the ledger holds."""

from __future__ import annotations

import csv
import uuid

import pytest

from matchgate.server.review_queue import FLAGGED_OUTCOMES

from .conftest import Served

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _flagged(served: Served) -> list[int]:
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        return [
            int(r["row_number"]) for r in csv.DictReader(stream) if r["outcome"] in FLAGGED_OUTCOMES
        ]


def _no_internals(text: str, served: Served) -> None:
    assert str(served.workspace) not in text
    assert "duckdb" not in text.lower() and "Traceback" not in text
    assert "Conversion Error" not in text and "out of range" not in text.lower()


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999", "page=0", "page=-1", "page=1000001", "page=x"]
)
def test_page_numbers_out_of_bounds_are_422_without_internals(served: Served, query: str) -> None:
    response = served.client.get(f"/batches/{served.batch_id}?{query}")
    assert response.status_code == 422
    assert "query field &#39;page&#39;" in response.text
    _no_internals(response.text, served)


def test_the_last_allowed_page_is_an_empty_page(served: Served) -> None:
    response = served.client.get(f"/batches/{served.batch_id}?page=1000000")
    assert response.status_code == 200
    assert "No row needs a person" in response.text


@pytest.mark.parametrize("row", ["99999999999999999999", "0", "-3"])
def test_row_numbers_out_of_bounds_are_422(served: Served, row: str) -> None:
    page = served.client.get(f"/batches/{served.batch_id}/rows/{row}")
    assert page.status_code == 422
    _no_internals(page.text, served)
    api = served.client.post(f"/api/batches/{served.batch_id}/rows/{row}/review-actions", json={})
    assert api.status_code == 422
    assert set(api.json()) == {"error", "message"}
    _no_internals(api.text, served)


def test_accounting_year_is_bounded(served: Served) -> None:
    response = served.client.get("/api/accounting?agency=DHS&year=99999999999")
    assert response.status_code == 422
    assert "query field 'year'" in response.json()["message"]


def _record_note(served: Served, row: int) -> int:
    body = {
        "action": "note",
        "reason": "Checked by hand.",
        "idempotency_key": uuid.uuid4().hex,
    }
    url = f"/api/batches/{served.batch_id}/rows/{row}/review-actions"
    response = served.client.post(url, json=body)  # as the reviewer
    assert response.status_code == 200, response.text
    return int(response.json()["sequence"])


def test_a_confirmation_is_shown_only_for_an_entry_the_ledger_holds(served: Served) -> None:
    first, second = _flagged(served)[:2]
    sequence = _record_note(served, first)
    url = f"/batches/{served.batch_id}/rows/{first}"
    shown = served.client.get(f"{url}?recorded={sequence}").text
    assert f"recorded in the ledger as entry {sequence}" in shown
    assert "<strong>note</strong>" in shown  # the action as the ledger has it
    # A sequence the ledger does not have, one of another kind (entry 1 is a batch's), one
    # of another row, and an action named only in the address: no confirmation.
    last = served.client.get("/api/ledger/verify").json()["last_sequence"]
    for query in (f"recorded={last + 999}", "recorded=1", "recorded=999&action=note"):
        page = served.client.get(f"{url}?{query}").text
        assert 'id="recorded"' not in page, query
    other = served.client.get(f"/batches/{served.batch_id}/rows/{second}?recorded={sequence}")
    assert 'id="recorded"' not in other.text
    huge = served.client.get(f"{url}?recorded=99999999999999999999")
    assert huge.status_code == 422


def test_data_pages_and_api_bodies_are_not_cached(served: Served) -> None:
    row = _flagged(served)[0]
    for url in ("/", f"/batches/{served.batch_id}", f"/batches/{served.batch_id}/rows/{row}"):
        response = served.client.get(url)
        assert response.headers["cache-control"] == "no-store", url
        assert response.headers["x-frame-options"] == "DENY", url
    for url in ("/api/batches", f"/api/batches/{served.batch_id}", "/api/ledger/verify"):
        assert served.client.get(url).headers["cache-control"] == "no-store", url
