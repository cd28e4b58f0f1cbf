"""The accounting schema is made from DisclosureRecord: a new internal field must not leave
over HTTP by accident, so the public field set is pinned here."""

from __future__ import annotations

from matchgate.ledger import DisclosureRecord
from matchgate.server.schemas import DisclosurePublic

PUBLIC_ACCOUNTING_FIELDS = (
    "disclosure_id",
    "sequence",
    "tin",
    "agency",
    "agency_code",
    "recipients",
    "statute",
    "case_number",
    "reason",
    "disclosed_at",
    "batch_id",
    "row_number",
    "request_id",
    "disclosed_street",
    "disclosed_city",
    "disclosed_state",
    "disclosed_zip",
    "tax_year",
    "match_probability",
    "retracted_at",
    "retraction_reason",
)


def test_the_accounting_fields_are_exactly_the_admitted_ones() -> None:
    assert tuple(DisclosurePublic.model_fields) == PUBLIC_ACCOUNTING_FIELDS


def test_a_record_converts_with_recipients_as_a_list() -> None:
    values = {name: "x" for name in PUBLIC_ACCOUNTING_FIELDS}
    values.update(sequence=3, row_number=1, match_probability=0.9999, recipients=("A", "B"))
    record = DisclosureRecord(**values, retraction_sequence=None)  # type: ignore[arg-type]
    public = DisclosurePublic.from_record(record)
    assert public.model_dump()["recipients"] == ["A", "B"]
    assert "retraction_sequence" not in public.model_dump()
