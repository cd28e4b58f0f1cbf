"""The public surface of matchgate.standardize (its speed: benchmarks/bench_standardize.py)."""

from __future__ import annotations

import dataclasses

import matchgate.standardize as standardize
from matchgate.standardize import AddressKind, StandardAddress, StandardName


def test_exported_names_are_exactly_the_public_api() -> None:
    assert standardize.__all__ == sorted(standardize.__all__)
    assert set(standardize.__all__) == {
        "AddressKind",
        "StandardAddress",
        "StandardName",
        "clean_name_text",
        "first_name_forms",
        "is_placeholder",
        "known_given_names",
        "names_swapped",
        "nicknames_of",
        "standardize_address",
        "standardize_name",
        "surname_part_overlap",
    }


def test_values_are_frozen_dataclasses() -> None:
    name = standardize.standardize_name("JOSE", "", "GARCIA")
    address = standardize.standardize_address("123 Main St", "Austin", "TX", "78701")
    for value in (name, address):
        assert dataclasses.is_dataclass(value)
        assert not hasattr(value, "__dict__")  # slots
    assert [field.name for field in dataclasses.fields(StandardName)] == [
        "first",
        "first_canonical",
        "middle",
        "middle_initial",
        "surname_parts",
        "surname_joined",
        "particles",
        "suffix",
    ]
    assert [field.name for field in dataclasses.fields(StandardAddress)] == [
        "number",
        "predirectional",
        "street_name",
        "street_suffix",
        "postdirectional",
        "unit",
        "city",
        "state",
        "zip5",
        "kind",
        "reasons",
    ]


def test_address_kinds_are_the_architecture_contract() -> None:
    assert [kind.value for kind in AddressKind] == [
        "street",
        "po_box",
        "placeholder",
        "zip_only",
        "institution",
        "unparseable",
        "empty",
        "foreign",
    ]


def test_every_reason_code_is_documented_and_stable() -> None:
    expected = {
        "address_placeholder",
        "address_zip_only",
        "address_po_box",
        "address_institution",
        "address_unparseable",
        "address_missing_number",
        "address_empty",
        "address_foreign",
        "address_bad_zip",
        "address_bad_state",
    }
    samples = [
        ("UNKNOWN", "", "", "78701"),
        ("", "", "", ""),
        ("PO Box 1", "Austin", "TX", "78701"),
        ("1 County Jail Rd", "Austin", "TX", "78701"),
        ("Elm St", "Austin", "TX", "78701"),
        ("1 Main St", "Toronto", "ON", ""),
        ("1 Main St", "Austin", "ZZ", "7870"),
    ]
    seen = {
        reason.code
        for sample in samples
        for reason in standardize.standardize_address(*sample).reasons
    }
    assert seen == expected
    for sample in samples:
        for reason in standardize.standardize_address(*sample).reasons:
            assert reason.message.endswith(".")
            assert reason.field in {"street", "zip", "state"}
