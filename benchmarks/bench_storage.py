"""Storage benchmark: how the history grows over 30 daily scans of one estate, and what pruning does.

The synthetic N-identity estate is scanned as of 30 consecutive days (its credentials age a day at
a time, so each day's findings differ a little) and each scan is stored as ``nhiscan scan`` stores
it: results.json packed as it is rendered, the executive view, the drift index. A stored scan's
finishing time is its day's, so the last is now and the first 29 days ago. After every scan the
database file's size is printed.

Then ``HistoryStore.prune(7)`` (what ``nhiscan history --prune-days 7`` and
``history.retention_days: 7`` call) removes the scans finished more than 7 days ago; the file's
size, SQLite's free pages and the space a VACUUM would give back are printed. Then 7 more daily
scans are stored. A history nhiscan creates gives the pruned scans' pages back to the file system
(incremental auto-vacuum): the file shrinks at the prune and grows by a scan a day again. One
created before kept them as free pages, which the next scans filled instead of growing the file.

    python benchmarks/bench_storage.py                    # 25,000 identities
    python benchmarks/bench_storage.py --identities 100000
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
DAYS = 30
KEEP_DAYS = 7


def file_figures(database: Path) -> dict[str, float]:
    with sqlite3.connect(database) as connection:
        page_size = connection.execute("PRAGMA page_size").fetchone()[0]
        free_pages = connection.execute("PRAGMA freelist_count").fetchone()[0]
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return {"file_mb": round(database.stat().st_size / 1e6, 1), "free_mb": round(free_pages * page_size / 1e6, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--identities", type=int, default=25_000)
    arguments = parser.parse_args()
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from synthetic import build

    from scanner.history.store import HistoryStore, ResultsPacker
    from scanner.reports.executive import executive_view
    from scanner.reports.json_results import pieces as results_pieces
    from scanner.scan import ScanOptions, load_catalogs, run_scan

    catalogs = load_catalogs()
    inventory = build(arguments.identities)
    today = datetime.now(UTC).replace(microsecond=0)

    def store_day(store: HistoryStore, finished: datetime) -> dict[str, object]:
        result = run_scan(inventory, catalogs, ScanOptions(as_of=finished))
        result = dataclasses.replace(result, scan=dataclasses.replace(result.scan, finished=finished))
        packer = ResultsPacker()
        for piece in results_pieces(result):
            packer.add(piece.encode("utf-8"))
        started = time.perf_counter()
        point = store.save(result, packer, None, executive_view(result))
        return {
            "day": finished.date().isoformat(),
            "findings": len(result.findings),
            "new_failures": point.new,
            "resolved_failures": point.resolved,
            "save_seconds": round(time.perf_counter() - started, 2),
        }

    with tempfile.TemporaryDirectory() as directory:
        database = Path(directory) / "history.db"
        store = HistoryStore(f"sqlite:///{database}")
        for day in range(DAYS):
            figures = store_day(store, today - timedelta(days=DAYS - 1 - day))
            print(json.dumps({"scans": day + 1, **figures, **file_figures(database)}), flush=True)
        started = time.perf_counter()
        pruned = store.prune(KEEP_DAYS)
        prune_seconds = round(time.perf_counter() - started, 2)
        kept = len(store.listing(limit=DAYS + KEEP_DAYS))
        print(json.dumps({"pruned": pruned, "kept": kept, "prune_seconds": prune_seconds, **file_figures(database)}))
        for day in range(1, KEEP_DAYS + 1):
            figures = store_day(store, today + timedelta(days=day))
            print(json.dumps({"after_prune": day, **figures, **file_figures(database)}), flush=True)
        store.engine.dispose()
        with sqlite3.connect(database) as connection:
            started = time.perf_counter()
            connection.execute("VACUUM")
            vacuum_seconds = round(time.perf_counter() - started, 1)
        print(json.dumps({"vacuum_seconds": vacuum_seconds, **file_figures(database)}))


if __name__ == "__main__":
    main()
