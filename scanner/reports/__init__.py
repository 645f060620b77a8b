"""Reporters: each turns a ScanResult (and nothing else) into one output file."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, ExitStack
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
    # Starts rendering elsewhere (another process) and yields the call that waits for the output.
    background: Callable[[ScanResult, ReportSettings], AbstractContextManager[Callable[[], str | bytes]]] | None = None


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
    result: ScanResult,
    formats: list[str],
    output_dir: Path,
    settings: ReportSettings | None = None,
    timings: dict[str, float] | None = None,
) -> str | None:
    """Write each format and return results.json's text (None when it was not asked for). The
    other formats come first, so results.json can record in ``timings`` (a new scan's) how long
    they took (added to ``write``); a reporter with a ``background`` renderer (the PDF) works in
    another process meanwhile. A report that cannot be rendered or written holds back none of the
    others: the failures are raised together at the end."""
    available = reporters()
    settings = dataclasses.replace(settings or ReportSettings(), formats=tuple(formats))
    started = time.perf_counter()
    failures: list[str] = []
    results_json = None

    def write(name: str, render: Callable[[], str | bytes]) -> str | bytes | None:
        path = output_dir / available[name].filename
        try:
            content = render()
            write_atomic(path, content)
        except OSError as exc:
            failures.append(f"{path}: cannot write: {exc.strerror or exc}")
        except ReportError as exc:
            failures.append(f"{path}: {exc}")
        else:
            return content
        return None

    with ExitStack() as running:
        waiting: dict[str, Callable[[], str | bytes]] = {}
        for name in formats:
            start = getattr(available[name], "background", None)
            if name != "json" and start is not None:
                waiting[name] = running.enter_context(start(result, settings))
        for name in formats:
            if name != "json" and name not in waiting:
                write(name, functools.partial(available[name].render, result, settings))
        for name, finished in waiting.items():
            write(name, finished)
    if "json" in formats:
        if timings is not None:
            timings["write"] = round(timings.get("write", 0.0) + time.perf_counter() - started, 3)
        written = write("json", lambda: available["json"].render(result, settings))
        results_json = written if isinstance(written, str) else None
    if failures:
        raise ReportError("; ".join(failures))
    return results_json
