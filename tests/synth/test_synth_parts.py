"""The generator's building blocks: text variations, TINs, households, periods, the letter."""

from __future__ import annotations

import random
import re
import tomllib
from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matchgate.synth._cases import draw_cases, render_tax_periods
from matchgate.synth._households import (
    HOUSEHOLD_TEMPLATES,
    Role,
    draw_households,
    template_shares,
)
from matchgate.synth._letter import (
    OFFICER_LOAD,
    draw_letter,
    officer_names_needed,
    render_letter_toml,
)
from matchgate.synth._name_tables import load_name_tables
from matchgate.synth._naming_customs import (
    ACCENTED_FORMS,
    NICKNAMES,
    PARTICLE_SURNAMES,
    strip_accents,
)
from matchgate.synth._request_text import (
    AddressParts,
    compound_surname_variant,
    one_char_edit,
    particle_variant,
    render_address,
)
from matchgate.synth._tins import draw_tins, looks_issued


def edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=0, max_size=14), st.integers())
def test_one_char_edit_is_one_small_edit_that_keeps_the_initial(text: str, seed: int) -> None:
    edited = one_char_edit(random.Random(seed), text)
    if len(text) < 4:
        assert edited == text
    else:
        assert edited[0] == text[0]
        assert 1 <= edit_distance(text, edited) <= 2  # a transposition counts as two


@pytest.mark.parametrize(
    ("tin", "issued"),
    [
        ("123456789", True),
        ("000123456", False),  # area 000
        ("666123456", False),  # area 666
        ("123006789", False),  # group 00
        ("123450000", False),  # serial 0000
        ("912501234", True),  # ITIN group 50
        ("912701234", True),
        ("912931234", False),  # 93 is not an ITIN group
        ("912661234", False),
        ("12345678", False),
        ("12345678A", False),
    ],
)
def test_looks_issued_follows_ssn_and_itin_rules(tin: str, issued: bool) -> None:
    assert looks_issued(tin) is issued


def test_drawn_tins_are_unique_and_look_issued() -> None:
    rng = np.random.default_rng(0)
    is_itin = rng.random(50_000) < 0.1
    tins = draw_tins(rng, is_itin)
    assert len(set(tins.tolist())) == tins.size
    assert all(looks_issued(t) for t in tins[:5_000])
    assert all((t[0] == "9") == itin for t, itin in zip(tins, is_itin, strict=True))


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=1, max_value=3_000), st.integers(min_value=0, max_value=2**32))
def test_households_hold_exactly_the_people_asked_for(people: int, seed: int) -> None:
    households = draw_households(np.random.default_rng(seed), people)
    assert households.people == people == int(households.size.sum())
    heads = households.first_member
    assert (households.role[heads] == Role.HEAD).all()
    for template_index in np.unique(households.template)[:5]:
        first = heads[np.flatnonzero(households.template == template_index)[0]]
        roles = HOUSEHOLD_TEMPLATES[int(template_index)].roles
        assert tuple(households.role[first : first + len(roles)]) == roles


def test_census_households_carry_jr_sr_pairs_at_population_rate() -> None:
    names = [t.name for t in HOUSEHOLD_TEMPLATES]
    census, stress = template_shares("census"), template_shares("stress")
    assert census.sum() == pytest.approx(1.0) and stress.sum() == pytest.approx(1.0)
    jr_sr = [names.index("jr_sr_family"), names.index("jr_sr")]
    assert census[jr_sr].sum() == pytest.approx(0.005, rel=0.05)
    assert stress[jr_sr].sum() > 8 * census[jr_sr].sum()
    households = draw_households(np.random.default_rng(3), 200_000, population="census")
    in_jr_sr = np.isin(households.template, jr_sr).sum() / households.count
    assert 0.003 < in_jr_sr < 0.007


@pytest.mark.parametrize("surname", ["DELACRUZ", "DELOSSANTOS", "DEJESUS", "DELEON"])
def test_particle_surnames_are_written_several_ways(surname: str) -> None:
    rng = random.Random(1)
    forms = {particle_variant(rng, surname) for _ in range(200)}
    assert surname in forms  # joined
    assert any(" " in form and form.startswith("DE") for form in forms)  # spaced
    assert any(not form.startswith("DE") for form in forms)  # particle dropped
    core = PARTICLE_SURNAMES[surname].split(" ")[-1]  # "CRUZ" of "DE LA CRUZ"
    assert all(form.replace(" ", "").endswith(core) for form in forms)


def test_compound_surnames_come_in_every_layout() -> None:
    rng = random.Random(2)
    forms = {compound_surname_variant(rng, "GARCIA", "LOPEZ") for _ in range(300)}
    assert forms == {
        "GARCIA-LOPEZ", "GARCIALOPEZ", "GARCIA", "LOPEZ", "LOPEZ GARCIA", "GARCIA LOPEZ",
    }  # fmt: skip


def test_accent_and_nickname_tables_are_consistent() -> None:
    for plain, accented in ACCENTED_FORMS.items():
        assert strip_accents(accented) == plain != accented
    for formal, nicknames in NICKNAMES.items():
        assert formal.isupper() and all(n.isupper() and n != formal for n in nicknames)
    assert {"PEPE", "PACO", "LUPE", "CHUY", "BILL"} <= {n for v in NICKNAMES.values() for n in v}


def test_rendered_addresses_keep_number_city_and_state() -> None:
    rng = random.Random(3)
    address = AddressParts(4500, "W", "OAK", "AVE", "APT 12B", "HOUSTON", "TX", "77012", True)
    streets = set()
    for _ in range(300):
        rendered = render_address(rng, address, typo=rng.random() < 0.3)
        assert rendered.street.startswith("4500 ")
        assert (rendered.city, rendered.state) == ("HOUSTON", "TX")
        assert rendered.zip_code == "" or rendered.zip_code.startswith("77012")
        assert rendered.has_typo == ("OAK" not in rendered.street)
        streets.add(rendered.street)
    assert "4500 W OAK AVE APT 12B" in streets
    assert any("AVENUE" in s for s in streets) and any("WEST" in s for s in streets)
    assert any("APT" not in s and "#" not in s and "UNIT" not in s for s in streets)


def test_numbered_streets_never_get_a_typo() -> None:
    rng = random.Random(4)
    address = AddressParts(12, "", "23RD", "ST", "", "DALLAS", "TX", "75201", False)
    for _ in range(100):
        rendered = render_address(rng, address, typo=True)
        assert "23RD" in rendered.street and not rendered.has_typo


@settings(max_examples=100, deadline=None)
@given(st.integers(), st.integers(min_value=2000, max_value=2100))
def test_tax_periods_are_past_years_within_six(seed: int, year: int) -> None:
    text = render_tax_periods(random.Random(seed), year)
    assert re.fullmatch(r"\d{4}(-\d{4}|(;\d{4})+)?", text)
    years = [int(y) for y in re.split(r"[-;]", text)]
    assert all(year - 6 <= y <= year - 1 for y in years)
    assert years == sorted(years) and len(set(years)) == len(years)


def test_cases_cover_every_row_with_distinct_numbers() -> None:
    cases, case_of_row = draw_cases(np.random.default_rng(1), random.Random(1), 5_000, 2026)
    assert case_of_row.shape == (5_000,)
    assert set(case_of_row.tolist()) == set(range(len(cases)))
    assert len({c.number for c in cases}) == len(cases)
    assert len({c.reason for c in cases}) == len(cases)


def test_letter_toml_escapes_names_and_parses() -> None:
    letter = draw_letter(
        random.Random(1),
        person_names=['Ana "La Jefa" O\'Neil', *(f"Officer {n}" for n in range(200))],
        case_numbers=[f"HSI-2026-{n:06d}" for n in range(1, 900)],
        requests=1_000,
        as_of=date(2026, 11, 1),
        deficient=False,
    )
    parsed = tomllib.loads(render_letter_toml(letter))
    assert parsed["letter"]["signer_name"] == 'Ana "La Jefa" O\'Neil'
    loads = [len(o["case_numbers"]) for o in parsed["officers"]]
    assert sum(loads) == 899 and max(loads) <= OFFICER_LOAD[1]
    assert len({o["name"] for o in parsed["officers"]}) == len(loads)


def test_a_letter_never_repeats_an_officer_name() -> None:
    cases = [f"HSI-2026-{n:06d}" for n in range(1, 400)]
    with pytest.raises(ValueError, match="too few"):
        draw_letter(
            random.Random(1),
            person_names=["Signer", "Bo Li", "Cy Ng"],
            case_numbers=cases,
            requests=500,
            as_of=date(2026, 11, 1),
            deficient=False,
        )
    names = ["Signer", *(f"Officer {n}" for n in range(officer_names_needed(len(cases))))]
    letter = draw_letter(
        random.Random(1),
        person_names=names,
        case_numbers=cases,
        requests=500,
        as_of=date(2026, 11, 1),
        deficient=False,
    )
    assert len({o.name for o in letter.officers}) == len(letter.officers) > len(cases) // 40


def test_name_tables_are_compact_and_census_shaped() -> None:
    tables = load_name_tables()
    assert 20_000 <= tables.surnames.size <= 30_000
    assert 5_000 <= tables.first_names.size <= 8_000
    assert tables.surnames[0] == "SMITH"
    rng = np.random.default_rng(0)
    hispanic = tables.surnames[tables.draw_surnames(rng, np.ones(20_000, dtype=bool))]
    top = {name for name, _ in zip(*np.unique(hispanic, return_counts=True), strict=True)}
    assert {"GARCIA", "RODRIGUEZ", "HERNANDEZ", "MARTINEZ"} <= top
    common_share = np.isin(hispanic, tables.surnames[tables.surname_is_common]).mean()
    assert 0.2 < common_share < 0.45  # a few surnames cover a large share of Hispanic people
