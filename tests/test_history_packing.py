"""A large scan's results.json is packed for the history in a worker process while it is written
(a thread waited on the GIL between every zlib call). The worker's packed form is byte for byte
what packing here gives; a worker that dies is one named history error, never a hang or a wrong
stored scan; a scan that stops before its results are stored ends its worker."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from scanner.history import packing
from scanner.history.packing import WORKER_FROM_FINDINGS, PackingWorker
from scanner.history.store import HistoryStore, PackingLost, ResultsPacker, _unpack
from scanner.model import ScanResult
from scanner.reports.json_results import pieces
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect
from scanner.workers import usable_cores

needs_two_cores = pytest.mark.skipif(usable_cores() < 2, reason="the worker runs on two cores or more")


def text_pieces(result: ScanResult) -> list[bytes]:
    return [piece.encode("utf-8") for piece in pieces(result)]


def packed(packer: ResultsPacker, data: list[bytes]) -> tuple[bytes, list[tuple[int, int]], int | None]:
    for piece in data:
        packer.add(piece)
    return packer.packed(), [tuple(block) for block in packer.findings_blocks], packer.findings_end


@pytest.fixture(scope="module")
def many_findings(catalogs) -> ScanResult:
    """The demo estate a year on, its findings repeated past a few pieces of the findings list."""
    inventory = collect(SourceSpec("demo"))
    later = inventory.collected_at.replace(year=inventory.collected_at.year + 1)
    result = run_scan(inventory, catalogs, ScanOptions(as_of=later))
    result.findings = result.findings * (5000 // len(result.findings) + 1)
    return result


@needs_two_cores
def test_the_worker_packs_exactly_what_packing_here_gives(many_findings: ScanResult) -> None:
    data = text_pieces(many_findings)
    data.insert(3, b"")  # an empty piece is packed alike in either place
    here = packed(ResultsPacker(), data)
    worker_packer = ResultsPacker(in_worker=True)
    assert worker_packer._worker is not None
    in_worker = packed(worker_packer, data)
    assert in_worker == here
    stored, blocks, end = in_worker
    assert (
        len(blocks) >= 3 and end is not None and sum(findings for _, findings in blocks) == len(many_findings.findings)
    )
    text, intact = _unpack(stored)
    assert intact and text == b"".join(data)


@needs_two_cores
def test_a_worker_that_dies_loses_nothing_stored(many_findings: ScanResult, tmp_path: Path) -> None:
    """Its packing is named as lost, and the history packs the result again in its own process."""
    packer = ResultsPacker(in_worker=True)
    assert packer._worker is not None
    process = packer._worker._process
    data = text_pieces(many_findings)
    packer.add(data[0])
    os.kill(process.pid, signal.SIGKILL)  # out of memory, say
    process.wait(10)
    for piece in data[1:]:
        packer.add(piece)  # the pipe is broken: noted, not raised mid-write
    with pytest.raises(PackingLost, match=r"could not be packed for the history: "):
        packer.packed()
    killed = ResultsPacker(in_worker=True)
    assert killed._worker is not None
    killed.add(data[0])
    os.kill(killed._worker._process.pid, signal.SIGKILL)
    killed._worker._process.wait(10)
    for piece in data[1:]:
        killed.add(piece)
    store = HistoryStore(str(tmp_path / "history.db"))
    store.save(many_findings, killed)
    assert store.load(many_findings.scan.id).findings == many_findings.findings


@needs_two_cores
def test_a_scan_stopped_before_storing_ends_its_worker(many_findings: ScanResult) -> None:
    packer = ResultsPacker(in_worker=True)
    assert packer._worker is not None
    process = packer._worker._process
    packer.add(text_pieces(many_findings)[0])
    del packer  # the scan failed or was interrupted: the worker is ended at once
    assert process.wait(10) == -signal.SIGKILL and process.stdout.closed


@pytest.mark.parametrize("interpreter", [None, ""])
def test_results_are_packed_here_where_no_interpreter_is_named(monkeypatch, interpreter) -> None:
    """sys.executable may be None or empty in an embedded interpreter: nothing to start."""
    monkeypatch.setattr(packing.sys, "executable", interpreter)
    assert ResultsPacker(in_worker=True)._worker is None


def test_results_are_packed_here_where_no_worker_can_start(monkeypatch, many_findings: ScanResult) -> None:
    def refused(*args, **kwargs):
        raise OSError("process creation refused")

    monkeypatch.setattr(packing.subprocess, "Popen", refused)
    packer = ResultsPacker(in_worker=True)
    assert packer._worker is None
    data = text_pieces(many_findings)
    assert packed(packer, data) == packed(ResultsPacker(), data)


@needs_two_cores
def test_only_a_large_scan_starts_a_worker(cli, monkeypatch, tmp_path: Path) -> None:
    """Below WORKER_FROM_FINDINGS findings the worker's start-up would cost more than packing."""
    started: list[PackingWorker | None] = []
    original = PackingWorker.start

    def noted() -> PackingWorker | None:
        started.append(original())
        return started[-1]

    monkeypatch.setattr(PackingWorker, "start", staticmethod(noted))
    database = tmp_path / "history.db"
    assert (
        cli("scan", "demo", "--format", "json", "-o", str(tmp_path / "a"), "-q", "--db", str(database)).exit_code == 1
    )
    assert started == []
    monkeypatch.setattr("scanner.history.packing.WORKER_FROM_FINDINGS", 1)
    assert (
        cli("scan", "demo", "--format", "json", "-o", str(tmp_path / "b"), "-q", "--db", str(database)).exit_code == 1
    )
    (worker,) = started
    assert worker is not None and worker._process.returncode == 0  # answered, and waited for
    assert WORKER_FROM_FINDINGS > 1
    store = HistoryStore(str(database))
    newer, older = (scan["id"] for scan in store.listing())
    assert store.load(newer).findings == store.load(older).findings  # packed there as here


UNGUARDED_SCRIPT = """
from scanner.history.store import ResultsPacker
packer = ResultsPacker(in_worker=True)
assert packer._worker is not None
packer.add(b'{\\n')
packer.add(b' "findings": [\\n')
packer.add(b'  {"fingerprint": "x"}\\n')
packer.add(b' ]\\n}\\n')
stored = packer.packed()
print(len(packer.findings_blocks), packer.findings_end is not None)
"""


@needs_two_cores
def test_a_script_without_a_main_guard_packs_in_a_worker_too(tmp_path: Path) -> None:
    """The worker runs nothing of the calling program (a multiprocessing worker would run a script
    without ``if __name__ == "__main__"`` again, and its packing would be lost)."""
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT)
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(script)], cwd=root, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout, done.stderr) == (0, "1 True\n", "")
