"""Agency walls and the ledger's actor: a requester sees and submits only its own agency's
batches; every entry's actor is the authenticated user, never text the client sends."""

from __future__ import annotations

import csv
import json
import uuid

import pytest

from matchgate.ledger import EntryKind, Ledger
from matchgate.lookups import file_letter

from .conftest import Served, upload

pytestmark = pytest.mark.slow  # the served fixture runs a whole batch through the server


def _entries(served: Served) -> int:
    with Ledger.open(served.workspace, read_only=True) as ledger:
        return ledger.verify().entries_checked


def _folders(served: Served) -> set[str]:
    return {path.name for path in (served.workspace / "batches").iterdir()}


def test_the_batch_was_recorded_under_the_requesters_name(served: Served) -> None:
    with Ledger.open(served.workspace, read_only=True) as ledger:
        received = [
            entry
            for entry in ledger.entries()
            if entry.kind == EntryKind.BATCH_RECEIVED
            and json.loads(entry.payload)["batch_id"] == served.batch_id
        ]
    assert [entry.actor for entry in received] == [served.name("requester")]


def test_lists_show_a_requester_only_its_own_agency(served: Served) -> None:
    own = served.client.get("/api/batches", headers=served.auth("requester")).json()
    assert served.batch_id in {item["batch_id"] for item in own}
    assert {item["agency"] for item in own} == {"Department of Homeland Security"}
    other = served.client.get("/api/batches", headers=served.auth("other_requester"))
    assert other.status_code == 200 and other.json() == []
    page = served.client.get("/", headers=served.auth("other_requester")).text
    assert served.batch_id not in page
    assert "/api/ledger/verify" not in page  # a requester may not verify: no dead link
    # Staff see every agency's batches.
    staff = served.client.get("/api/batches", headers=served.auth("auditor")).json()
    assert served.batch_id in {item["batch_id"] for item in staff}


@pytest.mark.parametrize(
    "path", ["/api/batches/{id}", "/api/batches/{id}/response.csv", "/batches/{id}"]
)
def test_another_agencys_batch_answers_as_if_it_did_not_exist(served: Served, path: str) -> None:
    missing_id = "00000000000000000000"
    headers = served.auth("other_requester")
    theirs = served.client.get(path.format(id=served.batch_id), headers=headers)
    missing = served.client.get(path.format(id=missing_id), headers=headers)
    assert theirs.status_code == missing.status_code == 404
    assert theirs.text.replace(served.batch_id, "X") == missing.text.replace(missing_id, "X")


def test_a_requester_cannot_submit_under_another_agencys_letter(served: Served) -> None:
    entries, folders = _entries(served), _folders(served)
    response = upload(served.client, served.world, served.auth("other_requester"))
    assert response.status_code == 403
    assert "agency 'DHS'" in response.json()["message"]
    assert "submits only under DOJ" in response.json()["message"]
    assert _entries(served) == entries and _folders(served) == folders


def _lookup_row(served: Served) -> dict[str, str]:
    with (served.world / "requests.csv").open(encoding="utf-8", newline="") as stream:
        row = next(csv.DictReader(stream))
    return {k: v for k, v in row.items() if v}


def test_a_requester_cannot_look_up_under_another_agencys_letter(served: Served) -> None:
    letter = served.world / "lookup_letter.toml"
    letter_id = file_letter(served.workspace, letter)  # DHS's letter, on file
    entries, folders = _entries(served), _folders(served)
    other = served.auth("other_requester")
    # Sent with the body: the caller's own upload, so 403 confirms nothing.
    sent = {**_lookup_row(served), "letter": letter.read_text(encoding="utf-8")}
    assert served.client.post("/api/lookups", json=sent, headers=other).status_code == 403
    # Named by its id: another agency's letter answers as one that is not on file.
    named = {**_lookup_row(served), "letter_id": letter_id}
    response = served.client.post("/api/lookups", json=named, headers=other)
    assert response.status_code == 404
    unknown = {**named, "letter_id": "0" * 16}
    missing = served.client.post("/api/lookups", json=unknown, headers=other)
    assert missing.status_code == 404 and missing.json()["message"] == response.json()[
        "message"
    ].replace(letter_id, "0" * 16)
    assert _entries(served) == entries and _folders(served) == folders


def test_a_client_named_actor_is_refused_everywhere(served: Served) -> None:
    entries, folders = _entries(served), _folders(served)
    files = {"submitted_by": (None, "Someone Else")}
    uploaded = upload(served.client, served.world, served.auth("requester"), **files)
    assert uploaded.status_code == 422
    assert "do not send 'submitted_by'" in uploaded.json()["message"]
    body = {"letter_id": "0" * 16, "submitted_by": "Someone Else"}
    looked_up = served.client.post("/api/lookups", json=body, headers=served.auth("requester"))
    assert looked_up.status_code == 422
    assert "do not send 'submitted_by'" in looked_up.json()["message"]
    with served.decisions.open(encoding="utf-8", newline="") as stream:
        row = next(r for r in csv.DictReader(stream) if r["outcome"] == "ambiguous")
    action = {
        "action": "note",
        "reason": "x",
        "reviewer": "Someone Else",
        "idempotency_key": uuid.uuid4().hex,
    }
    url = f"/api/batches/{served.batch_id}/rows/{row['row_number']}/review-actions"
    reviewed = served.client.post(url, json=action)
    assert reviewed.status_code == 422
    assert "do not send 'reviewer'" in reviewed.json()["message"]
    assert _entries(served) == entries and _folders(served) == folders


def test_a_requesters_batch_page_shows_no_row_evidence(served: Served) -> None:
    page = served.client.get(f"/batches/{served.batch_id}", headers=served.auth("requester"))
    assert page.status_code == 200
    assert f"/batches/{served.batch_id}/rows/" not in page.text
    assert "not shown to requesters" in page.text
    staff = served.client.get(f"/batches/{served.batch_id}").text
    assert f"/batches/{served.batch_id}/rows/" in staff


def test_a_revoked_users_token_stops_working_at_once(served: Served) -> None:
    from matchgate.accounts import AccountStore

    from .conftest import CHEAP_HASHER, bearer

    with AccountStore.open(served.workspace, hasher=CHEAP_HASHER) as store:
        issued = store.add_user(f"Temp {uuid.uuid4().hex[:6]}", role="auditor", actor="test")
        assert served.anonymous.get("/api/batches", headers=bearer(issued.token)).is_success
        store.revoke_user(issued.user.name, actor="test")
    assert served.anonymous.get("/api/batches", headers=bearer(issued.token)).status_code == 401
