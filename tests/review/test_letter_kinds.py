"""Two kinds of letter: a bulk letter signed for one request file, a look-up letter signed for
its declared scope (validity window, maximum number of look-ups). Neither serves as the other.

Each case goes through real files: a letter TOML signed with ``sign_letter_file``, a registry
in a temporary workspace holding the agency's key, and ``review_letter`` with a Transfer.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from matchgate.errors import LetterError
from matchgate.reasons import Audience, registry
from matchgate.review import BatchFacts, Policy, ReviewOutcome, load_letter, review_letter
from matchgate.review.letter import MAX_LOOKUP_WINDOW_DAYS, letter_signing_material
from matchgate.review.registry import AgencyRegistryStore
from matchgate.review.signing import SignatureCheck, check_signature, sign_letter_file
from matchgate.review.transfer import Transfer

from .test_letter_signatures import CORPUS, _agency_file

DAY = date(2026, 11, 2)
LOOKUP_CODES = (
    "letter_not_for_lookups",
    "letter_not_for_batches",
    "lookup_window_too_long",
    "lookup_letter_not_yet_valid",
    "lookup_letter_expired",
    "lookup_limit_reached",
)
SCOPE = 'kind = "lookups"\nvalid_from = 2026-10-30\nvalid_until = 2027-04-30\nmax_lookups = 3\n'


def _lookup_text(scope: str = SCOPE) -> str:
    text = (CORPUS / "letters" / "good.toml").read_text(encoding="utf-8")
    return text.replace('agency_code = "DHS"\n', 'agency_code = "DHS"\n' + scope, 1)


class Office:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.workspace = root / "workspace"
        self.key = Ed25519PrivateKey.generate()
        self.requests = root / "requests.csv"
        self.requests.write_bytes((CORPUS / "bad_rows.csv").read_bytes())
        with AgencyRegistryStore.open(self.workspace) as store:
            store.add_file(_agency_file(root / "dhs.toml", self.key), actor="office clerk")

    def lookup_letter(self, scope: str = SCOPE, *, sign: bool = True) -> Path:
        path = self.root / "lookup_letter.toml"
        path.write_text(_lookup_text(scope), encoding="utf-8")
        if sign:
            sign_letter_file(key=self.key, letter=path, requests=None)
        return path

    def bulk_letter(self) -> Path:
        path = self.root / "letter.toml"
        path.write_text((CORPUS / "letters" / "good.toml").read_text(), encoding="utf-8")
        sign_letter_file(key=self.key, letter=path, requests=self.requests)
        return path

    def lookup(
        self, letter: Path, *, before: int = 0, day: date = DAY
    ) -> tuple[ReviewOutcome, list[str]]:
        transfer = Transfer.for_lookup(self.workspace, lookups_before=before, transfer_date=day)
        return self._review(letter, transfer)

    def batch(self, letter: Path) -> tuple[ReviewOutcome, list[str]]:
        transfer = Transfer.for_workspace(self.workspace, requests=self.requests, transfer_date=DAY)
        return self._review(letter, transfer)

    @staticmethod
    def _review(letter: Path, transfer: Transfer) -> tuple[ReviewOutcome, list[str]]:
        decision = review_letter(
            load_letter(letter), facts=BatchFacts(), policy=Policy(), transfer=transfer
        )
        return decision.outcome, [r.code for r in decision.reasons]


@pytest.fixture
def office(tmp_path: Path) -> Office:
    return Office(tmp_path)


def test_every_lookup_code_is_registered_for_the_requester() -> None:
    known = registry()
    for code in LOOKUP_CODES:
        info = known[code]
        assert info.citation == "26 U.S.C. 6103(i)(2)(A)"
        assert info.audience is Audience.REQUESTER
        assert info.meaning


def test_a_signed_lookup_letter_passes_for_a_lookup(office: Office) -> None:
    letter = office.lookup_letter()
    assert "requests_sha256" not in letter.read_text(encoding="utf-8")
    assert office.lookup(letter) == (ReviewOutcome.ACCEPTED, [])


def test_a_bulk_letter_is_refused_for_a_lookup(office: Office) -> None:
    outcome, codes = office.lookup(office.bulk_letter())
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert codes == ["letter_not_for_lookups"]  # not also request_file_mismatch


def test_a_lookup_letter_is_refused_for_a_batch(office: Office) -> None:
    outcome, codes = office.batch(office.lookup_letter())
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert codes == ["letter_not_for_batches"]


def test_a_bulk_signature_does_not_verify_once_the_letter_claims_lookups(office: Office) -> None:
    # Turning a signed bulk letter into a look-up letter changes what was signed.
    bulk = office.bulk_letter()
    text = bulk.read_text(encoding="utf-8").replace(
        'agency_code = "DHS"\n', 'agency_code = "DHS"\n' + SCOPE, 1
    )
    bulk.write_text(text, encoding="utf-8")
    outcome, codes = office.lookup(bulk)
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert codes == ["letter_signature_invalid"]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("max_lookups = 3", "max_lookups = 30"),
        ("valid_until = 2027-04-30", "valid_until = 2027-05-30"),
    ],
)
def test_a_changed_scope_breaks_the_signature(office: Office, old: str, new: str) -> None:
    letter = office.lookup_letter()
    letter.write_text(letter.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")
    assert office.lookup(letter)[1] == ["letter_signature_invalid"]


def test_the_signing_material_differs_by_kind(office: Office) -> None:
    lookup = load_letter(office.lookup_letter())
    bulk = load_letter(office.bulk_letter())
    assert b"matchgate look-up letter v1" in letter_signing_material(lookup, "ab")
    assert b'"requests_sha256"' not in letter_signing_material(lookup, "ab")
    assert b"matchgate request letter v1" in letter_signing_material(bulk, "ab")
    public = office.key.public_key()
    assert check_signature(lookup, public_key=public, requests_sha256="") is SignatureCheck.VALID


def test_an_unsigned_lookup_letter_is_refused(office: Office) -> None:
    outcome, codes = office.lookup(office.lookup_letter(sign=False))
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert codes == ["letter_unsigned"]


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (date(2026, 10, 29), "lookup_letter_not_yet_valid"),
        (date(2027, 5, 1), "lookup_letter_expired"),
    ],
)
def test_a_lookup_outside_the_window_is_refused(office: Office, day: date, code: str) -> None:
    letter = office.lookup_letter()
    outcome, codes = office.lookup(letter, day=day)
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert code in codes


def test_the_last_day_of_the_window_is_inside(office: Office) -> None:
    assert office.lookup(office.lookup_letter(), day=date(2027, 4, 30))[1] == []


def test_the_letter_answers_at_most_its_maximum(office: Office) -> None:
    letter = office.lookup_letter()
    assert office.lookup(letter, before=2)[1] == []
    outcome, codes = office.lookup(letter, before=3)
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert codes == ["lookup_limit_reached"]


def test_a_window_longer_than_allowed_is_refused(office: Office) -> None:
    scope = SCOPE.replace("valid_until = 2027-04-30", "valid_until = 2028-10-30")
    outcome, codes = office.lookup(office.lookup_letter(scope))
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert codes == ["lookup_window_too_long"]
    assert MAX_LOOKUP_WINDOW_DAYS < (date(2028, 10, 30) - date(2026, 10, 30)).days


def test_a_lookup_letter_is_judged_on_the_people_it_may_ask_about(office: Office) -> None:
    # DHS's plausible caseload is 250,000; a letter may cover at most 25% of it.
    scope = SCOPE.replace("max_lookups = 3", "max_lookups = 62501")
    outcome, codes = office.lookup(office.lookup_letter(scope))
    assert outcome is ReviewOutcome.LEGALLY_DEFICIENT
    assert "batch_exceeds_caseload" in codes


@pytest.mark.parametrize(
    ("scope", "field"),
    [
        ('kind = "single"\n', "letter.kind"),
        ('kind = "lookups"\nmax_lookups = 3\n', "letter.valid_until"),
        ('kind = "lookups"\nvalid_until = 2027-01-01\n', "letter.max_lookups"),
        ('kind = "lookups"\nvalid_until = 2027-01-01\nmax_lookups = 0\n', "letter.max_lookups"),
        ('kind = "lookups"\nvalid_until = 2027-01-01\nmax_lookups = "9"\n', "letter.max_lookups"),
        ('kind = "lookups"\nvalid_until = 2026-01-01\nmax_lookups = 9\n', "letter.valid_until"),
        ("max_lookups = 3\n", "letter.max_lookups"),  # a bulk letter with a look-up field
    ],
)
def test_a_malformed_scope_is_refused_naming_the_field(
    office: Office, scope: str, field: str
) -> None:
    with pytest.raises(LetterError) as error:
        office.lookup_letter(scope, sign=False)
        load_letter(office.root / "lookup_letter.toml")
    assert error.value.field == field


def test_signing_refuses_the_wrong_shape_of_command(office: Office) -> None:
    with pytest.raises(LetterError, match="look-up letter"):
        sign_letter_file(
            key=office.key, letter=office.lookup_letter(sign=False), requests=office.requests
        )
    bulk = office.root / "bulk.toml"
    bulk.write_text((CORPUS / "letters" / "good.toml").read_text(), encoding="utf-8")
    with pytest.raises(LetterError, match="bulk letter"):
        sign_letter_file(key=office.key, letter=bulk, requests=None)
