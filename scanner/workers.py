"""Worker processes: work that takes a core of its own while the scan goes on (the PDF's layout
here; packing results.json for the history in ``scanner.history.packing``). Each is a fresh
interpreter, never forked from a scan holding millions of objects; where none can be started,
or on one core, the work is done in the scan's own process instead."""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any


def usable_cores() -> int:
    affinity = getattr(os, "sched_getaffinity", None)  # Linux: the cores this process may run on
    return len(affinity(0)) if affinity else (os.cpu_count() or 1)


Started = tuple[BaseProcess, Connection, Connection]


def start_worker(target: Callable[[Connection, Connection], Any], name: str) -> Started | None:
    """``target(receiver, sender)`` in a new process: the process, the end of the pipe its answer
    comes on, and the end of the pipe its input is to be sent on; None when no process can be
    started here. The input goes on a pipe of its own once the worker runs, not with its arguments:
    a signal cutting those short would make the new process die printing a traceback, and a large
    input would keep the scan waiting in ``start`` until the new interpreter reads it."""
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    input_receiver, input_sender = context.Pipe(duplex=False)
    worker = context.Process(target=target, args=(input_receiver, sender), name=name, daemon=True)
    with _signals_wait() as arrived:
        try:
            worker.start()
        except OSError:
            receiver.close()
            input_sender.close()
            return None
        finally:  # the worker holds its own ends; these must not keep the pipes open
            sender.close()
            input_receiver.close()
        if arrived:
            worker.terminate()
            worker.join()
            receiver.close()
            input_sender.close()
    return worker, receiver, input_sender


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
