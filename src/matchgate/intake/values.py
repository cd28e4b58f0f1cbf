"""Turning one raw cell into the text of a request field, and saying what is wrong with it.

Each check returns the cleaned text and, when the value is unusable, a :class:`Reason` naming
the field. Nothing here raises: a bad cell makes its row ``invalid``, never the file.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from matchgate.decisions import Reason

__all__ = [
    "MAX_CELL_CHARS",
    "US_STATES",
    "cell_text",
    "check_dob",
    "check_state",
    "check_text",
    "check_tin",
    "parse_date",
    "split_full_name",
    "unswap_city_state",
]

MAX_CELL_CHARS = 1_000

# fmt: off
US_STATES: dict[str, str] = {
    "AL": "alabama", "AK": "alaska", "AZ": "arizona", "AR": "arkansas", "CA": "california",
    "CO": "colorado", "CT": "connecticut", "DE": "delaware", "DC": "district of columbia",
    "FL": "florida", "GA": "georgia", "HI": "hawaii", "ID": "idaho", "IL": "illinois",
    "IN": "indiana", "IA": "iowa", "KS": "kansas", "KY": "kentucky", "LA": "louisiana",
    "ME": "maine", "MD": "maryland", "MA": "massachusetts", "MI": "michigan",
    "MN": "minnesota", "MS": "mississippi", "MO": "missouri", "MT": "montana",
    "NE": "nebraska", "NV": "nevada", "NH": "new hampshire", "NJ": "new jersey",
    "NM": "new mexico", "NY": "new york", "NC": "north carolina", "ND": "north dakota",
    "OH": "ohio", "OK": "oklahoma", "OR": "oregon", "PA": "pennsylvania",
    "RI": "rhode island", "SC": "south carolina", "SD": "south dakota", "TN": "tennessee",
    "TX": "texas", "UT": "utah", "VT": "vermont", "VA": "virginia", "WA": "washington",
    "WV": "west virginia", "WI": "wisconsin", "WY": "wyoming", "PR": "puerto rico",
    "GU": "guam", "VI": "virgin islands", "AS": "american samoa",
    "MP": "northern mariana islands", "AA": "armed forces americas",
    "AE": "armed forces europe", "AP": "armed forces pacific",
}
# fmt: on
_STATE_BY_NAME = {name: code for code, name in US_STATES.items()}

# C0/C1 controls other than tab/newline/CR (which are folded to spaces), DEL, and the Unicode
# bidirectional overrides that can make a cell read differently from what it holds.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufffd]")
_WHITESPACE = re.compile(r"\s+")
_TIN_SEPARATORS = re.compile(r"[\s-]")

# fmt: off
_DATE_FORMATS = (
    "%Y-%m-%d", "%Y%m%d", "%m/%d/%Y", "%m-%d-%Y", "%Y/%m/%d", "%m/%d/%y", "%d.%m.%Y",
    "%b %d %Y", "%B %d %Y", "%d %b %Y", "%d %B %Y", "%b %d, %Y", "%B %d, %Y",
)
# fmt: on
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(
    r"^(\d{4}-\d{2}-\d{2})[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?$"
)


def cell_text(value: Any, field: str) -> tuple[str, Reason | None]:
    """The text of a cell from any reader (str, number, date, None, nested JSON...)."""
    if value is None:
        return "", None
    if isinstance(value, str):
        return value, None
    if isinstance(value, bool):
        return ("true" if value else "false"), None
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat(), None
        return value.isoformat(), None
    if isinstance(value, date):
        return value.isoformat(), None
    if isinstance(value, int | Decimal) or (isinstance(value, float) and math.isfinite(value)):
        number = value
        if isinstance(number, float | Decimal) and number == int(number):
            number = int(number)
        text = str(number)
        # Spreadsheets store ZIP codes and TINs as numbers and drop their leading zeros.
        if isinstance(number, int) and number >= 0:
            if field == "zip" and len(text) <= 5:
                text = text.zfill(5)
            elif field == "zip" and 5 < len(text) <= 9:
                text = text.zfill(9)
            elif field == "tin" and len(text) <= 9:
                text = text.zfill(9)
        return text, None
    return "", Reason(
        code="cell_not_text",
        message=f"The {field} cell holds a {type(value).__name__}, not a single value.",
        field=field,
    )


def check_text(text: str, field: str) -> tuple[str, Reason | None]:
    """Strip and fold whitespace; refuse over-long cells and control characters."""
    if not text:
        return "", None
    if (
        # The common case, tested at C speed: printable, no doubled or edge spaces.
        len(text) <= MAX_CELL_CHARS
        and text.isprintable()
        and "\ufffd" not in text
        and "  " not in text
        and text[0] != " "
        and text[-1] != " "
    ):
        return text, None
    if len(text) > MAX_CELL_CHARS:
        return "", Reason(
            code="cell_too_long",
            message=f"The {field} cell has {len(text):,} characters; the limit is "
            f"{MAX_CELL_CHARS:,}.",
            field=field,
        )
    found = _FORBIDDEN.search(text)
    if found is not None:
        char = found.group()
        what = "an undecodable byte" if char == "\ufffd" else f"control character U+{ord(char):04X}"
        return "", Reason(
            code="cell_control_character",
            message=f"The {field} cell contains {what}.",
            field=field,
        )
    return _WHITESPACE.sub(" ", text).strip(), None


def parse_date(text: str) -> date | None:
    """A date in one of the common formats (US month-first when ambiguous), else ``None``."""
    candidate = text.strip()
    if _ISO_DATE.match(candidate):
        try:
            return date(int(candidate[:4]), int(candidate[5:7]), int(candidate[8:10]))
        except ValueError:
            return None
    iso = _ISO_DATETIME.match(candidate)
    if iso:
        candidate = iso.group(1)
    candidate = _WHITESPACE.sub(" ", candidate.replace(",", ", ")).replace(" ,", ",")
    for fmt in _DATE_FORMATS:
        try:
            return datetime.strptime(candidate, fmt).date()
        except ValueError:
            continue
    return None


def check_dob(text: str, *, today: date | None = None) -> tuple[str, Reason | None]:
    if not text:
        return "", None
    parsed = parse_date(text)
    if parsed is None:
        return text, Reason(
            code="dob_invalid",
            message=f"Date of birth {text!r} is not a real date in a known format.",
            field="dob",
        )
    if parsed.year < 1900 or parsed > (today or date.today()):
        return text, Reason(
            code="dob_invalid",
            message=f"Date of birth {parsed.isoformat()} is not a possible date of birth.",
            field="dob",
        )
    return parsed.isoformat(), None


def _valid_tin(digits: str) -> bool:
    area, group, serial = digits[:3], digits[3:5], digits[5:]
    if area == "000" or group == "00" or serial == "0000" or area == "666":
        return False
    if area.startswith("9"):  # ITINs: area 9xx with group 50-65, 70-88, 90-92, 94-99
        number = int(group)
        return 50 <= number <= 65 or 70 <= number <= 88 or 90 <= number <= 92 or number >= 94
    return True


def check_tin(text: str) -> tuple[str, Reason | None]:
    if not text:
        return "", None
    digits = _TIN_SEPARATORS.sub("", text)
    if len(digits) != 9 or not digits.isdigit() or not digits.isascii():
        return text, Reason(
            code="tin_invalid",
            message="TIN must be 9 digits (dashes allowed).",
            field="tin",
        )
    if not _valid_tin(digits):
        return text, Reason(
            code="tin_invalid",
            message="TIN is 9 digits but not one the SSA or IRS issues.",
            field="tin",
        )
    return digits, None


def check_state(text: str) -> tuple[str, Reason | None]:
    if not text:
        return "", None
    upper = text.upper().replace(".", "")
    if upper in US_STATES:
        return upper, None
    code = _STATE_BY_NAME.get(text.casefold())
    if code:
        return code, None
    return text, Reason(
        code="state_invalid",
        message=f"State {text!r} is not a USPS state or territory code.",
        field="state",
    )


def unswap_city_state(city: str, state: str) -> tuple[str, str]:
    """``(city, state)``, put back in their places when a requester swapped them (city
    ``OK``, state ``OKLAHOMA CITY``; issue 11, the noisy mix): only when the state cell is
    no state at all and has 3+ characters (a mistyped code such as ``XX`` stays refused) and
    the city cell is exactly a two-letter USPS code. No town is called ``OK`` or ``CO``;
    many are called WASHINGTON or NEVADA, so a state *name* in the city cell moves nothing."""
    code = city.strip().upper().replace(".", "")
    if len(code) != 2 or code not in US_STATES or len(state.strip()) < 3:
        return city, state
    if check_state(state)[1] is None:
        return city, state
    return state, code


_SUFFIXES = {"jr", "sr", "ii", "iii", "iv", "v", "2nd", "3rd"}
_PARTICLES = set("de del la las los da das do dos di van von du le st san mc y".split())


def split_full_name(text: str) -> tuple[str, str, str, str]:
    """``(first, middle, last, suffix)`` from one name cell.

    ``"Garcia, Maria Elena"`` is surname first; otherwise the first word is the given name,
    surname particles (de, del, de la, van ...) stay with the surname, and a trailing
    generational suffix (Jr, Sr, III ...) is split off.
    """
    cleaned = _WHITESPACE.sub(" ", text).strip()
    if not cleaned:
        return "", "", "", ""
    suffix = ""
    if "," in cleaned:
        last, _, rest = cleaned.partition(",")
        words = rest.replace(",", " ").split()
        if words and words[-1].casefold().rstrip(".") in _SUFFIXES:
            suffix = words.pop()
        last_words = last.split()
        if len(last_words) > 1 and last_words[-1].casefold().rstrip(".") in _SUFFIXES:
            suffix = last_words.pop()
        first = words[0] if words else ""
        return first, " ".join(words[1:]), " ".join(last_words), suffix
    words = cleaned.split()
    if len(words) > 1 and words[-1].casefold().rstrip(".") in _SUFFIXES:
        suffix = words.pop()
    if len(words) == 1:
        return "", "", words[0], suffix
    given, others = words[0], words[1:]
    start = len(others) - 1
    while start > 0 and others[start - 1].casefold() in _PARTICLES:
        start -= 1
    return given, " ".join(others[:start]), " ".join(others[start:]), suffix
