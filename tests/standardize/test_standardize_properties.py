"""Properties that hold for every input: never raise, ASCII upper output, stable keys."""

from __future__ import annotations

import os
import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matchgate.standardize import (
    AddressKind,
    StandardAddress,
    StandardName,
    clean_name_text,
    first_name_forms,
    is_placeholder,
    names_swapped,
    standardize_address,
    standardize_name,
    surname_part_overlap,
)

# MATCHGATE_HYPOTHESIS_EXAMPLES=5000 runs a deeper search (a few minutes) than the default.
FAST = settings(
    max_examples=int(os.environ.get("MATCHGATE_HYPOTHESIS_EXAMPLES", "300")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

any_text = st.text(max_size=80)
name_words = st.sampled_from(
    [
        "JOSE",
        "José",
        "GARCIA",
        "García",
        "LOPEZ",
        "de",
        "la",
        "CRUZ",
        "DELACRUZ",
        "Jr.",
        "SR",
        "III",
        "V",
        "Muñoz",
        "O'Brien",
        "Bill",
        "PEPE",
        "-",
        ",",
        "Y",
        "MARIA",
        "DEL",
        "CARMEN",
    ]
)
name_text = st.one_of(any_text, st.lists(name_words, max_size=5).map(" ".join))
address_words = st.sampled_from(
    [
        "123",
        "45B",
        "1/2",
        "N",
        "North",
        "Main",
        "Street",
        "St.",
        "Ave",
        "Apt",
        "#",
        "4",
        "Unit",
        "PO",
        "Box",
        "P.O.",
        "RR",
        "2",
        "Springfield",
        "IL",
        "62704",
        "UNKNOWN",
        "Jail",
        "County",
        "Suite",
        "Rear",
        "NW",
        ",",
        "Fifth",
        "Broadway",
        "Calle",
        "Ñandú",
        "PMB",
        "Hwy",
    ]
)
street_text = st.one_of(any_text, st.lists(address_words, max_size=8).map(" ".join))
zip_text = st.one_of(any_text, st.from_regex(r"\A\d{5}(-\d{4})?\Z"))
state_text = st.one_of(any_text, st.sampled_from(["IL", "il", "Illinois", "TX", "ON", "ZZ", ""]))


def _is_clean(text: str) -> bool:
    return text.isascii() and text == text.upper() and text == text.strip() and "  " not in text


def _check_name(name: StandardName) -> None:
    for text in (name.first, name.middle, name.middle_initial, name.surname_joined, name.suffix):
        assert _is_clean(text)
    assert name.suffix in {"", "JR", "SR", "II", "III", "IV", "V"}
    assert name.surname_joined == "".join(name.surname_parts)
    assert all(part and _is_clean(part) for part in name.surname_parts + name.particles)
    assert list(name.first_canonical) == sorted(set(name.first_canonical))
    assert (name.first in name.first_canonical) if name.first else name.first_canonical == ()
    assert name.middle_initial == "" or name.middle_initial in name.middle


@FAST
@given(name_text, name_text, name_text, name_text)
def test_standardize_name_never_raises_and_is_clean(
    first: str, middle: str, last: str, suffix: str
) -> None:
    _check_name(standardize_name(first, middle, last, suffix))


@FAST
@given(name_text, name_text, name_text, name_text)
def test_standardize_name_is_idempotent(first: str, middle: str, last: str, suffix: str) -> None:
    once = standardize_name(first, middle, last, suffix)
    surname = " ".join(once.particles + once.surname_parts)
    if "," in surname:
        return
    twice = standardize_name(once.first, once.middle, surname, once.suffix)
    assert twice.first == once.first
    assert twice.middle == once.middle
    assert twice.suffix == once.suffix
    assert twice.surname_parts == once.surname_parts
    assert twice.first_canonical == once.first_canonical


@FAST
@given(any_text)
def test_clean_name_text_is_idempotent_ascii_upper(text: str) -> None:
    cleaned = clean_name_text(text)
    assert _is_clean(cleaned)
    assert clean_name_text(cleaned) == cleaned
    assert first_name_forms(cleaned) == first_name_forms(text)


@FAST
@given(name_text, name_text, name_text, name_text)
def test_comparisons_are_symmetric(a_first: str, a_last: str, b_first: str, b_last: str) -> None:
    a = standardize_name(a_first, "", a_last)
    b = standardize_name(b_first, "", b_last)
    assert surname_part_overlap(a, b) == surname_part_overlap(b, a)
    assert surname_part_overlap(a, b) in {"exact", "same_set", "joined_equal", "subset", "none"}
    assert names_swapped(a, b) == names_swapped(b, a)
    if a.surname_parts:
        assert surname_part_overlap(a, a) == "exact"


def _check_address(address: StandardAddress) -> None:
    texts = (
        address.number,
        address.predirectional,
        address.street_name,
        address.street_suffix,
        address.postdirectional,
        address.unit,
        address.city,
        address.state,
        address.zip5,
        address.street_key,
        address.address_key,
        address.unit_key,
    )
    for text in texts:
        assert text.isascii() and text == text.upper()
    assert address.zip5 == "" or (len(address.zip5) == 5 and address.zip5.isdigit())
    assert address.state == "" or len(address.state) == 2
    assert isinstance(address.kind, AddressKind)
    codes = address.reason_codes
    assert all(code.startswith("address_") for code in codes)
    if address.kind is AddressKind.STREET:
        assert address.street_key
        assert not {"address_placeholder", "address_unparseable", "address_foreign"} & set(codes)
    else:
        assert address.address_key == ""
    if address.address_key:
        assert address.address_key.startswith(address.street_key + "|")
        assert address.building_key == address.address_key
        assert address.unit_key.startswith(address.address_key)
    if address.zip5 and address.address_key:
        assert address.address_key.endswith("|" + address.zip5)


@FAST
@given(street_text, st.one_of(any_text, st.just("Springfield")), state_text, zip_text)
def test_standardize_address_never_raises_and_keys_are_consistent(
    street: str, city: str, state: str, zip_code: str
) -> None:
    _check_address(standardize_address(street, city, state, zip_code))


@FAST
@given(street_text, st.sampled_from(["Springfield", "", "New York"]), state_text, zip_text)
def test_standardize_address_is_idempotent(
    street: str, city: str, state: str, zip_code: str
) -> None:
    once = standardize_address(street, city, state, zip_code)
    if once.kind not in {AddressKind.STREET, AddressKind.PO_BOX} or not once.street_key:
        return
    twice = standardize_address(once.street_line, once.city, once.state, once.zip5)
    assert twice.street_key == once.street_key
    assert twice.unit == once.unit
    assert twice.address_key == once.address_key
    assert twice.unit_key == once.unit_key
    assert (twice.city, twice.state, twice.zip5) == (once.city, once.state, once.zip5)


@FAST
@given(any_text)
def test_is_placeholder_never_raises(text: str) -> None:
    assert isinstance(is_placeholder(text), bool)


@FAST
@given(st.text(alphabet=string.printable, max_size=40))
def test_printable_garbage_never_yields_a_street_key_without_a_number(text: str) -> None:
    address = standardize_address(text, "Springfield", "IL", "62704")
    if address.street_key and address.kind is AddressKind.STREET:
        assert address.number


def test_two_boxes_in_one_line_are_unparseable() -> None:
    # Found by the idempotency property: "PMB 1 PMB 0" read as a box with a box for a unit
    # wrote back a line that no longer parsed.
    once = standardize_address("1:PMB:PMB:0", "Springfield", "", "")
    assert once.kind is AddressKind.UNPARSEABLE
    assert standardize_address("PO Box 12", "Springfield", "", "").kind is AddressKind.PO_BOX
