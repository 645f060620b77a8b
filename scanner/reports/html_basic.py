"""report.html: a plain, self-contained HTML summary of a scan (no scripts, no external requests)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from scanner.frameworks import grade
from scanner.model import ScanResult
from scanner.reports import Reporter
from scanner.resources import templates_dir

MAX_FINDING_ROWS = 2000


def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(templates_dir()),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def context(result: ScanResult) -> dict[str, Any]:
    open_findings = [f for f in result.findings if f.status in ("fail", "unknown", "waived")]
    by_severity = Counter(f.severity for f in result.findings if f.status == "fail")
    controls = {c.id: c for c in result.controls}
    return {
        "result": result,
        "grade": grade(result.score),
        "by_severity": [(s, by_severity.get(s, 0)) for s in ("critical", "high", "medium", "low")],
        "status_counts": Counter(f.status for f in result.findings),
        "findings": open_findings[:MAX_FINDING_ROWS],
        "hidden_findings": max(0, len(open_findings) - MAX_FINDING_ROWS),
        "controls": controls,
    }


def render(result: ScanResult) -> str:
    return _environment().get_template("basic.html.j2").render(**context(result))


REPORTER = Reporter(format="html", filename="report.html", render=render)
