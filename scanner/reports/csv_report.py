"""findings.csv: one row per finding, for spreadsheets and ticket imports.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an
apostrophe, so a spreadsheet shows it as text instead of running it as a formula (names and tags
come from the scanned systems). The file starts with a UTF-8 byte-order mark, without which Excel
reads it as a legacy code page and shows "…" as mojibake. Control characters (a terminal showing
the file would run an escape sequence) and bidirectional controls are written as visible code
points (``⟦U+001B⟧``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from scanner.model import Finding, ScanResult
from scanner.reports import Reporter, ReportSettings
from scanner.reports.reveal import reveal

COLUMNS = ("fingerprint", "control_id", "title", "severity", "status", "new", "provider", "account",
           "resource_type", "resource_kind", "resource_name", "resource_uid", "file", "line", "message",
           "waiver_owner", "waiver_expires", "remediation")  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
ROWS_PER_PIECE = 5000  # written as they are made: a large estate's file is never whole in memory


def neutralise(value: Any) -> str:
    text = "" if value is None else value if type(value) is str else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def _row(finding: Finding, titles: dict[str, tuple[str, str]]) -> list[str]:
    ref = finding.resource
    location = ref.location or {}
    title, remediation = titles.get(finding.control_id, ("", ""))
    waiver = finding.waiver
    values = (finding.fingerprint, finding.control_id, title, finding.severity, finding.status,
              "" if finding.new is None else str(finding.new).lower(), ref.provider, ref.account, ref.type, ref.kind,
              ref.name, ref.uid, location.get("file"), location.get("line"), finding.message,
              waiver.owner if waiver else None, waiver.expires if waiver else None, remediation)  # fmt: skip
    return [neutralise(value) for value in values]


def pieces(result: ScanResult, settings: ReportSettings) -> Iterator[str]:
    """The file's text, a few thousand rows at a time."""
    titles = {c.id: (c.title, c.remediation) for c in result.controls}
    findings = result.findings
    yield "\ufeff" + _rows_text([COLUMNS])  # the byte-order mark tells spreadsheet tools the file is UTF-8
    for start in range(0, len(findings), ROWS_PER_PIECE):
        yield _rows_text(_row(f, titles) for f in findings[start : start + ROWS_PER_PIECE])


def _rows_text(rows: Iterable[Sequence[str]]) -> str:
    stream = io.StringIO()
    csv.writer(stream, lineterminator="\r\n").writerows(rows)
    return reveal(stream.getvalue())  # once per piece: per cell, it cost seconds on a large estate


def render(result: ScanResult, settings: ReportSettings) -> str:
    return "".join(pieces(result, settings))


REPORTER = Reporter(format="csv", filename="findings.csv", render=render, pieces=pieces)
