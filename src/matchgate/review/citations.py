"""The legal citation behind each review reason code, in one table.

Codes are stable: reports, tests and the response file key on them. Every code the review can
emit is listed here, so ``matchgate review`` can print a legend and tests can check coverage.
"""

from __future__ import annotations

from matchgate.decisions import Reason

__all__ = ["CITATIONS", "reason"]

_B_I = "26 U.S.C. 6103(i)(2)(B)(i)"
_B_II = "26 U.S.C. 6103(i)(2)(B)(ii)"
_B_III = "26 U.S.C. 6103(i)(2)(B)(iii)"
_B_IV = "26 U.S.C. 6103(i)(2)(B)(iv)"
_A = "26 U.S.C. 6103(i)(2)(A)"
_P4 = "26 U.S.C. 6103(p)(4)"
_POLICY = "matchgate review policy"

CITATIONS: dict[str, str] = {
    # rows: 6103(i)(2)(B)
    "name_missing": _B_I,
    "address_missing": _B_I,
    "address_placeholder": _B_I,
    "address_zip_only": _B_I,
    "address_institution": _B_I,
    "address_unparseable": _B_I,
    "address_po_box": _B_I,
    "address_foreign": _B_I,
    "periods_missing": _B_II,
    "periods_malformed": _B_II,
    "periods_not_past": _B_II,
    "periods_too_old": _B_II,
    "statute_missing": _B_III,
    "statute_unknown": _B_III,
    "statute_civil": _A,
    "statute_tax_administration": _A,
    "case_number_missing": _A,
    "case_no_officer": _A,
    "reason_missing": _B_IV,
    "reason_placeholder": _B_IV,
    "reason_boilerplate": _B_IV,
    "duplicate": "",
    # letter and batch: 6103(i)(2)(A), 6103(p)(4)
    "agency_unknown": _A,
    "agency_code_mismatch": _A,
    "signer_missing": _A,
    "signer_not_authorized": _A,
    "officers_missing": _A,
    "officer_name_missing": _A,
    "officer_no_cases": _A,
    "officer_case_load": _A,
    "safeguards_not_on_file": _P4,
    "safeguards_mismatch": _P4,
    "safeguards_stale": _P4,
    # the letter's authenticity and the transfer it covers
    "letter_unsigned": _A,
    "letter_signature_invalid": _A,
    "request_file_mismatch": _A,
    "letter_future_dated": _A,
    "batch_too_large": _POLICY,
}


def reason(code: str, message: str, *, field: str = "") -> Reason:
    """A review reason with the citation for its code (KeyError for an unlisted code)."""
    return Reason(code=code, message=message, citation=CITATIONS[code], field=field)
