"""Exit codes that always tell the truth, whatever happens inside a command.

0 gate passed · 1 gate failed (and nothing else) · 2 bad input, usage or credentials, history
faults · 3 a source incomplete, or the scan deadline passed · 4 an internal error (one line; the
traceback with ``--debug``) · 130 SIGINT · 143 SIGTERM. Every error line is redacted and stripped
of control characters before it is printed.
"""

from __future__ import annotations

import functools
import logging
import os
import signal
import sys
import threading
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any, NoReturn

import click

from scanner.closed_pipe import OutputOnceReadDropped, closed_standard_streams_to_devnull, drop_output_once_read
from scanner.console import inert
from scanner.errors import NhiscanError, SourceUnreachableError
from scanner.redact import redact_text

EXIT_OK, EXIT_FINDINGS, EXIT_INPUT, EXIT_PARTIAL, EXIT_INTERNAL = 0, 1, 2, 3, 4
EXIT_SIGINT, EXIT_SIGTERM = 130, 143


class Terminated(BaseException):
    """SIGTERM arrived: unwinds like KeyboardInterrupt, so every ``finally`` removes its files."""


class IncompleteScan(NhiscanError):
    """The scan could not finish what it had to read (exit 3)."""


def error_line(message: str) -> str:
    return f"nhiscan: error: {inert(redact_text(message))}"


class ExitCodeGroup(click.Group):
    """A click group that maps every outcome of its commands to the exit codes above."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:  # one line, as every other error: not click's usage block
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            click.echo(error_line(f"{exc.format_message()} (see '{where} --help')"), err=True)
            raise click.exceptions.Exit(EXIT_INPUT) from None
        except (click.exceptions.Exit, click.exceptions.Abort, click.ClickException):
            raise
        except KeyboardInterrupt:
            click.echo("nhiscan: interrupted; nothing more was written", err=True)
            raise click.exceptions.Exit(EXIT_SIGINT) from None
        except Terminated:
            click.echo("nhiscan: terminated; nothing more was written", err=True)
            raise click.exceptions.Exit(EXIT_SIGTERM) from None
        except (IncompleteScan, SourceUnreachableError) as exc:
            click.echo(error_line(str(exc)), err=True)
            raise click.exceptions.Exit(EXIT_PARTIAL) from None
        except NhiscanError as exc:
            click.echo(error_line(str(exc)), err=True)
            raise click.exceptions.Exit(EXIT_INPUT) from None
        except Exception as exc:  # a bug: one line and exit 4, never exit 1 (which means "gate failed")
            if ctx.find_root().meta.get("nhiscan.debug"):
                traceback.print_exc()
            click.echo(
                f"nhiscan: internal error ({inert(raised_where(exc))[:300]}); "
                "run again as 'nhiscan --debug COMMAND …' (or with NHISCAN_DEBUG=1) for the traceback",
                err=True,
            )
            raise click.exceptions.Exit(EXIT_INTERNAL) from None


def raised_where(exc: BaseException) -> str:
    """The exception's type and the last place in nhiscan's own code it passed through
    (``KeyError at scanner/cli.py:306``), never its message: a message may quote the input it
    choked on (a key, part of a password), which no redaction can tell from the rest."""
    package = Path(__file__).resolve().parent
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        path = Path(frame.filename).resolve()
        if path.is_relative_to(package):
            return f"{type(exc).__name__} at {path.relative_to(package.parent).as_posix()}:{frame.lineno}"
    return type(exc).__name__


def _on_sigint(signum: int, frame: FrameType | None) -> NoReturn:
    _later_signals_wait()
    raise KeyboardInterrupt()


def _on_sigterm(signum: int, frame: FrameType | None) -> NoReturn:
    _later_signals_wait()
    raise Terminated()


def _later_signals_wait() -> None:
    """Once the first SIGINT or SIGTERM is unwinding the command, later ones are let go: a second
    Ctrl-C a few milliseconds later would otherwise interrupt the first one's handling and leave as
    click's "Aborted!" (exit 1, which means "gate failed") or as an uncaught Terminated. The
    command's own handlers are put back when it closes."""
    signal.signal(signal.SIGINT, _let_go)
    signal.signal(signal.SIGTERM, _let_go)


def _let_go(signum: int, frame: FrameType | None) -> None:
    """A signal that arrived while an earlier one was being handled."""


def install(ctx: click.Context, debug: bool) -> None:
    """SIGTERM unwinds like Ctrl-C, and once either has come, later ones wait for it to finish;
    library log records (SDK warnings) stay quiet unless --debug (see _debug_logging); output nobody reads any more (a
    pager that quit) is dropped rather than ending the command (see closed_pipe)."""
    ctx.meta["nhiscan.debug"] = debug
    closed_standard_streams_to_devnull()
    wrapper = drop_output_once_read()
    if wrapper is not None:
        ctx.call_on_close(functools.partial(_restore_stdout, wrapper))
    root = logging.getLogger()
    if debug:
        _debug_logging(ctx, root)
    elif not root.handlers:
        handler = logging.NullHandler()
        root.addHandler(handler)
        ctx.call_on_close(lambda: root.removeHandler(handler))
    if threading.current_thread() is not threading.main_thread():  # signals can only be set there
        return
    # each signal handled here only if it is as the shell leaves it (ignored stays ignored)
    for signum, default, on_signal in (
        (signal.SIGTERM, signal.SIG_DFL, _on_sigterm),
        (signal.SIGINT, signal.default_int_handler, _on_sigint),
    ):
        if signal.getsignal(signum) is default:
            signal.signal(signum, on_signal)
            ctx.call_on_close(functools.partial(signal.signal, signum, default))


OWN_LOGGER = "scanner"


class _RedactingFormatter(logging.Formatter):
    """A log record as redacted as an error line, whole (a private key spans lines): a library's
    warning may quote what it was given."""

    def format(self, record: logging.LogRecord) -> str:
        return redact_text(super().format(record))


def _debug_logging(ctx: click.Context, root: logging.Logger) -> None:
    """Under --debug, nhiscan's own log records at every level and the libraries' from WARNING, on
    standard error, redacted. The libraries' DEBUG records are not for a CI log: botocore's hold
    every request's headers and every response's body (a session token, the keys AssumeRole
    answers, each access key's full id), and the Google and Azure clients' their wire traffic."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_RedactingFormatter("%(levelname)s %(name)s: %(message)s"))
    own, levels = logging.getLogger(OWN_LOGGER), (root.level, logging.getLogger(OWN_LOGGER).level)
    root.addHandler(handler)
    root.setLevel(logging.WARNING)
    own.setLevel(logging.DEBUG)

    def restore() -> None:
        root.removeHandler(handler)
        root.setLevel(levels[0])
        own.setLevel(levels[1])

    ctx.call_on_close(restore)


def _restore_stdout(wrapper: OutputOnceReadDropped) -> None:
    if sys.stdout is wrapper:
        sys.stdout = wrapper.wrapped


@contextmanager
def deadline(seconds: float, what: str) -> Iterator[None]:
    """End the process with exit 3 when ``what`` has not finished within ``seconds`` (0: none).
    Collection threads may be blocked in a network read that no exception can interrupt, and
    joining them would wait as long; nothing has been written yet, so the process ends at once."""
    if seconds <= 0 or not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expire(signum: int, frame: FrameType | None) -> None:
        sys.stdout.flush()
        sys.stderr.write(
            error_line(f"{what} did not finish within {seconds:g} s (--deadline); nothing was written") + "\n"
        )
        sys.stderr.flush()
        os._exit(EXIT_PARTIAL)

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
