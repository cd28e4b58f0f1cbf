"""Just enough PDF reading for the tests (no PDF library is installed): the page count from
the page tree, and the text Chromium's PDF (Skia) draws, decoded through each font's
ToUnicode map. Not a general PDF parser: it reads the uncompressed object layout and the
Flate streams Skia writes."""

from __future__ import annotations

import re
import zlib
from pathlib import Path

_OBJECT = re.compile(rb"(\d+) 0 obj\s*(.*?)endobj", re.S)
_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _objects(data: bytes) -> dict[int, bytes]:
    return {int(m.group(1)): m.group(2) for m in _OBJECT.finditer(data)}


def _stream(body: bytes) -> bytes:
    match = _STREAM.search(body)
    if match is None:
        return b""
    raw = match.group(1)
    if b"/FlateDecode" in body.split(b"stream", 1)[0]:
        try:
            return zlib.decompress(raw)
        except zlib.error:
            return b""
    return raw


def page_count(path: Path) -> int:
    """Leaf /Page objects in the file (the page tree's /Count must agree)."""
    objects = _objects(path.read_bytes())
    leaves = sum(bool(re.search(rb"/Type\s*/Page(?![s\w])", body)) for body in objects.values())
    counts = [
        int(m.group(1))
        for body in objects.values()
        if re.search(rb"/Type\s*/Pages\b", body) and b"/Parent" not in body
        for m in [re.search(rb"/Count\s+(\d+)", body)]
        if m
    ]
    assert counts == [leaves], f"page tree says {counts}, {leaves} page objects found"
    return leaves


def _cmap(text: bytes) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for block in re.findall(rb"beginbfchar(.*?)endbfchar", text, re.S):
        for src, dst in re.findall(rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block):
            mapping[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
    for block in re.findall(rb"beginbfrange(.*?)endbfrange", text, re.S):
        for low, high, dst in re.findall(
            rb"<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>", block
        ):
            start = int(dst, 16)
            for offset, code in enumerate(range(int(low, 16), int(high, 16) + 1)):
                mapping[code] = chr(start + offset)
    return mapping


def text_runs(path: Path) -> list[str]:
    """Every shown string, decoded with each font's map (one list entry per font and
    content stream: the right font's decoding is among them)."""
    objects = _objects(path.read_bytes())
    maps = []
    for body in objects.values():
        match = re.search(rb"/ToUnicode\s+(\d+) 0 R", body)
        if match and int(match.group(1)) in objects:
            maps.append(_cmap(_stream(objects[int(match.group(1))])))
    runs = []
    for body in objects.values():
        content = _stream(body)
        if b"Tj" not in content and b"TJ" not in content:
            continue
        strings = re.findall(rb"<([0-9A-Fa-f]*)>", content)
        for mapping in maps:
            decoded = []
            for hexed in strings:
                codes = bytes.fromhex(hexed.decode())
                decoded.append(
                    "".join(
                        mapping.get(int.from_bytes(codes[i : i + 2], "big"), "\ufffd")
                        for i in range(0, len(codes) - 1, 2)
                    )
                )
            runs.append("".join(decoded))
    return runs


def pdf_text_contains(path: Path, needle: str) -> bool:
    squeezed = needle.replace(" ", "")
    return any(squeezed in run.replace(" ", "") for run in text_runs(path))
