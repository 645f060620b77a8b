"""Reporters: each turns a ScanResult (and nothing else) into one output file."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import ReportError, UsageError
from scanner.fsutil import write_atomic
from scanner.model import ScanResult

PAPER_SIZES = ("a4", "letter")


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """Layout choices, not data: a reporter still learns everything it shows from the ScanResult."""

    paper: str = "a4"
    formats: tuple[str, ...] = ()  # every format written with this one (a summary names only files that exist)


@dataclass(frozen=True, slots=True)
class Reporter:
    format: str
    filename: str
    render: Callable[[ScanResult, ReportSettings], str | bytes]


def reporters() -> dict[str, Reporter]:
    from scanner.reports import csv_report, html_report, json_results, junit, markdown, ocsf, pdf_report, sarif

    found = [
        json_results.REPORTER,
        html_report.REPORTER,
        pdf_report.REPORTER,
        sarif.REPORTER,
        junit.REPORTER,
        markdown.REPORTER,
        csv_report.REPORTER,
        ocsf.REPORTER,
    ]
    return {reporter.format: reporter for reporter in found}


def parse_formats(text: str) -> list[str]:
    formats = [part.strip() for part in text.split(",") if part.strip()]
    available = reporters()
    unknown = [f for f in formats if f not in available]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or '(none)'}; available: {', '.join(sorted(available))}")
    return formats


def write_reports(
    result: ScanResult, formats: list[str], output_dir: Path, settings: ReportSettings | None = None
) -> list[Path]:
    """Write each format; results.json first, so a report that cannot be rendered or written
    loses nothing else. Failures are raised together once every other format is written."""
    available = reporters()
    settings = dataclasses.replace(settings or ReportSettings(), formats=tuple(formats))
    written, failures = [], []
    for name in sorted(formats, key=lambda f: f != "json"):
        reporter = available[name]
        path = output_dir / reporter.filename
        try:
            write_atomic(path, reporter.render(result, settings))
        except OSError as exc:
            failures.append(f"{path}: cannot write: {exc.strerror or exc}")
            continue
        except ReportError as exc:
            failures.append(f"{path}: {exc}")
            continue
        written.append(path)
    if failures:
        raise ReportError("; ".join(failures))
    return written
