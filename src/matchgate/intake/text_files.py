"""Reading delimited text: encoding detection, delimiter sniffing, CSV and TIN-bulk rows.

Encodings: a BOM decides (UTF-8, UTF-16, UTF-32); otherwise NUL-byte patterns reveal BOM-less
UTF-16; otherwise the first megabyte must decode as UTF-8, else cp1252, else latin-1. Bytes
that still do not decode become U+FFFD, which row validation refuses with the field named, so
a mis-encoded row is never matched on a garbled name.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from matchgate.errors import IntakeError

__all__ = [
    "MAX_FIELD_CHARS",
    "TIN_BULK_HEADER",
    "TIN_BULK_MAX_ROWS",
    "TextLayout",
    "count_nonblank_lines",
    "detect_layout",
    "iter_csv_rows",
    "iter_text_lines",
]

SAMPLE_BYTES = 1 << 20
# A cell this long is refused row by row (values.MAX_CELL_CHARS); beyond this the csv module
# would have to hold it in memory, so the file is refused instead.
MAX_FIELD_CHARS = 1 << 20
MAX_LINE_CHARS = 4 * MAX_FIELD_CHARS
TIN_BULK_HEADER = ("type", "tin", "name", "account")
TIN_BULK_MAX_ROWS = 100_000
_DELIMITERS = (",", ";", "\t", "|")
# Publication 2108-A: ``type;TIN;name;account``; the account may be left off.
_TIN_BULK_LINE = re.compile(r"^\s*[0-3]\s*;\s*[0-9][0-9 -]{7,11}[0-9]\s*;[^;]*(;[^;]*)?$")

csv.field_size_limit(MAX_FIELD_CHARS)


@dataclass(frozen=True, slots=True)
class TextLayout:
    encoding: str
    delimiter: str
    tin_bulk: bool


def _detect_encoding(sample: bytes) -> tuple[str, bool]:
    """``(encoding, certain)``: certain when a BOM, a UTF-16 pattern or valid UTF-8 says so."""
    if sample.startswith(codecs.BOM_UTF32_LE) or sample.startswith(codecs.BOM_UTF32_BE):
        return "utf-32", True
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", True
    if sample.startswith(codecs.BOM_UTF16_LE) or sample.startswith(codecs.BOM_UTF16_BE):
        return "utf-16", True
    even, odd = sample[0::2], sample[1::2]
    if len(sample) >= 4:
        if odd.count(0) > 0.4 * len(odd) and even.count(0) < 0.1 * len(even):
            return "utf-16-le", True
        if even.count(0) > 0.4 * len(even) and odd.count(0) < 0.1 * len(odd):
            return "utf-16-be", True
    try:
        # A sample may end inside a multi-byte character: decode incrementally, not final.
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=False)
    except UnicodeDecodeError:
        pass
    else:
        # Valid UTF-8 is text even if a cell holds a NUL or a control character: that row is
        # refused on its own, the rest of the file is still answered.
        return "utf-8", True
    try:
        sample.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1", False
    return "cp1252", False


def _split_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for char in line:
        if char == '"':
            quoted = not quoted
        elif char == delimiter and not quoted:
            count += 1
    return count


def detect_layout(path: Path) -> TextLayout:
    """Encoding and delimiter of a delimited text file, and whether it is TIN-bulk format."""
    try:
        with path.open("rb") as stream:
            sample = stream.read(SAMPLE_BYTES)
    except OSError as exc:
        raise IntakeError(f"cannot read the file: {exc.strerror or exc}", path=path) from exc
    if not sample.strip():
        raise IntakeError("the file is empty", path=path)
    encoding, certain = _detect_encoding(sample)
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    if not certain:
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
        if controls > max(2, len(text) // 200):
            raise IntakeError("holds binary data, not text; not a request file", path=path)
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise IntakeError("the file is empty", path=path)
    first = lines[0]
    if _TIN_BULK_LINE.match(first):
        return TextLayout(encoding=encoding, delimiter=";", tin_bulk=True)
    counts = {d: _split_outside_quotes(first, d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: (counts[d], -_DELIMITERS.index(d)))
    if counts[best] == 0:
        best = "\t" if path.suffix.casefold() == ".tsv" else ","
    return TextLayout(encoding=encoding, delimiter=best, tin_bulk=False)


def _bounded_lines(stream: TextIO, path: Path) -> Iterator[str]:
    """Physical lines, refusing one longer than ``MAX_LINE_CHARS`` before it fills memory."""
    number = 0
    while True:
        line = stream.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS:
            raise IntakeError(
                f"line {number} is longer than {MAX_LINE_CHARS:,} characters; not a request file",
                path=path,
            )
        yield line


def iter_csv_rows(path: Path, layout: TextLayout) -> Iterator[list[str]]:
    """Every row of the file (header first), quoted newlines kept; empty lines skipped."""
    with path.open("r", encoding=layout.encoding, errors="replace", newline="") as stream:
        reader = csv.reader(_bounded_lines(stream, path), delimiter=layout.delimiter, strict=False)
        try:
            for row in reader:
                if row:
                    yield row
        except csv.Error as exc:
            raise IntakeError(
                f"line {reader.line_num}: not readable as delimited text ({exc})", path=path
            ) from exc


def iter_text_lines(path: Path, encoding: str, *, max_chars: int) -> Iterator[str]:
    """Non-blank lines, refusing any longer than ``max_chars`` before holding it in memory."""
    with path.open("r", encoding=encoding, errors="replace", newline=None) as stream:
        number = 0
        while True:
            line = stream.readline(max_chars + 1)
            if not line:
                return
            number += 1
            if len(line) > max_chars and not line.endswith("\n"):
                raise IntakeError(
                    f"line {number} is longer than {max_chars:,} characters", path=path
                )
            if line.strip():
                yield line.rstrip("\r\n")


def count_nonblank_lines(path: Path, encoding: str, *, stop_after: int) -> int:
    """Non-blank lines, counting no further than ``stop_after`` (cheap guard for size limits)."""
    count = 0
    for _line in iter_text_lines(path, encoding, max_chars=MAX_FIELD_CHARS):
        count += 1
        if count > stop_after:
            break
    return count
