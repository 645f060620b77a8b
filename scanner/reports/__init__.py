"""Reporters: each turns a ScanResult (and nothing else) into one output file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import ReportError, UsageError
from scanner.fsutil import write_atomic
from scanner.model import ScanResult


@dataclass(frozen=True, slots=True)
class Reporter:
    format: str
    filename: str
    render: Callable[[ScanResult], str | bytes]


def reporters() -> dict[str, Reporter]:
    from scanner.reports import html_basic, json_results

    found = [json_results.REPORTER, html_basic.REPORTER]
    return {reporter.format: reporter for reporter in found}


def parse_formats(text: str) -> list[str]:
    formats = [part.strip() for part in text.split(",") if part.strip()]
    available = reporters()
    unknown = [f for f in formats if f not in available]
    if unknown or not formats:
        raise UsageError(f"unknown format {', '.join(unknown) or '(none)'}; available: {', '.join(sorted(available))}")
    return formats


def write_reports(result: ScanResult, formats: list[str], output_dir: Path) -> list[Path]:
    available = reporters()
    written = []
    for name in formats:
        reporter = available[name]
        path = output_dir / reporter.filename
        try:
            write_atomic(path, reporter.render(result))
        except OSError as exc:
            raise ReportError(f"{path}: cannot write: {exc.strerror or exc}") from None
        written.append(path)
    return written
