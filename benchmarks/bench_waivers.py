"""Waiver benchmark: the CPU time waivers add to a scan of the synthetic estate.

Half the waivers name one credential exactly, half a prefix pattern, across nine controls; the
scan runs once without and once with them, in this process. With ``--distinct-patterns`` every
waiver is a pattern of its own (one credential's uid and ``*``): past 32,768 distinct patterns,
fnmatch's own cache of compiled patterns no longer holds them all. With ``--exact`` every waiver
names one credential exactly (a waivers file written from a list of accepted findings).

    python benchmarks/bench_waivers.py 20000 500      # identities, waivers
    python benchmarks/bench_waivers.py 20000 40000 --distinct-patterns
    python benchmarks/bench_waivers.py 20000 20000 --exact
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description="nhiscan waiver benchmark")
    parser.add_argument("identities", type=int, nargs="?", default=20_000)
    parser.add_argument("waivers", type=int, nargs="?", default=500)
    parser.add_argument("--distinct-patterns", action="store_true", help="every waiver a pattern of its own")
    parser.add_argument("--exact", action="store_true", help="every waiver names one credential exactly")
    arguments = parser.parse_args()
    sys.path.insert(0, str(HERE))
    from synthetic import build

    from scanner.engine.waivers import covering
    from scanner.scan import ScanOptions, load_catalogs, run_scan

    inventory = build(arguments.identities, 3.0)
    chooser = random.Random(3)
    uids = [credential.uid for credential in inventory.credentials]
    lines = ["waivers:"]
    for index in range(arguments.waivers):
        if arguments.distinct_patterns:
            resource = uids[index % len(uids)] + "*"
        elif arguments.exact:
            resource = uids[index % len(uids)]
        else:
            resource = chooser.choice(uids) if index % 2 else chooser.choice(uids)[:30] + "*"
        lines += [f'  - control: "NHI-CRED-00{1 + index % 9}"', f'    resource: "{resource}"',
                  "    owner: a@example.com", "    reason: benchmark", "    expires: 2027-01-01"]  # fmt: skip
    waivers = Path(tempfile.mkdtemp()) / "waivers.yaml"
    waivers.write_text("\n".join(lines) + "\n")
    catalogs = load_catalogs()
    started = time.process_time()
    run_scan(inventory, catalogs, ScanOptions())
    plain = time.process_time() - started
    started = time.process_time()
    waived = run_scan(inventory, catalogs, ScanOptions(waivers=waivers))
    with_waivers = time.process_time() - started
    started = time.process_time()  # what a merged report asks of each shard's waivers (history/waiver_listing)
    covering(waived.waivers.applied, waived.findings, {"waived"})
    listing = time.process_time() - started
    print(
        f"{arguments.identities} identities, {arguments.waivers} waivers: scan {plain:.1f} s, with waivers "
        f"{with_waivers:.1f} s CPU ({len(waived.waivers.applied)} applied, {waived.gate['waived_findings']} waived); "
        f"the waivers covering the waived findings found in {listing:.2f} s CPU"
    )


if __name__ == "__main__":
    main()
