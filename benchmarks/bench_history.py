"""History benchmark: storing and reading back a large scan, and listing many stored scans.

A synthetic N-identity inventory is evaluated once (not timed); then its results are stored
(compressed, one transaction) and loaded back, and M small scans are stored and listed. SQLite by
default; pass a PostgreSQL URL to measure it instead.

    python benchmarks/bench_history.py                        # 100,000 identities, 1,000 scans, SQLite
    python benchmarks/bench_history.py --db postgresql+psycopg://postgres@127.0.0.1:5432/postgres
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(identities: int, scans: int, db: str | None) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    from synthetic import build

    from scanner.history.store import HistoryStore
    from scanner.reports.json_results import render
    from scanner.scan import ScanOptions, load_catalogs, run_scan

    with tempfile.TemporaryDirectory() as directory:
        store = HistoryStore(db or f"sqlite:///{directory}/history.db")
        result = run_scan(build(identities), load_catalogs(), ScanOptions())
        document = render(result)
        started = time.perf_counter()
        store.save(result, document)
        stored = time.perf_counter() - started
        started = time.perf_counter()
        loaded = store.load(result.scan.id)
        read = time.perf_counter() - started
        small = run_scan(build(20), load_catalogs(), ScanOptions())
        small_document = render(small)
        started = time.perf_counter()
        for _ in range(scans):
            copy = dataclasses.replace(small, scan=dataclasses.replace(small.scan, id=str(uuid.uuid4())))
            store.save(copy, small_document)
        many = time.perf_counter() - started
        started = time.perf_counter()
        rows = store.listing(limit=scans + 1)
        listed = time.perf_counter() - started
        started = time.perf_counter()
        trend = store.trend(limit=12)
        trended = time.perf_counter() - started
    return {
        "identities": identities,
        "findings": len(result.findings),
        "results_json_mb": round(len(document) / 1e6, 1),
        "store_seconds": round(stored, 2),
        "load_seconds": round(read, 2),
        "loaded_findings": len(loaded.findings),
        "store_small_scans": scans,
        "store_small_scans_seconds": round(many, 1),
        "list_seconds": round(listed, 3),
        "listed": len(rows),
        "trend_seconds": round(trended, 3),
        "trend_points": len(trend),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--identities", type=int, default=100_000)
    parser.add_argument("--scans", type=int, default=1000)
    parser.add_argument("--db")
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.identities, arguments.scans, arguments.db)))


if __name__ == "__main__":
    main()
