"""Probe: would forking after evaluation let two cores write the reports? (Linux only)

An idea measured, not a benchmark of what nhiscan does: after ``run_scan`` the process forks; the
child writes results.json while the parent renders report.html, and the two are timed against
writing both in one process, one after the other. Copy-on-write is the question: a forked child
that only reads the findings still writes their reference counts, and so copies every page that
holds them. The child's Private_Dirty (from /proc/PID/smaps_rollup) is what forking costs in
memory on top of the parent.

    python benchmarks/probe_fork_writers.py            # 100000 identities
    python benchmarks/probe_fork_writers.py 25000

Prints one JSON line. On 2026-12-03 (the synthetic inventory built in the process, not read from
a file), two runs at 100,000 identities: both writers in one process 6.1 / 7.6 s, forked 3.5 /
4.8 s; the child copied 834 / 836 MB of the parent's 928 MB (results.json carries the inventory
too, so the child touches nearly every object). At 25,000: 1.25 s against 0.99 s, the child
copying 235 MB of 270 MB. Faster, but the copy nearly doubles the memory: the scan process
already peaks at about 1.4 GB at 100,000 identities, and the target is 1.5 GB for the whole scan.
"""

from __future__ import annotations

import gc
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import build

from scanner.reports import ReportSettings, html_report, json_results, tally
from scanner.scan import ScanOptions, load_catalogs, run_scan


def memory_mb(pid: int) -> dict[str, int]:
    fields = {}
    with open(f"/proc/{pid}/smaps_rollup") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) == 3 and parts[0].endswith(":"):
                fields[parts[0][:-1]] = int(parts[1]) // 1024
    return fields


def write(pieces: Iterable[str], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for piece in pieces:
            out.write(piece)


def main() -> None:
    identities = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    gc.set_threshold(100_000, 50, 1000)  # as the command line sets it
    result = run_scan(build(identities), load_catalogs(), ScanOptions())
    gc.freeze()
    figures: dict[str, object] = {"identities": identities, "findings": len(result.findings)}
    figures["parent_after_scan_mb"] = memory_mb(os.getpid())["Rss"]
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work)
        tally.forget()  # each way counts the findings itself
        started = time.perf_counter()
        write(json_results.pieces(result), folder / "results.json")
        write([html_report.render(result, ReportSettings())], folder / "report.html")
        figures["one_process_s"] = round(time.perf_counter() - started, 2)

        tally.forget()
        started = time.perf_counter()
        reading, writing = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(reading)
            write(json_results.pieces(result), folder / "forked-results.json")
            answer = {"child_s": round(time.perf_counter() - started, 2), **_child_memory()}
            os.write(writing, json.dumps(answer).encode())
            os._exit(0)
        os.close(writing)
        write([html_report.render(result, ReportSettings())], folder / "forked-report.html")
        figures["parent_html_s"] = round(time.perf_counter() - started, 2)
        with os.fdopen(reading, "rb") as answer:
            figures.update(json.loads(answer.read()))
        os.waitpid(child, 0)
        figures["forked_s"] = round(time.perf_counter() - started, 2)
    print(json.dumps(figures))


def _child_memory() -> dict[str, int]:
    own = memory_mb(os.getpid())
    return {"child_private_dirty_mb": own["Private_Dirty"], "child_rss_mb": own["Rss"]}


if __name__ == "__main__":
    main()
