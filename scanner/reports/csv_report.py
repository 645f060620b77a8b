"""findings.csv: one row per finding, for spreadsheets and ticket imports.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an
apostrophe, so a spreadsheet shows it as text instead of running it as a formula (names and tags
come from the scanned systems). The file starts with a UTF-8 byte-order mark, without which Excel
reads it as a legacy code page and shows "…" as mojibake.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from scanner.model import Finding, ScanResult
from scanner.reports import Reporter, ReportSettings

COLUMNS = ("fingerprint", "control_id", "title", "severity", "status", "new", "provider", "account",
           "resource_type", "resource_kind", "resource_name", "resource_uid", "file", "line", "message",
           "waiver_owner", "waiver_expires", "remediation")  # fmt: skip
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    text = "" if value is None else str(value)
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


def render(result: ScanResult, settings: ReportSettings) -> str:
    titles = {c.id: (c.title, c.remediation) for c in result.controls}
    stream = io.StringIO()
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(_row(f, titles) for f in result.findings)
    return "\ufeff" + stream.getvalue()  # the byte-order mark tells spreadsheet tools the file is UTF-8


REPORTER = Reporter(format="csv", filename="findings.csv", render=render)
