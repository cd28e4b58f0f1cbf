"""Letters that can be verified: the workspace's agency registry, signatures, the transfer day.

Each refusal is driven through the real files: a letter TOML signed with ``sign_letter_file``,
a request file, a registry in a temporary workspace, and ``review_letter`` with a Transfer.
"""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from matchgate.errors import InputError, LetterError
from matchgate.review import BatchFacts, Policy, ReviewOutcome, load_letter, review_letter
from matchgate.review.agencies import agency_registry
from matchgate.review.citations import CITATIONS
from matchgate.review.registry import REGISTRY_FILE, AgencyRegistryStore, render_agency_toml
from matchgate.review.signing import (
    load_private_key,
    public_key_pem,
    sign_letter_file,
    write_private_key,
)
from matchgate.review.transfer import Transfer

CORPUS = Path(__file__).parent / "corpus"
TRANSFER_DAY = date(2026, 11, 2)  # the corpus letter is dated 2026-10-30
NEW_CODES = ("letter_unsigned", "letter_signature_invalid", "request_file_mismatch")


def _agency_file(path: Path, key: Ed25519PrivateKey, **changes: object) -> Path:
    from dataclasses import replace

    dhs = agency_registry().by_code("DHS")
    assert dhs is not None
    path.write_text(
        render_agency_toml(
            replace(dhs, **changes), public_key_pem=public_key_pem(key.public_key())
        ),
        encoding="utf-8",
    )
    return path


class Office:
    """A workspace whose registry knows DHS's key, a signed letter and its request file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.workspace = root / "workspace"
        self.key = Ed25519PrivateKey.generate()
        self.requests = root / "requests.csv"
        self.requests.write_bytes((CORPUS / "bad_rows.csv").read_bytes())
        self.letter = root / "letter.toml"
        self.letter.write_text((CORPUS / "letters" / "good.toml").read_text(), encoding="utf-8")
        with AgencyRegistryStore.open(self.workspace) as store:
            store.add_file(_agency_file(root / "dhs.toml", self.key), actor="office clerk")

    def sign(self, key: Ed25519PrivateKey | None = None) -> None:
        sign_letter_file(key=key or self.key, letter=self.letter, requests=self.requests)

    def review(self, day: date = TRANSFER_DAY) -> tuple[ReviewOutcome, list[str]]:
        transfer = Transfer.for_workspace(self.workspace, requests=self.requests, transfer_date=day)
        decision = review_letter(
            load_letter(self.letter), facts=BatchFacts(), policy=Policy(), transfer=transfer
        )
        return decision.outcome, [r.code for r in decision.reasons]


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return Office(tmp_path)


def test_new_codes_are_registered_with_a_citation() -> None:
    for code in (*NEW_CODES, "letter_future_dated"):
        assert CITATIONS[code] == "26 U.S.C. 6103(i)(2)(A)"


def test_a_letter_signed_with_the_registered_key_passes(office: Office) -> None:
    office.sign()
    assert office.review() == (ReviewOutcome.ACCEPTED, [])


def test_an_unsigned_letter_is_refused(office: Office) -> None:
    outcome, codes = office.review()
    assert (outcome, codes) == (ReviewOutcome.LEGALLY_DEFICIENT, ["letter_unsigned"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('signer_name = "Jordan Example"', 'signer_name = "Someone Else"'),
        ('case_numbers = ["HSI-2026-000001", ', 'case_numbers = ["HSI-2026-099999", '),
        ("date_signed = 2026-10-30", "date_signed = 2026-10-31"),
    ],
    ids=["signer", "case_number", "date"],
)
def test_a_letter_changed_after_signing_is_refused(office: Office, old: str, new: str) -> None:
    office.sign()
    text = office.letter.read_text()
    assert old in text
    office.letter.write_text(text.replace(old, new, 1))
    outcome, codes = office.review()
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT and codes == ["letter_signature_invalid"]


def test_reformatting_a_signed_letter_keeps_it_valid(office: Office) -> None:
    office.sign()
    text = office.letter.read_text().replace('agency_code = "DHS"', "agency_code   =   'DHS'")
    office.letter.write_text("# re-typed by the mail room\n" + text)
    assert office.review() == (ReviewOutcome.ACCEPTED, [])


def test_a_tampered_request_file_is_refused(office: Office) -> None:
    office.sign()
    with office.requests.open("a", encoding="utf-8") as stream:
        stream.write("R-EXTRA,Ann,,Added,,1980-01-01,1 Main St,Austin,TX,78701,,2024,,,\n")
    outcome, codes = office.review()
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT and codes == ["request_file_mismatch"]


def test_a_forged_signed_request_digest_is_refused(office: Office) -> None:
    # Editing the digest in the [signature] table to the new file's breaks the signature.
    office.sign()
    signed = load_letter(office.letter).signature
    assert signed is not None
    office.requests.write_text(office.requests.read_text() + "\n")
    from matchgate.review.signing import file_sha256

    text = office.letter.read_text().replace(signed.requests_sha256, file_sha256(office.requests))
    office.letter.write_text(text)
    assert office.review()[1] == ["letter_signature_invalid"]


def test_a_letter_signed_with_an_unregistered_key_is_refused(office: Office) -> None:
    office.sign(Ed25519PrivateKey.generate())
    outcome, codes = office.review()
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT and codes == ["letter_signature_invalid"]


def test_a_key_registered_for_another_agency_does_not_sign_for_dhs(office: Office) -> None:
    other = Ed25519PrivateKey.generate()
    doj = office.root / "doj.toml"
    text = _agency_file(doj, other).read_text().replace('code = "DHS"', 'code = "XDHS"', 1)
    doj.write_text(text.replace("Department of Homeland Security", "Ministry of Examples"))
    with AgencyRegistryStore.open(office.workspace) as store:
        store.add_file(doj, actor="office clerk")
    office.sign(other)
    outcome, codes = office.review()
    assert codes == ["letter_signature_invalid"]


def test_a_letter_signed_with_a_revoked_key_is_refused(office: Office) -> None:
    office.sign()
    with AgencyRegistryStore.open(office.workspace) as store:
        [revoked] = store.revoke("dhs", actor="security officer", reason="key lost")
        assert store.events("DHS")[-1].action == "key_revoked"
        assert store.events("DHS")[-1].actor == "security officer"
        # a revoked key is never registered again
        with pytest.raises(InputError, match="revoked"):
            store.add_file(office.root / "dhs.toml", actor="office clerk")
    assert revoked == load_letter(office.letter).signature.public_key_sha256  # type: ignore[union-attr]
    outcome, codes = office.review()
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT and codes == ["letter_signature_invalid"]


def test_a_letter_dated_after_the_transfer_is_refused(office: Office) -> None:
    office.sign()
    outcome, codes = office.review(day=date(2026, 10, 29))
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT and codes == ["letter_future_dated"]


def test_safeguards_are_judged_on_the_day_of_transfer(office: Office) -> None:
    # Report of 2023-11-15: under three years old at the letter's date (2026-10-30), over
    # three years old on the day of transfer (2026-12-01).
    from matchgate.review.agencies import SafeguardsReport

    report = SafeguardsReport("SSR-DHS-2023-07", date(2023, 11, 15))
    with AgencyRegistryStore.open(office.workspace) as store:
        store.add_file(
            _agency_file(office.root / "dhs2.toml", office.key, safeguards_report=report),
            actor="office clerk",
        )
    text = office.letter.read_text()
    text = text.replace("SSR-DHS-2026-01", "SSR-DHS-2023-07").replace("2026-03-16", "2023-11-15")
    office.letter.write_text(text)
    office.sign()
    assert office.review(day=date(2026, 11, 10)) == (ReviewOutcome.ACCEPTED, [])
    outcome, codes = office.review(day=date(2026, 12, 1))
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT and codes == ["safeguards_stale"]


def test_without_a_registered_key_even_the_packaged_agency_fails(tmp_path: Path) -> None:
    office = Office(tmp_path)
    office.sign()
    fresh = tmp_path / "fresh-workspace"
    transfer = Transfer.for_workspace(fresh, requests=office.requests, transfer_date=TRANSFER_DAY)
    assert transfer.registry.by_code("DHS") is not None  # seeded from the packaged data
    assert transfer.registry.by_code("DHS").keys == ()  # type: ignore[union-attr]
    decision = review_letter(
        load_letter(office.letter), facts=BatchFacts(), policy=Policy(), transfer=transfer
    )
    assert [r.code for r in decision.reasons] == ["letter_signature_invalid"]


def test_the_registry_is_seeded_once_and_its_history_is_append_only(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    with AgencyRegistryStore.open(workspace) as store:
        codes = {a.code for a in store.registry()}
        assert {"DHS", "DOJ", "TREAS"} <= codes
        assert [e.action for e in store.events()] == ["seeded"]
    with AgencyRegistryStore.open(workspace) as store:
        assert [e.action for e in store.events()] == ["seeded"]
    connection = sqlite3.connect(workspace / REGISTRY_FILE)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute("DELETE FROM registry_events")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        connection.execute("UPDATE registry_events SET actor = 'nobody'")
    connection.close()


def test_adding_the_same_agency_file_again_changes_nothing(office: Office) -> None:
    with AgencyRegistryStore.open(office.workspace) as store:
        before = store.events()
        store.add_file(office.root / "dhs.toml", actor="office clerk")
        assert store.events() == before
        assert [e.action for e in before] == ["seeded", "key_registered"]


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('[agency]\nname = "X"\nauthorized_titles = ["Head"]\n', "agency.code"),
        ('[agency]\ncode = "X"\nname = "X"\n', "agency.authorized_titles"),
        (
            '[agency]\ncode = "X"\nname = "X"\nauthorized_titles = ["H"]\ncolour = 1\n',
            "agency.colour",
        ),
        (
            '[agency]\ncode = "X"\nname = "X"\nauthorized_titles = ["H"]\npublic_key = "nope"\n',
            "agency.public_key",
        ),
        (
            '[agency]\ncode = "X"\nname = "X"\nauthorized_titles = ["H"]\n'
            'safeguards_report = { id = "S", date = "soon" }\n',
            "agency.safeguards_report.date",
        ),
        (
            '[agency]\ncode = "X"\nname = "X"\nauthorized_titles = ["H"]\n'
            "plausible_caseload = -4\n",
            "agency.plausible_caseload",
        ),
        ('title = "no agency"\n', "agency"),
    ],
)
def test_a_bad_agency_file_names_file_and_field(tmp_path: Path, text: str, field: str) -> None:
    path = tmp_path / "agency.toml"
    path.write_text(text, encoding="utf-8")
    with AgencyRegistryStore.open(tmp_path / "ws") as store:
        with pytest.raises(InputError) as caught:
            store.add_file(path, actor="clerk")
        assert [e.action for e in store.events()] == ["seeded"]
    assert caught.value.field == field and "agency.toml" in str(caught.value)


def test_every_change_names_who_made_it(office: Office) -> None:
    with AgencyRegistryStore.open(office.workspace) as store:
        with pytest.raises(InputError, match="who"):
            store.revoke("DHS", actor=" ", reason="x")
        with pytest.raises(InputError, match="why"):
            store.revoke("DHS", actor="clerk", reason="")


def test_signing_again_replaces_the_signature_and_a_bad_signature_table_is_refused(
    office: Office,
) -> None:
    office.sign(Ed25519PrivateKey.generate())
    office.sign()
    assert office.letter.read_text().count("[signature]") == 1
    assert office.review() == (ReviewOutcome.ACCEPTED, [])
    office.letter.write_text(office.letter.read_text() + 'extra = "x"\n')
    with pytest.raises(LetterError) as caught:
        load_letter(office.letter)
    assert caught.value.field == "signature.extra"


def test_a_private_key_readable_by_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "agency.key"
    write_private_key(path, Ed25519PrivateKey.generate())
    assert load_private_key(path)
    path.chmod(0o644)
    with pytest.raises(InputError, match="chmod 600"):
        load_private_key(path)
    with pytest.raises(InputError, match="never overwritten"):
        write_private_key(path, Ed25519PrivateKey.generate())
