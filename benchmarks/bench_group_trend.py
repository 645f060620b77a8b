"""Benchmark: a scan group's merged report over many runs of a sharded scan.

The synthetic estate is split into two shards by account (as ``--shard i/2`` splits it), scanned,
and stored as RUNS runs of group "weekly" (``--scan-run r0``, ``r1``, …) in a fresh SQLite history.
Then the merged report of the latest run is made three times, timed (``merge_group``, the trend
included, the rendering not):

- first: no run's trend point kept yet, every run on the trend merged;
- again: the same report, each point kept by the first;
- next run: after one more run is stored, as a daily or weekly report finds it.

    python benchmarks/bench_group_trend.py                 # 10000 identities, 12 runs
    python benchmarks/bench_group_trend.py 25000 6

Prints one JSON line. On 2026-12-03, 10,000 identities and 12 runs: 25.6 s, 1.6 s and 4.9 s; the
code before the points were kept (63a463e) took 30.8, 29.6 and 29.7 s.
"""

from __future__ import annotations

import dataclasses
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from synthetic import build

from scanner.history.merge import merge_group
from scanner.history.store import HistoryStore
from scanner.model import Inventory
from scanner.reports.json_results import render
from scanner.scan import ScanOptions, load_catalogs, run_scan
from scanner.sharding import Shard


def shard_of(inventory: Inventory, shard: Shard) -> Inventory:
    """The records of the accounts ``shard`` owns."""
    accounts = {a.uid for a in inventory.accounts if shard.owns(a.uid)}
    identities = [i for i in inventory.identities if i.account in accounts]
    held = {i.uid for i in identities}
    return dataclasses.replace(
        inventory,
        accounts=[a for a in inventory.accounts if a.uid in accounts],
        identities=identities,
        credentials=[c for c in inventory.credentials if c.identity_uid in held],
        grants=[g for g in inventory.grants if g.identity_uid in held],
        agents=[a for a in inventory.agents if a.account in accounts],
        log_sources=[s for s in inventory.log_sources if s.account in accounts],
        sources=[s for s in inventory.sources if s.account in accounts],
    )


def main() -> None:
    identities = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 12
    catalogs = load_catalogs()
    inventory = build(identities)
    shards = [(Shard(index, 2), shard_of(inventory, Shard(index, 2))) for index in (1, 2)]
    with tempfile.TemporaryDirectory() as work:
        store = HistoryStore(f"sqlite:///{Path(work) / 'history.db'}")

        def store_run(key: str) -> None:
            for shard, part in shards:
                result = run_scan(part, catalogs, ScanOptions())
                store.save(result, render(result), group="weekly", shard=shard, run=key)

        started = time.perf_counter()
        for run in range(runs):
            store_run(f"r{run}")
        figures: dict[str, object] = {"identities": identities, "runs": runs}
        figures["storing_s"] = round(time.perf_counter() - started, 1)
        for label in ("first_report_s", "same_report_again_s"):
            started = time.perf_counter()
            merged = merge_group(store, catalogs, "weekly")
            figures[label] = round(time.perf_counter() - started, 2)
        store_run(f"r{runs}")
        started = time.perf_counter()
        merged = merge_group(store, catalogs, "weekly")
        figures["report_after_next_run_s"] = round(time.perf_counter() - started, 2)
        figures["trend_points"] = len(merged.trend)
        store.engine.dispose()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
