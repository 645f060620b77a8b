"""History benchmark: storing and reading back a large scan, and listing many stored scans.

A synthetic N-identity inventory is evaluated once (not timed); then its results are stored
(compressed, one transaction) and loaded back, and M small scans are stored and listed. SQLite by
default; pass a PostgreSQL URL to measure it instead.

Then the real command lists the M stored scans, each in a new process as a user runs it:
``nhiscan history --limit M`` piped as a table, as JSON and as CSV, and as a table on a
pseudo-terminal of 120 columns (the table fits: its rows are drawn directly) and of 80 (cells
fold: rich draws them). Each is run --runs times; the median and the slowest are printed, with
``nhiscan --version`` as the start-up floor. ``--identities 0`` skips the large scan.

    python benchmarks/bench_history.py                        # 100,000 identities, 1,000 scans, SQLite
    python benchmarks/bench_history.py --identities 0         # the listing only
    python benchmarks/bench_history.py --list-only --db history.db   # time nhiscan history over a history as it is
    python benchmarks/bench_history.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import dataclasses
import fcntl
import json
import os
import pty
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or shutil.which("nhiscan")


def _nhiscan() -> list[str]:
    return [NHISCAN] if NHISCAN else [sys.executable, "-m", "scanner.cli"]


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(args: list[str], columns: int | None) -> tuple[float, float]:
    """Wall and CPU seconds of ``nhiscan ARGS``, its output piped (``columns`` None) or on a pseudo-terminal."""
    cpu, started = _cpu_of_children(), time.perf_counter()
    _run(args, columns)
    return time.perf_counter() - started, _cpu_of_children() - cpu


def _run(args: list[str], columns: int | None) -> None:
    if columns is None:
        subprocess.run([*_nhiscan(), *args], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        return
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {**{k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}, "TERM": "xterm-256color"}
    process = subprocess.Popen([*_nhiscan(), *args], stdout=follower, stderr=follower, env=env)
    os.close(follower)
    while True:
        try:
            if not os.read(leader, 65536):
                break
        except OSError:
            break
    os.close(leader)
    if process.wait() != 0:
        raise RuntimeError(f"nhiscan {' '.join(args)} failed")


def time_listing(db: str, scans: int, runs: int) -> dict[str, object]:
    """The real ``nhiscan history`` command over the stored scans: the median and slowest wall time
    of ``runs``, and the median CPU time (user and system; what other processes on the machine
    change least)."""
    listing = ["history", "--db", db, "--limit", str(scans)]
    cases: dict[str, tuple[list[str], int | None]] = {
        "version": (["--version"], None),
        "table": (listing, None),
        "json": ([*listing, "--format", "json"], None),
        "csv": ([*listing, "--format", "csv"], None),
        "table_terminal_120": (listing, 120),
        "table_terminal_80": (listing, 80),
    }
    figures: dict[str, object] = {}
    for name, (args, columns) in cases.items():
        _run(args, columns)  # warm the file cache
        walls, cpus = zip(*(_timed(args, columns) for _ in range(runs)), strict=True)
        figures[f"cli_{name}_seconds"] = {
            "median": round(statistics.median(walls), 2),
            "max": round(max(walls), 2),
            "cpu_median": round(statistics.median(cpus), 2),
        }
    return figures


def measure(identities: int, scans: int, db: str | None, runs: int) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from synthetic import build

    from scanner.history.store import HistoryStore
    from scanner.reports.json_results import render
    from scanner.scan import ScanOptions, load_catalogs, run_scan

    figures: dict[str, object] = {"identities": identities}
    with tempfile.TemporaryDirectory() as directory:
        url = db or f"sqlite:///{directory}/history.db"
        store = HistoryStore(url)
        if identities:
            result = run_scan(build(identities), load_catalogs(), ScanOptions())
            document = render(result)
            started = time.perf_counter()
            store.save(result, document)
            stored = time.perf_counter() - started
            started = time.perf_counter()
            loaded = store.load(result.scan.id)
            figures |= {
                "findings": len(result.findings),
                "results_json_mb": round(len(document) / 1e6, 1),
                "store_seconds": round(stored, 2),
                "load_seconds": round(time.perf_counter() - started, 2),
                "loaded_findings": len(loaded.findings),
            }
        small = run_scan(build(20), load_catalogs(), ScanOptions())
        copies = [
            dataclasses.replace(small, scan=dataclasses.replace(small.scan, id=str(uuid.uuid4()))) for _ in range(scans)
        ]
        documents = [render(copy) for copy in copies]  # stored results are their own scan's (the history checks)
        started = time.perf_counter()
        for copy, document in zip(copies, documents, strict=True):
            store.save(copy, document)
        many = time.perf_counter() - started
        started = time.perf_counter()
        rows = store.listing(limit=scans + 1)
        listed = time.perf_counter() - started
        started = time.perf_counter()
        trend = store.trend(limit=12)
        trended = time.perf_counter() - started
        figures |= {
            "store_small_scans": scans,
            "store_small_scans_seconds": round(many, 1),
            "list_seconds": round(listed, 3),
            "listed": len(rows),
            "trend_seconds": round(trended, 3),
            "trend_points": len(trend),
        }
        figures |= time_listing(url, scans, runs)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--identities", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--db")
    parser.add_argument("--runs", type=int, default=7, help="Runs of each nhiscan history command.")
    parser.add_argument("--list-only", action="store_true", help="Only time nhiscan history over --db as it is.")
    arguments = parser.parse_args()
    if arguments.list_only:
        if not arguments.db:
            parser.error("--list-only lists the history --db names")
        print(json.dumps(time_listing(arguments.db, arguments.scans, arguments.runs)))
        return
    print(json.dumps(measure(arguments.identities, arguments.scans, arguments.db, arguments.runs)))


if __name__ == "__main__":
    main()
