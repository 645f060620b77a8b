"""The PDF renders in a worker process while the other reports are written.

WeasyPrint's layout of the executive report takes a few seconds of one core however large the
estate; a scan on two cores need not wait for it. The worker receives the finished HTML (a
summary, never the findings) and sends back the PDF's bytes or the error that stopped it. Where
no worker can be started (one core, no process spawning allowed) or the worker dies, the PDF
renders in this process instead. A scan that is interrupted ends its worker with it.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING

from scanner.model import ScanResult
from scanner.workers import start_worker
from scanner.workers import usable_cores as _usable_cores  # a name of its own here: tests set it

if TYPE_CHECKING:
    from scanner.reports import ReportSettings


@contextmanager
def pdf_in_background(result: ScanResult, settings: ReportSettings) -> Iterator[Callable[[], bytes]]:
    """Starts rendering the PDF; yields the call that waits for its bytes (and raises what
    rendering raised, ReportError included)."""
    from scanner.reports import pdf_report

    html = pdf_report.executive_html(result, settings)
    started = start_worker(_render, "nhiscan-pdf") if _usable_cores() >= 2 else None
    if started is None:
        yield lambda: pdf_report.pdf_from_html(html)
        return
    worker, receiver, html_sender = started

    def pdf() -> bytes:
        try:
            failed, payload = receiver.recv()
        except EOFError:  # the worker died (killed, out of memory): render here once
            return pdf_report.pdf_from_html(html)
        if failed:
            raise payload
        return bytes(payload)

    try:
        try:
            html_sender.send_bytes(html.encode("utf-8"))  # a signal meanwhile: the worker is ended below
        except OSError:  # the worker is gone already
            pass
        finally:
            html_sender.close()
        yield pdf
    finally:
        if worker.is_alive():  # interrupted, or another report failed first: do not wait for it
            worker.terminate()
        worker.join()
        receiver.close()


def _render(html_receiver: Connection, sender: Connection) -> None:
    from scanner.reports import pdf_report

    # Ctrl-C reaches the whole process group: the scan decides, and ends this worker if need be
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        html = html_receiver.recv_bytes().decode("utf-8")
    except (EOFError, OSError):  # the scan stopped before it sent the page: nothing to do
        sender.close()
        return
    finally:
        html_receiver.close()
    try:
        sender.send((False, pdf_report.pdf_from_html(html)))
    except Exception as error:  # sent back whole: ReportError is a named failure, anything else exit 4
        sender.send((True, error))
    finally:
        sender.close()
