"""results.json packed for the history while it is written: the SHA-256 of its text and zlib data,
with a full flush before each piece, so a piece can be inflated on its own from its offset; the
offsets of the pieces of the findings list, and how many findings each holds, are kept (a diff
reads only the blocks holding findings that changed).

On two cores or more the packing runs in a worker process (``PackingWorker``) fed the pieces over
a pipe. zlib and
SHA-256 release the GIL, but a thread packing beside the writer waited for the GIL between every
call while the writer held it: packing a 100,000-identity scan's 530 MB made writing results.json
take 2 s longer than writing it alone. In a process it costs the writer only the copy into the
pipe. Small results are packed in the scan's own process: starting a worker would cost more.
"""

from __future__ import annotations

import hashlib
import queue
import struct
import subprocess
import sys
import threading
import weakref
import zlib
from contextlib import suppress
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from scanner.history.stored_results import STORED_MAGIC
from scanner.results_lines import FINDINGS_OPENING, LIST_CLOSING

# zlib level of stored results. Level 6 took 6.5 s for a 100,000-identity scan's 531 MB of results,
# three times what writing them takes, so the scan waited on it; level 3 (zlib's fastest strategy)
# takes 2.1 s and stores 52 MB instead of 45 MB. Any level inflates the same way.
PACKING_LEVEL = 3
# results.json holding at least this many findings (about 35 MB) is packed in a worker: below, the
# worker's start-up would cost more than packing here (about 0.15 s)
WORKER_FROM_FINDINGS = 50_000


@dataclass(slots=True)
class Packed:
    """The stored form (STORED_MAGIC, checksum, zlib data) and where the findings' pieces start."""

    data: bytes
    findings_blocks: list[tuple[int, int]]  # (offset in the zlib data, findings in the piece)
    findings_end: int | None  # offset of the piece closing the findings list, if it was seen


@dataclass(slots=True)
class Packing:
    """The packing of one results.json, a piece at a time, in this process."""

    _checksum: hashlib._Hash = field(default_factory=hashlib.sha256)
    _compressor: zlib._Compress = field(default_factory=lambda: zlib.compressobj(PACKING_LEVEL))
    _compressed: list[bytes] = field(default_factory=list)
    _size: int = 0
    _pieces: int = 0
    _in_findings: bool | None = False  # None once the findings list has ended
    findings_blocks: list[tuple[int, int]] = field(default_factory=list)
    findings_end: int | None = None

    def add(self, data: bytes) -> None:
        self._checksum.update(data)
        if self._pieces:
            self._out(self._compressor.flush(zlib.Z_FULL_FLUSH))
        self._pieces += 1
        if self._in_findings:
            if data.startswith(LIST_CLOSING):
                self._in_findings, self.findings_end = None, self._size
            else:
                self.findings_blocks.append((self._size, data.count(b"\n")))
        elif self._in_findings is False and data.startswith(FINDINGS_OPENING):
            self._in_findings = True
        self._out(self._compressor.compress(data))

    def finish(self) -> Packed:
        """The stored form; call once, after the last ``add``."""
        pieces, self._compressed = self._compressed, []
        # joined once: tens of megabytes for a large estate, not copied again by each concatenation
        data = b"".join([STORED_MAGIC, self._checksum.digest(), *pieces, self._compressor.flush()])
        return Packed(data, self.findings_blocks, self.findings_end)

    def _out(self, data: bytes) -> None:
        self._compressed.append(data)
        self._size += len(data)


# The pipes' frames: a kind and a length, then that many bytes. The scan sends pieces, then the end;
# the worker answers with the end frame and the packed data, then where the findings list ends and
# each findings block.
_HEADER = struct.Struct(">cQ")
_PIECE, _END = b"P", b"E"
_OFFSET = struct.Struct(">Q")
_BLOCK = struct.Struct(">QQ")
_NO_END = 2**64 - 1  # findings_end None
_PIPE_BYTES = 1024 * 1024  # Linux's largest pipe for an unprivileged process, by default


class PackingWorker:
    """A ``Packing`` in a process of its own: a fresh interpreter with this one's import path that
    runs ``serve`` and nothing else. (A multiprocessing worker would also run this process's main
    module again: a script that calls nhiscan without a ``__main__`` guard would start over in it.)
    It is in a session of its own, so a Ctrl-C at the terminal reaches the scan alone, which
    decides; the worker ends when its input does, however the scan ends."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        assert process.stdin is not None and process.stdout is not None
        self._process = process
        self._input: IO[bytes] = process.stdin
        self._answer: IO[bytes] = process.stdout
        self._ended = weakref.finalize(self, _ended, process)

    @classmethod
    def start(cls) -> PackingWorker | None:
        """None where no process can be started (no interpreter to run, processes refused)."""
        if not sys.executable:  # None or "" where the interpreter cannot say what runs it (embedded)
            return None
        path = [entry for entry in sys.path if isinstance(entry, str)]  # as a literal; anything else is no path
        code = f"import sys; sys.path[:] = {path!r}; from scanner.history.packing import serve; serve()"
        try:
            process = subprocess.Popen(
                [sys.executable, "-c", code],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except (OSError, ValueError, TypeError):
            return None
        if sys.platform == "linux" and process.stdin is not None:  # in a pipe of 64 KiB, the scan would
            import fcntl  # wait for the worker every 64 KiB: 0.8 s for a 100,000-identity scan

            with suppress(OSError):  # more than the system allows: the pipe keeps its size
                fcntl.fcntl(process.stdin.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_BYTES)
        return cls(process)

    def add(self, data: bytes) -> None:
        """Send a piece; OSError (BrokenPipeError) once the worker has gone."""
        self._input.write(_HEADER.pack(_PIECE, len(data)))
        self._input.write(data)

    def finish(self) -> Packed:
        """The packed form of every piece sent; OSError when the worker went before answering."""
        try:
            self._input.write(_HEADER.pack(_END, 0))
            self._input.close()
            answer = self._answer.read()
        except OSError:
            self._ended()  # gone: ended for sure
            raise
        self._ended.detach()  # it has answered and is exiting: waited for, not killed
        _closed(self._process)
        self._process.wait()
        if self._process.returncode != 0:
            raise OSError(f"the packing process ended (exit code {self._process.returncode})")
        return _answer_read(answer)

    def abandon(self) -> None:
        """End the worker without an answer: its input ends without the end frame."""
        self._ended()


def _ended(process: subprocess.Popen[bytes]) -> None:
    """End a worker whose answer is not wanted (the scan stopped or failed): at once, so that a scan
    being interrupted does not wait on it."""
    _closed(process)
    if process.poll() is None:
        process.kill()
    process.wait()


def _closed(process: subprocess.Popen[bytes]) -> None:
    for stream in (process.stdin, process.stdout):
        if stream is not None:
            with suppress(OSError):  # a broken pipe flushing what was left: closed all the same
                stream.close()


def _answer_read(answer: bytes) -> Packed:
    if len(answer) < _HEADER.size + _OFFSET.size:
        raise OSError("the packing process answered nothing")
    kind, size = _HEADER.unpack_from(answer)
    blocks_at = _HEADER.size + size
    if kind != _END or blocks_at + _OFFSET.size > len(answer) or (len(answer) - blocks_at - _OFFSET.size) % _BLOCK.size:
        raise OSError("the packing process's answer is cut short")
    (end,) = _OFFSET.unpack_from(answer, blocks_at)
    blocks = [_BLOCK.unpack_from(answer, at) for at in range(blocks_at + _OFFSET.size, len(answer), _BLOCK.size)]
    return Packed(answer[_HEADER.size : blocks_at], blocks, None if end == _NO_END else end)


def serve(source: BinaryIO | None = None, sink: BinaryIO | None = None) -> None:
    """The worker: pieces in on standard input, the packed form out on standard output. Input
    that ends without the end frame is a scan that stopped: nothing is answered. A thread reads
    the pipe while the pieces are packed, a few pieces ahead: reading only between two pieces'
    packing, the scan would wait on a full pipe for each piece's packing in turn."""
    source = source or sys.stdin.buffer
    sink = sink or sys.stdout.buffer
    pieces: queue.Queue[bytes | None] = queue.Queue(maxsize=_PIECES_AHEAD)
    ended = False  # the end frame arrived

    def read() -> None:
        nonlocal ended
        try:
            while len(header := source.read(_HEADER.size)) == _HEADER.size:
                kind, size = _HEADER.unpack(header)
                if kind == _END:
                    ended = True
                    return
                data = source.read(size)
                if len(data) < size:
                    return
                pieces.put(data)
        finally:
            pieces.put(None)

    reader = threading.Thread(target=read, name="pieces", daemon=True)
    reader.start()
    packing = Packing()
    while (data := pieces.get()) is not None:
        packing.add(data)
    reader.join()
    if not ended:
        return
    packed = packing.finish()
    sink.write(_HEADER.pack(_END, len(packed.data)))
    sink.write(packed.data)
    sink.write(_OFFSET.pack(_NO_END if packed.findings_end is None else packed.findings_end))
    sink.write(b"".join(_BLOCK.pack(*block) for block in packed.findings_blocks))
    sink.flush()


_PIECES_AHEAD = 16  # read ahead of the packing: about 20 MB of a large scan's findings
