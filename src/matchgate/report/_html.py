"""index.html: one self-contained page (inline CSS, charts as base64 PNG, no script, no link
to anything outside the page)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from html.parser import HTMLParser

from matchgate.report._charts import Chart
from matchgate.report._tables import ReportTables, Table

__all__ = ["Section", "read_html_tables", "render_html", "render_page"]

_STYLE = """
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 2rem auto; max-width: 80rem;
       color: #1a1a1a; line-height: 1.4; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2.2rem; border-bottom: 1px solid #ccc; }
p.source { font-size: 0.85rem; color: #444; margin: 0.3rem 0 0.6rem; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.2rem 1rem;
          font-size: 0.9rem; }
dl.meta dt { font-weight: bold; }
dl.meta dd { margin: 0; }
div.scroll { overflow-x: auto; }
table { border-collapse: collapse; font-size: 0.8rem; margin-bottom: 0.5rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.45rem; vertical-align: top; }
th { background: #f0f0f0; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.entries { color: #555; white-space: nowrap; }
td:first-child { min-width: 11rem; }
figure { margin: 1rem 0 2rem; }
figure img { max-width: 100%; border: 1px solid #ddd; }
figcaption { font-size: 0.85rem; color: #444; }
p.empty { font-style: italic; color: #666; }
nav ul { columns: 2; font-size: 0.9rem; }
@media print {
  body { max-width: none; margin: 0; padding: 0; }
  div.scroll { overflow: visible; }
  table { font-size: 0.68rem; }
  figure, tr { break-inside: avoid; }
  h2 { break-after: avoid; }
}
"""


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _breakable(text: str) -> str:
    """Escaped text that may wrap after an underscore or a semicolon (long codes, joined
    code lists); <wbr> adds no character, so the cell's text stays the CSV's."""
    return escape(text).replace("_", "_<wbr>").replace(";", ";<wbr>")


def _table(table: Table, empty: str) -> str:
    parts = [
        f'<h2 id="t-{escape(table.name)}">{escape(table.title)}</h2>',
        f'<p class="source">File {escape(table.name)}.csv. From: {escape(table.source)}</p>',
    ]
    if not table.rows:
        parts.append(f'<p class="empty">{escape(empty)}</p>')
    parts.append(f'<div class="scroll"><table id="{escape(table.name)}">')
    parts.append(
        "<thead><tr>"
        + "".join(f"<th>{_breakable(c)}</th>" for c in table.columns)
        + "</tr></thead>"
    )
    parts.append("<tbody>")
    for row in table.rows:
        cells = []
        for column, value in zip(table.columns, row, strict=True):
            kind = "entries" if column == "entries" else "n" if _is_number(value) else ""
            attribute = f' class="{kind}"' if kind else ""
            cells.append(f"<td{attribute}>{_breakable(value)}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    return "\n".join(parts)


def _chart(chart: Chart) -> str:
    data = base64.b64encode(chart.png).decode("ascii")
    return (
        f'<figure id="c-{escape(chart.name)}"><img alt="{escape(chart.title)}"'
        f' src="data:image/png;base64,{data}">'
        f"<figcaption>{escape(chart.title)}. {escape(chart.caption)} File"
        f" {escape(chart.name)}.png.</figcaption></figure>"
    )


@dataclass(frozen=True, slots=True)
class Section:
    """A titled block of prose on the page: paragraphs, or a bulleted list."""

    title: str
    paragraphs: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    name: str = ""


def _section(section: Section) -> str:
    anchor = f' id="s-{escape(section.name)}"' if section.name else ""
    parts = [f"<h2{anchor}>{escape(section.title)}</h2>"]
    parts.extend(f"<p>{escape(text)}</p>" for text in section.paragraphs)
    if section.items:
        parts.append("<ul>" + "".join(f"<li>{escape(i)}</li>" for i in section.items) + "</ul>")
    return "\n".join(parts)


def render_page(
    *,
    title: str,
    intro: str,
    meta: dict[str, str],
    charts: Sequence[Chart],
    tables: Sequence[Table],
    sections: Sequence[Section] = (),
    empty: str = "Nothing recorded.",
) -> str:
    """One self-contained page: title, introduction (HTML), a definition list of facts,
    the contents, prose sections, every chart, then every table (``id`` = table name)."""
    meta_rows = "".join(
        f"<dt>{escape(key)}</dt><dd>{escape(value)}</dd>" for key, value in meta.items()
    )
    contents = "".join(
        f'<li><a href="#t-{escape(t.name)}">{escape(t.title)}</a></li>' for t in tables
    )
    body = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        intro,
        f'<dl class="meta">{meta_rows}</dl>',
        f"<nav><ul>{contents}</ul></nav>",
        *(_section(section) for section in sections),
        "<h2>Charts</h2>",
        *(_chart(chart) for chart in charts),
        *(_table(table, empty) for table in tables),
        "</body></html>",
    ]
    return "\n".join(body) + "\n"


def render_html(report: ReportTables, charts: list[Chart], meta: dict[str, str]) -> str:
    return render_page(
        title=f"Disclosures under 26 U.S.C. 6103(i)(2) in {report.year}",
        intro="<p>The yearly report per agency (26 U.S.C. 6103(p)(3)(C)), computed from the"
        " ledger alone. Every table row names the ledger entries it counts (first..last"
        " sequence); <code>matchgate report verify</code> recomputes every figure from the"
        " ledger.</p>",
        meta=meta,
        charts=charts,
        tables=report.tables,
        empty="Nothing recorded in the year.",
    )


class _TableReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, list[list[str]]] = {}
        self._current: list[list[str]] | None = None
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            name = dict(attrs).get("id") or ""
            self._current = self.tables.setdefault(name, [])
        elif tag == "tr" and self._current is not None:
            self._current.append([])
        elif tag in ("td", "th") and self._current is not None:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._current is not None:
            self._current[-1].append("".join(self._cell))
            self._cell = None
        elif tag == "table":
            self._current = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_html_tables(text: str) -> dict[str, list[list[str]]]:
    """Each table of index.html by its id: header row first, then the rows' cells."""
    reader = _TableReader()
    reader.feed(text)
    reader.close()
    return reader.tables
