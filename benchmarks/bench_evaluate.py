"""Evaluation benchmark: all bundled controls over synthetic inventories of growing size.

Each size runs in a fresh process so that peak memory (ru_maxrss) belongs to that size alone.
Reported per size: build time of the synthetic inventory (not part of the target), evaluation
wall time (indexing, every control, waivers, scoring, sorting), peak RSS of the process, records
evaluated and findings kept, and time per identity to show how time grows with size.

    python benchmarks/bench_evaluate.py                   # 10k, 25k, 50k, 100k identities
    python benchmarks/bench_evaluate.py 100000 --per-identity 1.5
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def measure(identities: int, per_identity: float) -> dict[str, float]:
    sys.path.insert(0, str(HERE))
    from synthetic import build

    from scanner.scan import ScanOptions, load_catalogs, run_scan

    catalogs = load_catalogs()
    started = time.perf_counter()
    inventory = build(identities, per_identity)
    built = time.perf_counter() - started
    started = time.perf_counter()
    result = run_scan(inventory, catalogs, ScanOptions())
    evaluated = time.perf_counter() - started
    return {
        "identities": identities,
        "credentials": len(inventory.credentials),
        "grants": len(inventory.grants),
        "agents": len(inventory.agents),
        "controls": len(result.controls),
        "results": sum(sum(c.counts.values()) for c in result.controls),
        "findings_kept": len(result.findings),
        "build_seconds": round(built, 2),
        "evaluate_seconds": round(evaluated, 2),
        "microseconds_per_identity": round(1e6 * evaluated / identities, 1),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description="nhiscan evaluation benchmark")
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 25_000, 50_000, 100_000])
    parser.add_argument("--per-identity", type=float, default=3.0, help="credentials and grants per identity")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.per_identity)))
        return
    rows = []
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", str(size), "--per-identity", str(args.per_identity)]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        rows.append(json.loads(output))
        print(json.dumps(rows[-1]), flush=True)


if __name__ == "__main__":
    main()
