"""The disclosure decision as named rules, applied in order: ``MATCH_RULES``.

Each rule is a small function of the :class:`MatchContext` (the candidates ranked by match
weight, the request's facts and the policy). It returns ``None`` when it has nothing to say,
or a :class:`Verdict`. A rule with an outcome *decides*: its reasons come first, then the
evidence footnotes, and no later rule runs. A rule without an outcome is a *note*: its reasons
are added after the footnotes and the next rule goes on. The last rule always decides.

The order is the policy: a contradiction or a rival that could be the person is looked at
before any score, so no weight outruns it. In short, a request is disclosed only when the
best candidate's names agree, no date of birth or suffix given contradicts it, the requested
address is in its own filing history, nobody else could be the person (none close in weight,
nobody at the requested address whom positive disagreement does not rule out) and its match
probability is at or above ``disclose_threshold``.

Adding a rule is writing one function, decorating it with :func:`match_rule` (its outcome,
the codes it may emit and the hazard it was written for) and putting it in ``MATCH_RULES``
where it belongs; ``docs/MATCH_RULES.md`` lists every rule (a test checks it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from matchgate.decisions import Outcome, Reason
from matchgate.match.values import (
    AT_REQUESTED_ADDRESS,
    Candidate,
    MatchPolicy,
    RequestFacts,
)

__all__ = [
    "MATCH_RULES",
    "MatchContext",
    "MatchRule",
    "Verdict",
    "match_rule",
    "rule_named",
    "rules_markdown",
]

_GOOD_FIRST = {"exact", "nickname", "nickname_shared", "swapped", "spelling"}
_GOOD_SURNAME = {"exact", "same_parts", "swapped", "part", "part_spelling", "spelling"}
# The requested address is the taxpayer's own: as filed, with a street typo, or written
# differently (same number, ZIP or city, unit; see ``match.comparisons``). Not
# ``unit_differs``: another unit of the building is another address.
_ADDRESS_IN_HISTORY = {"in_history", "street_spelling", "written_differently"}
# Swapped counts as known: both names agree token for token, only in the other order. A
# nickname does not: MAE is a nickname of MARY and also a woman's legal name (issue 11).
_KNOWN_FIRST = {"exact", "swapped"}
_DOB_AGREES = {"exact", "day_month_transposed", "one_part_off"}
_DOB_CONTRADICTS = {"different", "year_only"}


@dataclass(frozen=True, slots=True)
class MatchContext:
    """What every rule may consult: the candidates best first, the facts, the policy, and
    the candidates other than the best who could be the requested person."""

    ranked: tuple[Candidate, ...]
    facts: RequestFacts
    policy: MatchPolicy
    competitors: tuple[Candidate, ...] = ()

    @classmethod
    def build(
        cls, candidates: Sequence[Candidate], facts: RequestFacts, policy: MatchPolicy
    ) -> MatchContext:
        ranked = tuple(sorted(candidates, key=lambda c: (-c.match_weight, c.tin)))
        competitors = _competitors(ranked, policy) if ranked else ()
        return cls(ranked=ranked, facts=facts, policy=policy, competitors=competitors)

    @property
    def best(self) -> Candidate:
        """The highest-weighted candidate; every rule after ``no_candidate`` has one."""
        return self.ranked[0]

    @property
    def runner_up(self) -> Candidate | None:
        return self.ranked[1] if len(self.ranked) > 1 else None


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a rule found: its reasons (decisive ones first) and, for a rule about rivals, the
    TINs of the candidates who could be the person."""

    reasons: tuple[Reason, ...] = ()
    competitors: tuple[str, ...] = ()


RuleCheck = Callable[[MatchContext], Verdict | None]


@dataclass(frozen=True, slots=True)
class MatchRule:
    """A named rule: ``outcome`` is what it decides (``None`` for a note), ``codes`` the
    reason codes it may emit, ``hazard`` the wrong answer it was written to prevent."""

    name: str
    outcome: Outcome | None
    codes: tuple[str, ...]
    hazard: str
    check: RuleCheck

    def __call__(self, context: MatchContext) -> Verdict | None:
        return self.check(context)

    @property
    def doc(self) -> str:
        return " ".join((self.check.__doc__ or "").split())


def match_rule(
    *codes: str, outcome: Outcome | None, hazard: str
) -> Callable[[RuleCheck], MatchRule]:
    """Make a rule function a :class:`MatchRule` named after it."""

    def wrap(check: RuleCheck) -> MatchRule:
        return MatchRule(check.__name__, outcome, codes, hazard, check)

    return wrap


# -- helpers the rules share ---------------------------------------------------------------


def _at_requested_address(candidate: Candidate) -> bool:
    return candidate.levels.get("address") in AT_REQUESTED_ADDRESS


def _rules_out(candidate: Candidate, *, best: Candidate) -> bool:
    """True when positive disagreement shows the candidate is not the requested person.

    A different surname does not rule out someone at the requested address who shares a
    surname part with the best candidate: in a family following Hispanic naming customs
    one sibling may file under the paternal surname only while the request gives the
    maternal one.
    """
    levels = candidate.levels
    if levels.get("first_name") == "different":
        return True
    if levels.get("surname") == "different":
        family = (
            _at_requested_address(candidate)
            and _at_requested_address(best)
            and bool(set(candidate.surname_parts) & set(best.surname_parts))
        )
        if not family:
            return True
    if levels.get("dob") in _DOB_CONTRADICTS:
        return True
    # A TIN never rules anyone out: requesters mix up the TINs of a father and son at
    # one address, and TIN matching that trusts the number was the 2025 failure.
    return levels.get("suffix") == "different"


def _competitors(ranked: tuple[Candidate, ...], policy: MatchPolicy) -> tuple[Candidate, ...]:
    """Candidates besides the best not ruled out and either close in weight or, with the
    best, at the requested address (whatever their weight)."""
    best = ranked[0]
    household = _at_requested_address(best)
    return tuple(
        c
        for c in ranked[1:]
        if not _rules_out(c, best=best)
        and (
            c.match_weight >= best.match_weight - policy.margin_weight
            or (household and _at_requested_address(c))
        )
    )


def _name_clearly_differs(candidate: Candidate) -> bool:
    first = candidate.levels.get("first_name")
    surname = candidate.levels.get("surname")
    if first == "different" and surname not in {"exact", "same_parts", "swapped"}:
        return True
    return surname == "different" and first not in {"exact", "nickname", "swapped"}


def _confirms_identity(candidate: Candidate) -> bool:
    """Evidence beside the name that the candidate is the person: the date of birth, the
    full middle name, or the TIN (which still never breaks a tie between candidates)."""
    levels = candidate.levels
    return (
        levels.get("dob") in _DOB_AGREES
        or levels.get("middle_name") == "exact"
        or levels.get("tin") == "exact"
    )


def _contradicted(candidate: Candidate) -> bool:
    """A date of birth, suffix or TIN given that contradicts the candidate's."""
    levels = candidate.levels
    return (
        levels.get("dob") in _DOB_CONTRADICTS
        or levels.get("suffix") == "different"
        or levels.get("tin") == "different"
    )


def _read_as_misspelling(context: MatchContext) -> bool:
    """The best first name agrees only in spelling, of the taxpayer's own first name (not
    only of a nickname of it), the request's is nobody's name, no other known first name is
    one edit from it, and nothing else confirms the candidate: a misspelling of the
    taxpayer's name. MARIAUNA at MARIANA HARGROVE's flat is one edit from MARIANNA too, a
    sister who files nothing (census world, 100,000 x 100,000): it is no misspelling of
    MARIANA's alone. CHRSI at CHRISTIAN MATTHEWS' home is one edit from CHRIS, a nickname of
    CHRISTIAN's and somebody's own name (census, 1,000,000 x 100,000: a CHRIS not in the
    file): a misspelt nickname is no stronger than the nickname, which without a date of
    birth is ``first_name_unconfirmed``."""
    best = context.best
    return (
        best.levels.get("first_name") == "spelling"
        and best.first_name_own_spelling
        and context.facts.first_name_unrecognised
        and not best.first_name_rivals
        and not _confirms_identity(best)
    )


def _decisive(code: str, message: str, field: str = "") -> Verdict:
    return Verdict((Reason(code, message, field=field),))


# -- the rules, in the order MATCH_RULES applies them ---------------------------------------


@match_rule(
    "no_candidate",
    outcome=Outcome.NO_MATCH,
    hazard="A person not in the file must get an answer of no match, not the nearest taxpayer.",
)
def no_candidate(context: MatchContext) -> Verdict | None:
    """Nobody in the taxpayer file resembles the request: ``no_candidate`` (no match).
    Guards every later rule, which may rely on a best candidate."""
    if context.ranked:
        return None
    return _decisive("no_candidate", "Nobody in the taxpayer file resembles the request.")


@match_rule(
    "tin_name_conflict",
    outcome=Outcome.AMBIGUOUS,
    hazard="Trusting the TIN: the number given belongs to a taxpayer of another name.",
)
def tin_name_conflict(context: MatchContext) -> Verdict | None:
    """A TIN given in the request belongs to a candidate whose name clearly differs (the
    first name disagrees and the surname does not fully agree, or the other way round):
    ``tin_name_conflict`` (ambiguous). A TIN alone never identifies the person; trusting
    the number was the 2025 failure."""
    if not any(c.levels.get("tin") == "exact" and _name_clearly_differs(c) for c in context.ranked):
        return None
    return _decisive(
        "tin_name_conflict",
        "The TIN given belongs to a taxpayer whose name clearly differs from the "
        "request; nothing is disclosed.",
        field="tin",
    )


_RUNNER_UP_CLOSE = Reason(
    "runner_up_close", "Another taxpayer scores too close to the best candidate."
)


@match_rule(
    "household_conflict",
    "runner_up_close",
    outcome=Outcome.AMBIGUOUS,
    hazard="Father and son (twins, spouses) at one address with one name and no date of "
    "birth or suffix to tell them apart.",
)
def household_namesake(context: MatchContext) -> Verdict | None:
    """Someone else at the requested address could be the person: nothing rules them out
    by a positive disagreement on first name, surname, date of birth or suffix (missing
    information and the TIN rule nobody out), whatever their weight:
    ``household_conflict`` (ambiguous), after ``runner_up_close`` when a rival elsewhere
    also scores close. Written for JOHN SMITH senior and junior at 12 OAK ST asked about
    without a date of birth."""
    household = [c for c in context.competitors if _at_requested_address(c)]
    if not household:
        return None
    reasons = [_RUNNER_UP_CLOSE] if len(household) < len(context.competitors) else []
    reasons.append(
        Reason(
            "household_conflict",
            f"{len(household)} other taxpayer(s) at the requested address could be "
            "the person (same name, no date of birth or suffix to tell them apart).",
        )
    )
    return Verdict(tuple(reasons), competitors=tuple(c.tin for c in context.competitors))


_SWAPPED_LEVELS = {"swapped", "swapped_close"}


@match_rule(
    "swapped_household_namesake",
    outcome=Outcome.AMBIGUOUS,
    hazard="MARIA PADRON (compound surname GALVAN PADRON) asked about as GALVAN PADRO, MARIA "
    "without a date of birth, at the home where her mother MARIA GALVAN files: read "
    "the other way round, PADRO became a middle name and the mother was disclosed "
    "(noisy mix, 50,000 x 5,000, seed 962).",
)
def swapped_household_namesake(context: MatchContext) -> Verdict | None:
    """The best candidate's names agree only written the other way round, no date of birth
    or full middle name confirms them (a TIN does not: one family's TINs get mixed up), and
    another taxpayer filing from the requested address has the same first name or a form of
    it (LUPE, GUADALUPE): ``swapped_household_namesake`` (ambiguous). Read the other way
    round, a second word of the request's surname lands in its middle name, so the household
    rule sees a surname the other MARIA does not file under and rules her out, though the
    request may name her compound surname. Her own surname is deliberately not asked: the
    request's surname is what was misread."""
    best = context.best
    levels = best.levels
    if not (
        levels.get("first_name") in _SWAPPED_LEVELS or levels.get("surname") in _SWAPPED_LEVELS
    ):
        return None
    # A TIN does not tell them apart (as for the household rule: requesters mix up the
    # TINs of one family); a date of birth or the full middle name does.
    if levels.get("dob") in _DOB_AGREES or levels.get("middle_name") == "exact":
        return None
    if _contradicted(best) or not best.first_name or not _names_agree(best, context.facts):
        return None  # a contradiction or a weak name is for its own rule below
    if levels.get("address") not in _ADDRESS_IN_HISTORY:
        return None
    names = {best.first_name, *best.first_forms}
    household = [
        c
        for c in context.ranked[1:]
        if _at_requested_address(c)
        and (c.first_name in names or bool(names & set(c.first_forms)))
        and c.levels.get("dob") not in _DOB_CONTRADICTS
    ]
    if not household:
        return None
    return Verdict(
        (
            Reason(
                "swapped_household_namesake",
                "The names agree only written the other way round, another taxpayer of "
                "the same first name files from the requested address, and no date of "
                "birth, full middle name or TIN tells them apart.",
                field="first_name",
            ),
        ),
        competitors=tuple(c.tin for c in household),
    )


def _tells_namesakes_apart(best: Candidate) -> bool:
    """The request gives something a namesake of the best candidate need not share: a date
    of birth, a suffix or a TIN compared with the best's (agreeing or not: a contradiction
    is for the later rules), or the best's full middle name where no namesake could have
    it too."""
    levels = best.levels
    if any(levels.get(name, "missing") != "missing" for name in ("dob", "suffix", "tin")):
        return True
    return levels.get("middle_name") == "exact" and not best.namesakes_sharing_middle


@match_rule(
    "namesake_linked",
    outcome=Outcome.AMBIGUOUS,
    hazard="Father and son of one name asked about without a date of birth: the son filed "
    "nothing from the requested address, the father did, and they shared an earlier address "
    "(or the son files as RODRIGUEZ, the father as RODRIGUEZ LOVATO).",
)
def linked_namesake(context: MatchContext) -> Verdict | None:
    """The best candidate has namesakes linked to them anywhere in the file (a first-name
    form and a surname part in common, and a filed address shared or a generational pair
    in one ZIP: ``taxpayer_namesakes``), and the request gives nothing to tell them apart
    (no date of birth, suffix or TIN, no full middle name only the best has):
    ``namesake_linked`` (ambiguous), however high the probability. The household rule sees
    only who filed from the requested address; a namesake who lived there without filing
    from it is not in that list."""
    best = context.best
    if not best.namesakes:
        return None
    if _suffix_names_a_namesake(context):
        message = (
            f"{len(best.namesakes)} other taxpayer(s) of the same name are linked to the "
            "best candidate in the file (a shared address or a generational pair), and the "
            "request asks for a generational suffix the best candidate does not file with, "
            "with no date of birth: the suffix may name one of them, whatever the TIN says."
        )
    elif _tells_namesakes_apart(best):
        return None
    else:
        message = (
            f"{len(best.namesakes)} other taxpayer(s) of the same name are linked to the "
            "best candidate in the file (a shared address or a generational pair), and "
            "the request gives no date of birth, suffix, TIN or full middle name to tell "
            "them apart."
        )
    return Verdict((Reason("namesake_linked", message),), competitors=best.namesakes)


def _suffix_names_a_namesake(context: MatchContext) -> bool:
    """The request asks for a generational suffix (SR, JR, ...) and gives no date of birth,
    and the best candidate files with no suffix: of a father and son of one name who both
    file without one, the suffix asked may be the other's. A TIN does not settle it then:
    a TIN given for the wrong one of them (the son's for the father) agreed with the son's
    record and his address went out (stress mix, 60,000 x 12,000, seed 4242)."""
    levels = context.best.levels
    return (
        context.facts.suffix_given
        and levels.get("suffix", "missing") == "missing"
        and levels.get("dob", "missing") == "missing"
    )


_FULL_SURNAME = {"exact", "same_parts"}


@match_rule(
    "surname_family_unconfirmed",
    outcome=Outcome.AMBIGUOUS,
    hazard="MARIA HERNANDEZ MARTINEZ (not in the file) asked about without a date of birth at "
    "the flat where MARIA GLORIA HERNANDEZ and MARIBEL HERNANDEZ MARTINEZ file: the surname "
    "part and the address disclosed MARIA GLORIA (stress mix, seed 923).",
)
def surname_family_unconfirmed(context: MatchContext) -> Verdict | None:
    """The best candidate files under only part of the requested surname (``part``: the
    request's compound surname has a part they never filed under), someone else at the
    requested address files under the whole of it, and no date of birth, full middle name
    or TIN confirms the best: ``surname_family_unconfirmed`` (ambiguous). The household is
    a family of the requested surname; a member of it who files nothing (a daughter, a
    sister) could be the person, and the household rule does not see her, and it rules the
    rival out by first name."""
    best = context.best
    if best.levels.get("surname") not in {"part", "part_spelling"} or _confirms_identity(best):
        return None
    family = [
        c
        for c in context.ranked[1:]
        if _at_requested_address(c) and c.levels.get("surname") in _FULL_SURNAME
    ]
    if not family or not _at_requested_address(best):
        return None
    return Verdict(
        (
            Reason(
                "surname_family_unconfirmed",
                "The candidate files under only part of the requested surname, another "
                "taxpayer at the requested address files under all of it, and no date of "
                "birth, full middle name or TIN confirms the candidate.",
                field="surname",
            ),
        ),
        competitors=tuple(c.tin for c in family),
    )


@match_rule(
    "runner_up_close",
    outcome=Outcome.AMBIGUOUS,
    hazard="Two people of one name (and date of birth) in the file, the best only a little ahead.",
)
def runner_up_close(context: MatchContext) -> Verdict | None:
    """Another candidate not ruled out scores within ``margin_weight`` of the best:
    ``runner_up_close`` (ambiguous). A small lead in weight is no proof of identity."""
    if not context.competitors:
        return None
    return Verdict((_RUNNER_UP_CLOSE,), competitors=tuple(c.tin for c in context.competitors))


# A name two typos from the taxpayer's (``close``) is accepted only when the other name
# agrees without a typo and the date of birth agrees exactly: two typos alone could be
# another name, and a date of birth is what a namesake does not share.
_FIRST_WITHOUT_TYPO = {"exact", "nickname", "swapped"}
_SURNAME_WITHOUT_TYPO = {"exact", "same_parts", "swapped", "part"}
_SURNAME_ONE_TYPO = {"spelling", "part_spelling"}


def _names_agree(candidate: Candidate, facts: RequestFacts) -> bool:
    levels = candidate.levels
    first, surname = levels.get("first_name"), levels.get("surname")
    if first in _GOOD_FIRST and surname in _GOOD_SURNAME:
        return True
    if levels.get("dob") != "exact":
        return False
    if first == "swapped_close" or surname == "swapped_close":
        # written the other way round, one name two typos off (both comparisons see it)
        return {first, surname} <= {"swapped", "swapped_close"}
    if surname == "close" and first == "spelling":
        # a typo in each name (WONDA SRNITH for WANDA SMITH): only when the request's first
        # name is nobody's, so a misspelling of the taxpayer's and not another person's name
        return facts.first_name_unrecognised
    if first == "close" and surname in _SURNAME_ONE_TYPO:
        # the same the other way round (PHOLLYP WRIGWT for PHILLIP WRIGHT, SCDUTT ANDERAON),
        # the first name two typos off and nobody's name (as the ``close`` level asks); a
        # twin shares the surname, so its typo adds nothing a twin could hide behind
        return facts.first_name_unrecognised
    return (first == "close" and surname in _SURNAME_WITHOUT_TYPO) or (
        surname == "close" and first in _FIRST_WITHOUT_TYPO
    )


@match_rule(
    "surname_differs_review",
    outcome=Outcome.NEEDS_REVIEW,
    hazard="A married name or a surname the person does not file under, everything else agreeing.",
)
def surname_differs_review(context: MatchContext) -> Verdict | None:
    """First name (exact or nickname), exact date of birth and address in history agree
    but the surname differs: ``surname_differs_review`` (needs review). Never disclosed
    automatically, but a person should look."""
    levels = context.best.levels
    if not (
        levels.get("surname") == "different"
        and levels.get("first_name") in {"exact", "nickname"}
        and levels.get("dob") == "exact"
        and levels.get("address") in _ADDRESS_IN_HISTORY
    ):
        return None
    return _decisive(
        "surname_differs_review",
        "First name, date of birth and address agree but the surname differs; "
        "a reviewer must confirm the identity before anything is disclosed.",
        field="surname",
    )


@match_rule(
    "name_disagrees",
    outcome=Outcome.NO_MATCH,
    hazard="Address, date of birth or TIN outweighing a name that is not the person's "
    "(a spouse's initial, a roommate).",
)
def names_disagree(context: MatchContext) -> Verdict | None:
    """The first name does not agree (exactly, as a nickname, shared form, swapped or in
    spelling) or the surname does not agree at least in part: ``name_disagrees`` (no
    match). Nothing outside the name makes up for it, with one exception that is no
    disagreement: one name two typos from the taxpayer's (``close``: 5+ letters, the first
    letter right, a first name that is nobody's name; the noisy mix of issue 11 writes
    WARRNE, TRERNPER; a first name of 4 letters two typos off, LAYR for LARRY; one typo in a
    first name of 3 letters, RPY for ROY, or in a surname of 2-3 letters, LIJ for LIU) while
    the other agrees without a typo and the date of birth agrees exactly (or, with the date
    of birth exact, a surname ``close`` and a first name one typo off that is nobody's name:
    WONDA SRNITH for WANDA SMITH, or a first name ``close`` and a surname one typo off:
    PHOLLYP WRIGWT for PHILLIP WRIGHT); likewise the two names written the other way round with
    one of them ``close`` (``swapped_close``: CHAUDHRY, BEMADETTE) and the date of birth
    agreeing exactly."""
    if _names_agree(context.best, context.facts):
        return None
    return _decisive("name_disagrees", "The names do not agree well enough.")


@match_rule(
    "first_name_misspelt",
    outcome=None,
    hazard="CHRISNOPHER (nobody's name) refused though it can only mean CHRISTOPHER; "
    "MARIAUNA read as MARIANA's misspelling when it is one edit from MARIANNA too.",
)
def first_name_misspelt(context: MatchContext) -> Verdict | None:
    """A note, not a decision: the request's first name agrees only in spelling, is on no
    given-name list and held by no taxpayer, no other known first name (the lists, the
    master's first names; the taxpayer's own name and its forms aside) is one edit from
    it, and nothing else confirms it; it is read as a misspelling (``first_name_misspelt``)
    and ``first_name_unconfirmed`` does not apply. With a rival one edit away (MARIAUNA:
    MARIANA's flat, and MARIANNA is a name) the request goes to ``first_name_unconfirmed``."""
    if not _read_as_misspelling(context):
        return None
    return _decisive(
        "first_name_misspelt",
        "The request's first name is no known given name and no taxpayer's; it is "
        "read as a misspelling of the taxpayer's.",
        field="first_name",
    )


@match_rule(
    "first_name_unconfirmed",
    outcome=Outcome.NEEDS_REVIEW,
    hazard="CHRISTI at CHRISTINE's home, MARIA at MARCIA's, ROB at BOBBY's, MAE at MARY's: "
    "another person whose real name is one spelling or form away.",
)
def first_name_unconfirmed(context: MatchContext) -> Verdict | None:
    """The first name agrees only in spelling, as another form of one name or as a nickname
    of the taxpayer's, is itself a real name, and no date of birth, full middle name or TIN
    confirms it: ``first_name_unconfirmed`` (needs review). Found on the 1M census worlds;
    the nickname case on the stress mix (issue 11): MAE TAYLOR, not in the file, asked about
    without a date of birth at MARY A TAYLOR's home, where MAE read as MARY's nickname
    disclosed MARY. A nickname is also somebody's legal name, and a daughter or a lodger of
    that name need not file. Not when the nickname is nobody's legal name: on neither the
    census first-name table (8,000 names) nor the formal names, and held by no taxpayer in
    the file as a first name, and a nickname of one formal name only (PACO for FRANCISCO,
    CHUY for JESUS; not BETO, which is ALBERTO's, ROBERTO's and HUMBERTO's). The hazard
    needs a person whose legal name the nickname is, or another formal name it stands
    for; for such a name the file and the tables show neither, so the request is as good
    as one for FRANCISCO himself, and a namesake is still for the household and namesake
    rules above. MAE, BILL or MATT are on the census table, so they stay here: no frequency
    tells MAE from BILL (25,000 and 78,000 holders), and either may be a daughter's or a
    son's legal name. A date of birth, suffix or TIN given that contradicts the
    taxpayer's (or a TIN one digit off) is left to its own rule below, which never
    discloses either and says why."""
    best = context.best
    if best.levels.get("first_name") in _KNOWN_FIRST or _confirms_identity(best):
        return None
    if best.levels.get("first_name") == "nickname" and context.facts.first_name_no_legal_name:
        return None
    if _contradicted(best) or best.levels.get("tin") == "one_digit_off":
        return None
    if _read_as_misspelling(context):
        return None
    return _decisive(
        "first_name_unconfirmed",
        "The first name agrees only in spelling or as another form of the name, and no "
        "date of birth, full middle name or TIN confirms it; a reviewer must confirm "
        "the identity before anything is disclosed.",
        field="first_name",
    )


@match_rule(
    "suffix_conflict",
    outcome=Outcome.NO_MATCH,
    hazard="JR asked, SR found: name and address weights outrunning the suffix.",
)
def suffix_conflict(context: MatchContext) -> Verdict | None:
    """The generational suffix given contradicts the best candidate's (JR/SR):
    ``suffix_conflict`` (no match). A contradiction is never outweighed."""
    if context.best.levels.get("suffix") != "different":
        return None
    return _decisive(
        "suffix_conflict",
        "Generational suffixes conflict (JR/SR): the request is about someone else.",
        field="suffix",
    )


@match_rule(
    "tin_conflict",
    outcome=Outcome.NO_MATCH,
    hazard="CHRIS ROCHE (not in the file) asked about with a TIN at the flat where CHRISTIAN "
    "ROCHE files: the address and nickname outweighed a TIN that is not his.",
)
def tin_conflict(context: MatchContext) -> Verdict | None:
    """A TIN given in the request is not the best candidate's and not one digit or one
    transposition from it: ``tin_conflict`` (no match). A contradiction is never outweighed,
    like a contradicting date of birth or suffix. A TIN still never rules a rival out nor
    breaks a tie: this rule looks only at the best candidate's own TIN."""
    if context.best.levels.get("tin") != "different":
        return None
    return _decisive(
        "tin_conflict",
        "The TIN given is not the taxpayer's: the request is about someone else.",
        field="tin",
    )


@match_rule(
    "address_not_in_history",
    outcome=Outcome.NO_MATCH,
    hazard="Disclosing to a request whose address is not the taxpayer's own (only ZIP or "
    "city agree), which 6103(i)(2) requires.",
)
def address_not_in_history(context: MatchContext) -> Verdict | None:
    """The requested address is not in the best candidate's own filing history and the
    policy requires it: ``address_not_in_history`` (no match). In the history means the
    same house number, the same ZIP (or city and state), and the street name as filed or
    written differently: a typo (XRESCENT, SETREET), words joined or split (MANORHOUSE),
    the street type joined on, extra building or locality words after the street, the
    number moved. Not in it: another house number, another ZIP and city, or another unit
    of the building (a unit on one side only is no contradiction)."""
    if not context.policy.require_address_in_history:
        return None
    if context.best.levels.get("address") in _ADDRESS_IN_HISTORY:
        return None
    return _decisive(
        "address_not_in_history",
        "The requested address is not in the taxpayer's filing history (same number, "
        "street and ZIP, or street, city and state when no ZIP is given); the statute "
        "requires the taxpayer's own address.",
        field="address",
    )


@match_rule(
    "dob_conflict",
    outcome=Outcome.NEEDS_REVIEW,
    hazard="CHRIS born 1976 disclosed as KRISTEN born 1978 at her home (a 1M world): name "
    "and address weights outran the date of birth.",
)
def dob_conflict(context: MatchContext) -> Verdict | None:
    """The date of birth given contradicts the best candidate's (differs, or only the year
    agrees) while the probability is at least ``review_threshold``: ``dob_conflict``
    (needs review). Below that the probability rules refuse it."""
    best = context.best
    if best.levels.get("dob") not in _DOB_CONTRADICTS:
        return None
    if best.match_probability < context.policy.review_threshold:
        return None
    return _decisive(
        "dob_conflict",
        "The date of birth given contradicts the taxpayer's; a reviewer must confirm "
        "the identity before anything is disclosed.",
        field="dob",
    )


@match_rule(
    "tin_one_digit_off_review",
    outcome=Outcome.NEEDS_REVIEW,
    hazard="A TIN one digit or one transposition from the taxpayer's: a typo, or a relative's "
    "number (SSNs of one family are often close); never disclosed without a person looking.",
)
def tin_one_digit_off(context: MatchContext) -> Verdict | None:
    """The TIN given is one digit or one transposition from the best candidate's while the
    probability is at least ``review_threshold``: ``tin_one_digit_off_review`` (needs
    review). Below that the probability rules refuse it."""
    best = context.best
    if best.levels.get("tin") != "one_digit_off":
        return None
    if best.match_probability < context.policy.review_threshold:
        return None
    return _decisive(
        "tin_one_digit_off_review",
        "The TIN given is one digit or one transposition from the taxpayer's; a reviewer "
        "must confirm the identity before anything is disclosed.",
        field="tin",
    )


@match_rule(
    outcome=Outcome.DISCLOSED,
    hazard="None: the request passed every rule above and is certain enough to disclose.",
)
def disclose_above_threshold(context: MatchContext) -> Verdict | None:
    """Every rule above passed and the match probability is at least
    ``disclose_threshold``: disclosed, with the evidence footnotes as its reasons."""
    if context.best.match_probability < context.policy.disclose_threshold:
        return None
    return Verdict()


@match_rule(
    "probability_grey_zone",
    outcome=Outcome.NEEDS_REVIEW,
    hazard="A probable but uncertain match disclosed, or refused without a person looking.",
)
def probability_grey_zone(context: MatchContext) -> Verdict | None:
    """The probability is below ``disclose_threshold`` but at least ``review_threshold``:
    ``probability_grey_zone`` (needs review)."""
    probability = context.best.match_probability
    if probability < context.policy.review_threshold:
        return None
    return _decisive(
        "probability_grey_zone",
        f"Match probability {probability:.4f} is below the disclosure "
        f"threshold {context.policy.disclose_threshold}; a reviewer must decide.",
    )


@match_rule(
    "probability_low",
    outcome=Outcome.NO_MATCH,
    hazard="A weak resemblance taken for the person.",
)
def probability_low(context: MatchContext) -> Verdict | None:
    """The last rule, which always decides: the probability is below
    ``review_threshold``, ``probability_low`` (no match)."""
    probability = context.best.match_probability
    return _decisive("probability_low", f"Best match probability {probability:.4f} is too low.")


MATCH_RULES: tuple[MatchRule, ...] = (
    no_candidate,
    tin_name_conflict,
    household_namesake,
    swapped_household_namesake,
    linked_namesake,
    surname_family_unconfirmed,
    runner_up_close,
    surname_differs_review,
    names_disagree,
    first_name_misspelt,
    first_name_unconfirmed,
    suffix_conflict,
    tin_conflict,
    address_not_in_history,
    dob_conflict,
    tin_one_digit_off,
    disclose_above_threshold,
    probability_grey_zone,
    probability_low,
)


def rule_named(name: str) -> MatchRule:
    """The rule in ``MATCH_RULES`` of that name (``KeyError`` naming it if there is none)."""
    for rule in MATCH_RULES:
        if rule.name == name:
            return rule
    raise KeyError(f"no match rule named {name!r}")


def rules_markdown() -> str:
    """The table of ``MATCH_RULES`` that ``docs/MATCH_RULES.md`` carries."""
    lines = [
        "| # | rule | outcome | reason codes | hazard |",
        "|---|------|---------|--------------|--------|",
    ]
    for number, rule in enumerate(MATCH_RULES, start=1):
        outcome = rule.outcome.value if rule.outcome else "(note)"
        codes = ", ".join(f"`{code}`" for code in rule.codes) or "-"
        lines.append(f"| {number} | `{rule.name}` | {outcome} | {codes} | {rule.hazard} |")
    return "\n".join(lines) + "\n"
