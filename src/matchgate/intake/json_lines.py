"""Reading JSON Lines (one JSON object per line), the format the HTTP API accepts.

The first object's keys fix the columns. A line that is not a JSON object is kept as a row
(with its problem) so that no request disappears.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from matchgate.errors import IntakeError
from matchgate.intake.text_files import MAX_FIELD_CHARS, iter_text_lines

__all__ = ["MalformedLine", "iter_json_objects"]


class MalformedLine:
    """A line that is not a JSON object; becomes an ``invalid`` row."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message


def _parse(line: str) -> dict[str, Any] | MalformedLine:
    try:
        value = json.loads(line)
    except (ValueError, RecursionError) as exc:
        return MalformedLine(f"not valid JSON ({str(exc)[:80]})")
    if not isinstance(value, dict):
        return MalformedLine(f"a JSON {type(value).__name__}, not an object")
    return value


def iter_json_objects(path: Path, encoding: str) -> Iterator[dict[str, Any] | MalformedLine]:
    for line in iter_text_lines(path, encoding, max_chars=MAX_FIELD_CHARS):
        yield _parse(line)


def first_object_keys(path: Path, encoding: str) -> list[str]:
    for item in iter_json_objects(path, encoding):
        if isinstance(item, dict):
            return [str(key) for key in item]
        raise IntakeError(f"the first line is {item.message}", path=path, row=1)
    raise IntakeError("the file is empty", path=path)
