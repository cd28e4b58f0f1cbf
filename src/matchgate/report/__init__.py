"""The yearly oversight report (26 U.S.C. 6103(p)(3)(C)) as a folder people can read.

``write_report`` reads a verified ledger (a workspace's, or an export with its public key)
and writes ``index.html`` (self-contained: charts as base64 PNG, inline CSS, no script),
one CSV per table, one PNG per chart and ``report.json``; ``verify_report`` recomputes a
written report from the ledger and names the first cell that differs.
"""

from matchgate.report._pdf import print_pdf
from matchgate.report._report import (
    ReportCheck,
    WrittenReport,
    compute_report,
    verify_report,
    write_report,
)
from matchgate.report._source import Entry, LedgerSource
from matchgate.report._tables import ReportTables, Table, build_tables

__all__ = [
    "Entry",
    "LedgerSource",
    "ReportCheck",
    "ReportTables",
    "Table",
    "WrittenReport",
    "build_tables",
    "compute_report",
    "print_pdf",
    "verify_report",
    "write_report",
]
