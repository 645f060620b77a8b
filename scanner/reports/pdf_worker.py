"""The PDF renders in a worker process while the other reports are written.

WeasyPrint's layout of the executive report takes a few seconds of one core however large the
estate; a scan on two cores need not wait for it. The worker receives the finished HTML (a
summary, never the findings) and returns the PDF's bytes; where no worker can be started (one
core, no process spawning allowed) the PDF renders in this process as before.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import TYPE_CHECKING

from scanner.model import ScanResult

if TYPE_CHECKING:
    from scanner.reports import ReportSettings


@contextmanager
def pdf_in_background(result: ScanResult, settings: ReportSettings) -> Iterator[Callable[[], bytes]]:
    """Starts rendering the PDF; yields the call that waits for its bytes (and raises what
    rendering raised, ReportError included)."""
    from scanner.reports import pdf_report

    html = pdf_report.executive_html(result, settings)
    if len(os.sched_getaffinity(0)) < 2:
        yield lambda: pdf_report.pdf_from_html(html)
        return
    executor = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    try:
        try:
            future: Future[bytes] | None = executor.submit(pdf_report.pdf_from_html, html)
        except (OSError, BrokenProcessPool):
            future = None

        def pdf() -> bytes:
            if future is not None:
                try:
                    return future.result()
                except BrokenProcessPool:  # the worker died (killed, out of memory): try here once
                    pass
            return pdf_report.pdf_from_html(html)

        yield pdf
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
