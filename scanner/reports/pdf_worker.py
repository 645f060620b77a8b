"""The PDF renders in a worker process while the other reports are written.

WeasyPrint's layout of the executive report takes a few seconds of one core however large the
estate; a scan on two cores need not wait for it. The worker receives the finished HTML (a
summary, never the findings) and sends back the PDF's bytes or the error that stopped it. Where
no worker can be started (one core, no process spawning allowed) or the worker dies, the PDF
renders in this process instead. A scan that is interrupted ends its worker with it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
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
    started = _start(html) if _usable_cores() >= 2 else None
    if started is None:
        yield lambda: pdf_report.pdf_from_html(html)
        return
    worker, receiver = started

    def pdf() -> bytes:
        try:
            failed, payload = receiver.recv()
        except EOFError:  # the worker died (killed, out of memory): render here once
            return pdf_report.pdf_from_html(html)
        if failed:
            raise payload
        return bytes(payload)

    try:
        yield pdf
    finally:
        if worker.is_alive():  # interrupted, or another report failed first: do not wait for it
            worker.terminate()
        worker.join()
        receiver.close()


def _start(html: str) -> tuple[BaseProcess, Connection] | None:
    """The worker rendering ``html`` and the end of the pipe its answer comes on; None when no
    process can be started here."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    worker = context.Process(target=_render, args=(html, sender), name="nhiscan-pdf", daemon=True)
    try:
        worker.start()
    except OSError:
        receiver.close()
        return None
    finally:
        sender.close()  # the worker holds its own end; this one must not keep the pipe open
    return worker, receiver


def _usable_cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may run on
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


def _render(html: str, sender: Connection) -> None:
    from scanner.reports import pdf_report

    # Ctrl-C reaches the whole process group: the scan decides, and ends this worker if need be
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        sender.send((False, pdf_report.pdf_from_html(html)))
    except Exception as error:  # sent back whole: ReportError is a named failure, anything else exit 4
        sender.send((True, error))
    finally:
        sender.close()
