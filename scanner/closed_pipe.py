"""Standard output whose reader has gone (``nhiscan scan … | head -1``): what is written to it is
dropped, and the command goes on to the end and exits with its own code.

Left to Python and click, the first write after the reader closed the pipe raises BrokenPipeError
mid-command, and click ends the process with exit 1, which CI reads as "found problems": the scan's
gate, its history entry and a diff's ``-o`` file would all depend on how much a pager read.

A standard stream closed before the command started (``nhiscan scan … >&-``) is /dev/null instead:
Python leaves ``sys.stdout`` None, and the next file opened would take the stream's descriptor, so
that what a worker process or a library writes to standard output would land in a report.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO


class OutputOnceReadDropped:
    """Wraps a text stream; once a write or flush meets a closed pipe, everything is dropped."""

    def __init__(self, stream: TextIO) -> None:
        self.wrapped = stream
        self.reader_gone = False

    def write(self, text: str) -> int:
        if not self.reader_gone:
            try:
                return self.wrapped.write(text)
            except BrokenPipeError:
                self._drop_from_now_on()
        return len(text)

    def flush(self) -> None:
        if not self.reader_gone:
            try:
                self.wrapped.flush()
            except BrokenPipeError:
                self._drop_from_now_on()

    def _drop_from_now_on(self) -> None:
        self.reader_gone = True
        # what the stream still buffers would fail again when the interpreter flushes it at exit
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            try:
                os.dup2(devnull, self.wrapped.fileno())
            finally:
                os.close(devnull)
        except (OSError, ValueError, AttributeError):  # no descriptor of its own (a test's capture)
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)


_STANDARD_STREAMS = ((0, os.O_RDONLY, "stdin", "r"), (1, os.O_WRONLY, "stdout", "w"), (2, os.O_WRONLY, "stderr", "w"))


def closed_standard_streams_to_devnull() -> None:
    """Each standard descriptor closed when the command started opened on /dev/null, and the
    stream Python left None for it made on it."""
    for descriptor, flags, name, mode in _STANDARD_STREAMS:
        try:
            os.fstat(descriptor)
        except OSError:
            opened = os.open(os.devnull, flags)  # the lowest free descriptor: this one, or a lower one's
            if opened != descriptor:
                os.dup2(opened, descriptor)
                os.close(opened)
        if getattr(sys, name) is None:
            setattr(sys, name, open(descriptor, mode, encoding="utf-8", errors="replace", closefd=False))  # noqa: SIM115


def drop_output_once_read() -> OutputOnceReadDropped | None:
    """Put the wrapper in place of ``sys.stdout`` (returned, to be taken out again); None when it is there already."""
    if isinstance(sys.stdout, OutputOnceReadDropped):
        return None
    wrapper = OutputOnceReadDropped(sys.stdout)
    sys.stdout = wrapper
    return wrapper
