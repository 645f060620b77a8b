"""results.json packed for the history while it is written: the SHA-256 of its text and zlib data,
with a full flush before each piece, so a piece can be inflated on its own from its offset; the
offsets of the pieces of the findings list, and how many findings each holds, are kept (a diff
reads only the blocks holding findings that changed).

On two cores or more the packing runs in a worker process fed the pieces over a pipe. zlib and
SHA-256 release the GIL, but a thread packing beside the writer waited for the GIL between every
call while the writer held it: packing a 100,000-identity scan's 530 MB made writing results.json
take 2 s longer than writing it alone. In a process it costs the writer only the copy into the
pipe. Small results are packed in the scan's own process: starting a worker would cost more.
"""

from __future__ import annotations

import hashlib
import signal
import zlib
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

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
        if not data:  # nothing to pack: no block of its own, so the worker's end of input stays unambiguous
            return
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


def pack_in_worker(receiver: Connection, sender: Connection) -> None:
    """The worker (see ``scanner.workers``): pieces in, the packed form out. An empty message ends
    the input; input that ends without it (the scan stopped or failed) is a scan not to be stored,
    and nothing is sent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the process group: the scan decides
    packing = Packing()
    try:
        while data := receiver.recv_bytes():
            packing.add(data)
    except (EOFError, OSError):
        sender.close()
        return
    finally:
        receiver.close()
    packed = packing.finish()
    try:
        sender.send_bytes(packed.data)
        sender.send((packed.findings_blocks, packed.findings_end))
    except OSError:  # the scan went meanwhile
        pass
    finally:
        sender.close()
