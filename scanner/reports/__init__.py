"""Reporters: each turns a ScanResult (and nothing else) into one output file."""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import ReportError, UsageError
from scanner.fsutil import write_atomic_pieces
from scanner.model import ScanResult
from scanner.reports import tally

if TYPE_CHECKING:
    from scanner.reports.executive import ExecutiveView

PAPER_SIZES = ("a4", "letter")


@dataclass(frozen=True, slots=True)
class ReportSettings:
    """Layout choices, not data: a reporter learns everything it shows from the ScanResult, or, for
    the executive report, from the view computed of it once (``executive``: kept with a stored
    scan, so its PDF is rendered again without reading its findings)."""

    paper: str = "a4"
    formats: tuple[str, ...] = ()  # every format written with this one (a summary names only files that exist)
    executive: ExecutiveView | None = None


@dataclass(frozen=True, slots=True)
class Reporter:
    format: str
    filename: str
    render: Callable[[ScanResult, ReportSettings], str | bytes]
    # The output in pieces, written as they are made (a large results.json is never whole in memory).
    pieces: Callable[[ScanResult, ReportSettings], Iterable[str]] | None = None
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
    results_sink: Callable[[bytes], None] | None = None,
) -> None:
    """Write each format. The other formats come first, so results.json can record in ``timings``
    (a new scan's) how long they took (added to ``write``); a reporter with a ``background``
    renderer (the PDF) works in another process meanwhile. results.json is written piece by piece,
    and ``results_sink`` sees each piece's bytes (the history packs them as they pass). A report
    that cannot be rendered or written holds back none of the others: the failures are raised
    together at the end."""
    available = reporters()
    settings = dataclasses.replace(settings or ReportSettings(), formats=tuple(formats))
    started = time.perf_counter()
    failures: list[str] = []

    def write(
        name: str, pieces: Callable[[], Iterable[str | bytes]], also: Callable[[bytes], None] | None = None
    ) -> None:
        path = output_dir / available[name].filename
        try:
            write_atomic_pieces(path, pieces(), also)
        except OSError as exc:
            failures.append(f"{path}: cannot write: {exc.strerror or exc}")
        except ReportError as exc:
            failures.append(f"{path}: {exc}")

    def whole(render: Callable[[], str | bytes]) -> Callable[[], Iterable[str | bytes]]:
        return lambda: [render()]

    with ExitStack() as running:
        running.callback(tally.forget)  # the counts the reports shared hold the whole result
        waiting: dict[str, Callable[[], str | bytes]] = {}
        for name in formats:
            start = getattr(available[name], "background", None)
            if name != "json" and start is not None and len(formats) > 1:  # alone, it overlaps nothing
                waiting[name] = running.enter_context(start(result, settings))
        for name in formats:
            if name != "json" and name not in waiting:
                reporter = available[name]
                in_pieces = getattr(reporter, "pieces", None)  # a large file is written as it is made
                if in_pieces is not None:
                    write(name, functools.partial(in_pieces, result, settings))
                else:
                    write(name, whole(functools.partial(reporter.render, result, settings)))
        for name, finished in waiting.items():
            write(name, whole(finished))
    if "json" in formats:
        if timings is not None:
            timings["write"] = round(timings.get("write", 0.0) + time.perf_counter() - started, 3)
        reporter = available["json"]
        pieces = getattr(reporter, "pieces", None) or (lambda r, s: [reporter.render(r, s)])
        write("json", functools.partial(pieces, result, settings), results_sink)
    if failures:
        raise ReportError("; ".join(failures))
