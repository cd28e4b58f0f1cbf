"""Soundex and NYSIIS against published code values."""

from __future__ import annotations

import pytest

from matchgate.standardize.phonetic import nysiis, phonetic_keys, soundex


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # the National Archives' own examples (H and W do not separate; vowels do)
        ("ROBERT", "R163"),
        ("RUPERT", "R163"),
        ("RUBIN", "R150"),
        ("ASHCRAFT", "A261"),
        ("ASHCROFT", "A261"),
        ("TYMCZAK", "T522"),
        ("PFISTER", "P236"),
        ("HONEYMAN", "H555"),
        ("LEE", "L000"),
        ("GUTIERREZ", "G362"),
        ("JACKSON", "J250"),
        ("WASHINGTON", "W252"),
        ("O'HARA", "O600"),
        ("", ""),
    ],
)
def test_soundex(name: str, code: str) -> None:
    assert soundex(name) == code


@pytest.mark.parametrize(
    ("name", "code"),
    [
        # published NYSIIS values (untruncated here: the six-letter forms are prefixes)
        ("WORTHY", "WARTY"),
        ("OGATA", "OGAT"),
        ("MONTGOMERY", "MANTGANARY"),
        ("COSTALES", "CASTAL"),
        ("KNIGHT", "NAGT"),
        ("BROWN", "BRAN"),
        ("", ""),
    ],
)
def test_nysiis(name: str, code: str) -> None:
    assert nysiis(name) == code


@pytest.mark.parametrize(("name", "prefix"), [("ANASTASIA", "ANASTA"), ("SANDOVAL", "SANDAV")])
def test_nysiis_truncated_values_are_prefixes(name: str, prefix: str) -> None:
    assert nysiis(name).startswith(prefix)


@pytest.mark.parametrize(
    ("one", "other"),
    [("MACDONALD", "MCDONALD"), ("JOHNSON", "JONSON"), ("PHILLIPS", "FILLIPS"), ("FAILE", "FAYLE")],
)
def test_respellings_share_a_key(one: str, other: str) -> None:
    assert set(phonetic_keys(one)) & set(phonetic_keys(other))


def test_different_names_share_no_key() -> None:
    assert not set(phonetic_keys("GARCIA")) & set(phonetic_keys("MILLER"))


def test_an_initial_or_no_letters_gives_no_keys() -> None:
    assert phonetic_keys("J") == ()
    assert phonetic_keys("--") == ()
