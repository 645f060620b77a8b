"""Diff benchmark: two scans of one estate, the newer reading every source partially.

A synthetic N-identity inventory (30 accounts at 20,000) gains M more AWS accounts in one
organisation; the older scan reads every source completely, the newer one reads every source
partially and sees half the identities, so each failure it no longer lists is matched to the
incomplete source that could hold its resource (tens of thousands of failures, hundreds or
thousands of sources). Both scans are evaluated once (not timed); then the diff is timed as it
runs, and again with the sources tried one by one for each failure, as the diff once did.

    python benchmarks/bench_diff.py                          # 20,000 identities; 500 and 2,000 more accounts
    python benchmarks/bench_diff.py --identities 2000 --extra 200
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any
from unittest import mock

HERE = Path(__file__).resolve().parent


def estates(identities: int, extra: int) -> tuple[Any, Any]:
    """The older and the newer inventory (see the module's docstring)."""
    from synthetic import build

    from scanner.model import Account, SourceError, SourceStatus

    older = build(identities)
    for account in older.accounts:
        if account.provider == "aws":
            account.parent = "o-org"
    for index in range(extra):
        uid = f"aws-extra-{index:05d}"
        older.accounts.append(Account(uid=uid, provider="aws", name=uid, parent="o-org", environment="production"))
        older.sources.append(SourceStatus(name="aws", account=uid))
    denied = SourceError(call="iam:ListServiceSpecificCredentials", message="AccessDenied", code="AccessDenied")
    kept = {identity.uid for identity in older.identities[::2]}
    newer = dataclasses.replace(
        older,
        identities=[i for i in older.identities if i.uid in kept],
        credentials=[c for c in older.credentials if c.identity_uid in kept],
        grants=[g for g in older.grants if g.identity_uid in kept],
        sources=[dataclasses.replace(s, status="partial", errors=[denied]) for s in older.sources],
    )
    return older, newer


class _SourceBySource:
    """The incomplete sources tried one by one for each failure, as the diff once matched them."""

    def __init__(self, gaps: list[Any], parents: Any) -> None:
        self.gaps, self.parents = gaps, parents

    def holder(self, finding: Any) -> Any:
        from scanner.diff import holds

        return next((g for g in self.gaps if holds(g, finding, self.parents)), None)


def timed(old: Any, new: Any, runs: int) -> tuple[float, Any]:
    from scanner.diff import diff_results

    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        drift = diff_results(old, new)
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), drift


def measure(identities: int, extra: int, runs: int) -> dict[str, object]:
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE.parent))
    import scanner.diff
    from scanner.scan import ScanOptions, load_catalogs, run_scan

    catalogs = load_catalogs()
    older, newer = estates(identities, extra)
    old = run_scan(older, catalogs, ScanOptions())
    new = run_scan(newer, catalogs, ScanOptions())
    indexed, drift = timed(old, new, runs)
    with mock.patch.object(scanner.diff, "_GapIndex", _SourceBySource):
        one_by_one, before = timed(old, new, 1)
    same = scanner.diff.drift_document(drift) == scanner.diff.drift_document(before)
    return {
        "identities": identities,
        "incomplete_sources": len(drift.incomplete_sources),
        "no_longer_assessed": len(drift.no_longer_assessed),
        "resolved": len(drift.resolved_failures),
        "source_by_source_seconds": round(one_by_one, 2),
        "indexed_seconds": round(indexed, 2),
        "same_drift": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--identities", type=int, default=20_000)
    parser.add_argument("--extra", type=int, nargs="+", default=[500, 2000], help="More AWS accounts, one run each.")
    parser.add_argument("--runs", type=int, default=3, help="Runs of the indexed diff (the median is printed).")
    arguments = parser.parse_args()
    for extra in arguments.extra:
        print(json.dumps(measure(arguments.identities, extra, arguments.runs)), flush=True)


if __name__ == "__main__":
    main()
