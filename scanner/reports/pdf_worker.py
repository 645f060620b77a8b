"""The PDF renders in a worker process while the other reports are written.

WeasyPrint's layout of the executive report takes a few seconds of one core however large the
estate; a scan on two cores need not wait for it. The worker receives the finished HTML (a
summary, never the findings) and sends back the PDF's bytes or the error that stopped it. Where
no worker can be started (one core, no process spawning allowed) or the worker dies, the PDF
renders in this process instead. A scan that is interrupted ends its worker with it.
"""

from __future__ import annotations

import multiprocessing
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING

from scanner.model import ScanResult
from scanner.workers import usable_cores as _usable_cores  # a name of its own here: tests set it

if TYPE_CHECKING:
    from scanner.reports import ReportSettings


@contextmanager
def pdf_in_background(result: ScanResult, settings: ReportSettings) -> Iterator[Callable[[], bytes]]:
    """Starts rendering the PDF; yields the call that waits for its bytes (and raises what
    rendering raised, ReportError included)."""
    from scanner.reports import pdf_report

    html = pdf_report.executive_html(result, settings)
    started = _start() if _usable_cores() >= 2 else None
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


def _start() -> tuple[BaseProcess, Connection, Connection] | None:
    """The worker, the end of the pipe its answer comes on, and the end of the pipe its HTML is to be
    sent on; None when no process can be started here. The HTML goes on a pipe of its own once the
    worker runs, not with its arguments: a signal cutting those short would make the new process
    die printing a traceback, and a large page would keep the scan waiting in ``start`` until the
    new interpreter reads it."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    html_receiver, html_sender = context.Pipe(duplex=False)
    worker = context.Process(target=_render, args=(html_receiver, sender), name="nhiscan-pdf", daemon=True)
    with _signals_wait() as arrived:
        try:
            worker.start()
        except OSError:
            receiver.close()
            html_sender.close()
            return None
        finally:  # the worker holds its own ends; these must not keep the pipes open
            sender.close()
            html_receiver.close()
        if arrived:
            worker.terminate()
            worker.join()
            receiver.close()
            html_sender.close()
    return worker, receiver, html_sender


@contextmanager
def _signals_wait() -> Iterator[list[int]]:
    """While a worker starts: SIGTERM is noted (in the list yielded) and sent again after the block,
    to the handler in place before; SIGINT is ignored, which the new process inherits, so a Ctrl-C
    reaching the whole process group cannot interrupt its start-up (it ignores it from then on: the
    scan decides). A Ctrl-C in the few milliseconds of the block is lost; pressed again, it is not."""
    arrived: list[int] = []
    if threading.current_thread() is not threading.main_thread():  # handlers can only be set there
        yield arrived
        return
    previous_int = signal.signal(signal.SIGINT, signal.SIG_IGN)
    previous_term = signal.signal(signal.SIGTERM, lambda signum, frame: arrived.append(signum))
    try:
        yield arrived
    finally:
        signal.signal(signal.SIGINT, previous_int)
        signal.signal(signal.SIGTERM, previous_term)
        if arrived:
            signal.raise_signal(signal.SIGTERM)


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
