"""``/audit/accounting``: the accounting of disclosures as a page, the API's search."""

from __future__ import annotations

import csv

import pytest

from matchgate.ledger import AccessLog

from .conftest import Served

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _disclosed(served: Served) -> dict[str, str]:
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        return next(r for r in csv.DictReader(stream) if r["outcome"] == "disclosed")


def _reads(served: Served) -> int:
    with AccessLog.open(served.workspace, read_only=True) as log:
        return sum(1 for r in log.records() if r.what == "accounting_page")


def test_the_page_finds_a_disclosure_by_tin_and_by_agency(served: Served) -> None:
    row = _disclosed(served)
    by_tin = served.client.get("/audit/accounting", params={"tin": row["tin"]})
    assert by_tin.status_code == 200
    assert f"{served.batch_id} / {row['row_number']}" in by_tin.text
    assert row["tin"] not in by_tin.text and f"*****{row['tin'][-4:]}" in by_tin.text
    by_agency = served.client.get(
        "/audit/accounting",
        params={"tin": "", "agency": "DHS", "year": served.batch["completed_at"][:4]},  # type: ignore[index]
        headers=served.auth("auditor"),
    )
    assert by_agency.status_code == 200
    assert f"{served.batch_id} / {row['row_number']}" in by_agency.text
    none = served.client.get("/audit/accounting", params={"agency": "DHS", "year": "1999"})
    assert "0 disclosure(s)" in none.text and 'id="disclosures"' not in none.text


def test_the_form_alone_shows_and_records_nothing(served: Served) -> None:
    before = _reads(served)
    form = served.client.get("/audit/accounting", params={"tin": "", "agency": ""})
    assert form.status_code == 200
    assert 'id="accounting-filters"' in form.text and 'id="accounting-total"' not in form.text
    assert _reads(served) == before


def test_a_search_is_a_read_on_record(served: Served) -> None:
    before = _reads(served)
    served.client.get("/audit/accounting", params={"tin": _disclosed(served)["tin"]})
    assert _reads(served) == before + 1


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"agency": "DHS", "year": ""}, "year"),
        ({"tin": "123456789", "agency": "DHS", "year": "2026"}, "tin"),
        ({"agency": "DHS", "year": "twenty"}, "year"),
    ],
)
def test_a_bad_search_is_422_naming_the_field(
    served: Served, params: dict[str, str], field: str
) -> None:
    refused = served.client.get("/audit/accounting", params=params)
    assert refused.status_code == 422
    assert field in refused.text


@pytest.mark.parametrize("key", ["requester", "other_requester", "admin"])
def test_only_the_office_reads_the_accounting_page(served: Served, key: str) -> None:
    refused = served.client.get(
        "/audit/accounting", params={"tin": _disclosed(served)["tin"]}, headers=served.auth(key)
    )
    assert refused.status_code == 403
    assert _disclosed(served)["disclosed_street"] not in refused.text
    assert 'id="accounting-link"' not in served.client.get("/", headers=served.auth(key)).text
