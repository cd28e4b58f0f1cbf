"""The reviewer's pages: counts, flagged rows, evidence, the review form, masked TINs."""

from __future__ import annotations

import csv
import re

import pyarrow.parquet as pq
import pytest

from matchgate.server.review_queue import FLAGGED_OUTCOMES

from .conftest import Served

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _decisions(served: Served) -> list[dict[str, str]]:
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        return list(csv.DictReader(stream))


def _flagged(served: Served) -> list[dict[str, str]]:
    return [row for row in _decisions(served) if row["outcome"] in FLAGGED_OUTCOMES]


def _all_tins(served: Served) -> set[str]:
    tins = {str(tin) for tin in pq.read_table(served.world / "master.parquet")["tin"].to_pylist()}
    return {tin for tin in tins if len(tin) >= 9}


def _pages(served: Served) -> dict[str, str]:
    urls = ["/", f"/batches/{served.batch_id}"]
    urls += [f"/batches/{served.batch_id}/rows/{row['row_number']}" for row in _flagged(served)]
    urls += [
        f"/batches/{served.batch_id}/rows/{row['row_number']}"
        for row in _decisions(served)
        if row["outcome"] == "disclosed"
    ][:5]
    pages = {}
    for url in urls:
        response = served.client.get(url)
        assert response.status_code == 200, url
        pages[url] = response.text
    return pages


def test_index_lists_the_batch_with_counts(served: Served) -> None:
    page = served.client.get("/").text
    assert served.batch_id in page
    outcomes = served.batch["outcomes"]
    assert isinstance(outcomes, dict)
    for outcome, count in outcomes.items():
        assert f"<th>{outcome}</th>" in page
        assert f'<td class="num">{count}</td>' in page


def test_batch_page_lists_exactly_the_flagged_rows(served: Served) -> None:
    page = served.client.get(f"/batches/{served.batch_id}").text
    linked = [int(n) for n in re.findall(rf"/batches/{served.batch_id}/rows/(\d+)", page)]
    assert linked == [int(row["row_number"]) for row in _flagged(served)]
    assert linked, "the test world should have rows to review"


def test_row_page_shows_the_evidence_waterfall(served: Served) -> None:
    row = _flagged(served)[0]
    page = served.client.get(f"/batches/{served.batch_id}/rows/{row['row_number']}").text
    assert 'id="waterfall"' in page
    for field in ("first_name", "surname", "dob", "address"):
        assert f"<td>{field}</td>" in page
    for code in row["reason_codes"].split(";"):
        assert f"<code>{code}</code>" in page
    assert row["best_probability"] in page
    assert 'name="reviewer_token"' not in page and 'name="reviewer"' not in page
    assert 'name="csrf_token"' in page


def test_no_page_shows_a_tin_in_full(served: Served) -> None:
    tins = _all_tins(served)
    for url, page in _pages(served).items():
        shown = set(re.findall(r"\d{9}", page)) & tins
        assert not shown, f"{url} shows TINs {sorted(shown)[:3]}"
        assert re.search(r"\d{3}-\d{2}-\d{4}", page) is None, url


def test_no_page_shows_other_master_file_fields(served: Served) -> None:
    table = pq.read_table(served.world / "master.parquet", columns=["employer_name", "income"])
    employers = {str(v) for v in table["employer_name"].to_pylist() if v and len(str(v)) > 8}
    for url, page in _pages(served).items():
        assert "employer" not in page.lower(), url
        assert not [e for e in employers if e in page], url


def _form(served: Served, row_number: str) -> dict[str, str]:
    page = served.client.get(f"/batches/{served.batch_id}/rows/{row_number}").text
    match = re.search(r'name="form_key" value="([0-9a-f]+)"', page)
    assert match
    return {
        "form_key": match.group(1),
        "action": "note",
        "reason": "Asked the requester for a date of birth.",
    }


def test_review_form_needs_a_signed_in_user(served: Served) -> None:
    row = _flagged(served)[0]["row_number"]
    data = _form(served, row)
    url = f"/batches/{served.batch_id}/rows/{row}/review"
    response = served.anonymous.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in"


def test_review_form_refuses_a_client_named_reviewer(served: Served) -> None:
    row = _flagged(served)[0]["row_number"]
    data = {**_form(served, row), "reviewer": "Somebody Else"}
    response = served.client.post(f"/batches/{served.batch_id}/rows/{row}/review", data=data)
    assert response.status_code == 422
    assert "actor is the signed-in user" in response.text


def test_review_form_records_and_confirms(served: Served) -> None:
    row = _flagged(served)[-1]["row_number"]
    before = served.client.get("/api/ledger/verify").json()["last_sequence"]
    data = _form(served, row)
    url = f"/batches/{served.batch_id}/rows/{row}/review"
    response = served.client.post(url, data=data, follow_redirects=False)
    assert response.status_code == 303
    confirmation = served.client.get(response.headers["location"]).text
    assert 'id="recorded"' in confirmation
    assert "recorded in the ledger as entry" in confirmation
    # The same form sent twice (a double click) records one entry.
    served.client.post(url, data=data, follow_redirects=False)
    report = served.client.get("/api/ledger/verify").json()
    assert report["ok"] is True
    assert report["last_sequence"] == before + 1


def test_review_form_without_a_reason_is_refused(served: Served) -> None:
    row = _flagged(served)[0]["row_number"]
    data = {**_form(served, row), "reason": ""}
    response = served.client.post(f"/batches/{served.batch_id}/rows/{row}/review", data=data)
    assert response.status_code == 422
    assert "needs a reason" in response.text


def test_unknown_row_and_batch_pages_are_404(served: Served) -> None:
    assert served.client.get(f"/batches/{served.batch_id}/rows/99999").status_code == 404
    assert served.client.get("/batches/0000000000000000beef").status_code == 404
