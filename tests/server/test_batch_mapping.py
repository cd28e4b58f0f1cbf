"""The column mapping is part of what a batch is: the same file read with another mapping is
another batch, and the ledger's batch entry says how the columns were read."""

from __future__ import annotations

import csv
import io

import pytest

from matchgate.ledger import Ledger

from .conftest import Served, upload

pytestmark = pytest.mark.slow  # runs two more batches through the server


def _mapping(pairs: dict[str, str]) -> tuple[str, bytes, str]:
    lines = ["[columns]"] + [f'"{header}" = "{field}"' for header, field in pairs.items()]
    return ("mapping.toml", ("\n".join(lines) + "\n").encode(), "application/toml")


def _batch_entry(served: Served, batch_id: str) -> dict[str, object]:
    with Ledger.open(served.workspace, read_only=True) as ledger:
        [payload] = [
            e.payload_dict()
            for e in ledger.entries()
            if e.kind == "batch_received" and e.payload_dict()["batch_id"] == batch_id
        ]
    return payload


def test_the_same_file_with_another_mapping_is_another_batch(served: Served) -> None:
    header = next(csv.reader(io.StringIO((served.world / "requests.csv").read_text())))
    # Mapping every column to itself reads the file as the names alone do ...
    identity = {name: name for name in header}
    # ... ignoring the DOB column reads it differently (the DOB is then absent).
    assert "dob" in header
    without_dob = {**identity, "dob": "ignore"}

    first = upload(
        served.client, served.world, served.auth("requester"), mapping=_mapping(identity)
    )
    second = upload(
        served.client, served.world, served.auth("requester"), mapping=_mapping(without_dob)
    )
    assert first.status_code == 200, first.text
    assert second.status_code == 200, second.text
    ids = {served.batch_id, first.json()["batch_id"], second.json()["batch_id"]}
    assert len(ids) == 3  # no mapping, mapping A and mapping B: three batches

    # The earlier batch's answers are not handed back for a file read another way.
    assert second.json()["outcomes"] != served.batch["outcomes"]

    plain = _batch_entry(served, served.batch_id)
    assert plain["mapping_sha256"] == ""
    assert plain["mapping_columns"] == []
    mapped = _batch_entry(served, second.json()["batch_id"])
    assert mapped["mapping_columns"] == sorted(f"{h}={f}" for h, f in without_dob.items())
    assert len(str(mapped["mapping_sha256"])) == 64
    assert (
        mapped["mapping_sha256"] != _batch_entry(served, first.json()["batch_id"])["mapping_sha256"]
    )

    # Uploading the same file with the same mapping again is recognised as that batch.
    again = upload(
        served.client, served.world, served.auth("requester"), mapping=_mapping(without_dob)
    )
    assert again.json()["batch_id"] == second.json()["batch_id"]
