"""Atomic file writes: readers never see half a report."""

from __future__ import annotations

import errno
import os
import shutil
import signal
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from scanner import abandoned_staging


def write_atomic(path: Path, content: str | bytes) -> None:
    write_atomic_pieces(path, [content])


def write_atomic_pieces(path: Path, pieces: Iterable[str | bytes], also: Callable[[bytes], None] | None = None) -> None:
    """Write ``pieces`` to ``path`` through a temporary file that replaces it only once complete
    and on disk; ``also`` sees every byte written, piece by piece (a large file need never be
    whole in memory). A device or pipe in ``path``'s place (``-o /dev/null``, ``-o /dev/stdout``, a
    named pipe) is written to as it is: there is no file to replace, and renaming over it would put
    a regular file in place of the device (as root, /dev/null itself)."""
    if _is_stream(path):
        with open(path, "wb") as stream:
            for piece in pieces:
                data = piece.encode("utf-8") if isinstance(piece, str) else piece
                stream.write(data)
                if also is not None:
                    also(data)
        return
    make_directory(path.parent)
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(handle, 0o666 & ~_umask())  # mkstemp makes 0600; reports are shared like any file
        with os.fdopen(handle, "wb") as stream:
            for piece in pieces:
                data = piece.encode("utf-8") if isinstance(piece, str) else piece
                stream.write(data)
                if also is not None:
                    also(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with signals_deferred():  # a second Ctrl-C does not leave the temporary file behind
            Path(temp_name).unlink(missing_ok=True)
        raise


def _is_stream(path: Path) -> bool:
    """``path`` names a character device, a FIFO or a socket (following symbolic links, as
    /dev/stdout is one): something written to, never replaced."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


@contextmanager
def opened_regular(path: Path) -> Iterator[BinaryIO | None]:
    """``path`` opened for reading if it is a regular file (after its links), else None. Opened
    without blocking, then checked: a named pipe found in a folder where a file was expected would
    otherwise hold the command until it is killed, and one swapped in after a check would still be
    opened. OSError as ``os.open`` raises it (no such file, permission denied)."""
    if not stat.S_ISREG(os.stat(path).st_mode):  # a socket cannot even be opened
        yield None
        return
    descriptor = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOCTTY", 0))
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):  # swapped for a pipe since
        os.close(descriptor)
        yield None
        return
    with os.fdopen(descriptor, "rb") as stream:
        yield stream


def make_directory(path: Path) -> None:
    """``path`` as a folder, made with its parents if missing. A file in its place is "Not a
    directory", as the system says of a path through a file (mkdir alone says "File exists")."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path)) from None


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current


@contextmanager
def output_set(directory: Path, owned_names: Iterable[str]) -> Iterator[Path]:
    """A staging folder for the files of one run; on success they replace the folder's earlier
    files as a set (with SIGINT/SIGTERM held off while they move), and files of ``owned_names``
    this run did not write are removed, so the folder never mixes two scans. On an exception
    nothing moves, and the staging folder is removed either way (with the signals held off too: the
    first Ctrl-C removes it, and a second one while it goes would leave it half removed). Staging
    folders of killed runs are removed first (see abandoned_staging)."""
    make_directory(directory)
    abandoned_staging.remove_abandoned(directory)
    staging = Path(tempfile.mkdtemp(prefix=abandoned_staging.STAGING_PREFIX, dir=directory))
    made = staging.stat()
    held = abandoned_staging.claim(staging)  # until it is gone: a later run leaves it alone meanwhile
    try:
        yield staging
        with signals_deferred():
            if not abandoned_staging.still_ours(staging, made):  # another process removed it: half a set
                raise OSError(errno.ENOENT, "another process removed the staging folder; nothing was moved")
            written = {path.name for path in staging.iterdir()}
            for name in set(owned_names) - written:
                (directory / name).unlink(missing_ok=True)
            for name in sorted(written):
                os.replace(staging / name, directory / name)
    finally:
        with signals_deferred():
            shutil.rmtree(staging, ignore_errors=True)
            abandoned_staging.release(held)


_DEFERRED = (signal.SIGINT, signal.SIGTERM)


@contextmanager
def signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block ends, then are handled as they would have been.
    The system hands a signal to any thread that does not block it (the history's packing thread
    too), so blocking it in this one would not hold it off; Python runs every handler in the main
    thread, so the handlers note it instead. Only the main thread is ever interrupted by them."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    arrived: list[int] = []
    previous = [(signum, signal.signal(signum, lambda signum, frame: arrived.append(signum))) for signum in _DEFERRED]
    try:
        yield
    finally:
        for signum, handler in previous:
            signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
        if arrived:
            signal.raise_signal(arrived[0])
