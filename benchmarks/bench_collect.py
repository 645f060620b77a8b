"""Collect-phase benchmark: reading an inventory file as ``nhiscan scan inventory:FILE`` does.

Each run is its own process (so peak memory is the phase's own): the file is read, checked against
the schema and for nesting and duplicate uids, built into the model, redacted and linked, exactly
the steps ``scan.timings.collect`` covers. The garbage collector is tuned as the CLI tunes it.

    python benchmarks/bench_collect.py /work/bench/inv-100000.json [--repeat 3]

Prints one JSON line per run: wall and CPU seconds, peak resident MB, records read.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

_RUN = """
import gc, json, resource, sys, time
gc.set_threshold(100_000, 50, 1000)  # as scanner.cli sets it
from scanner.cli import _collect
wall, cpu = time.perf_counter(), time.process_time()
inventory = _collect((f"inventory:{sys.argv[1]}",), {}, quiet=True)
print(json.dumps({
    "file": sys.argv[1],
    "seconds": round(time.perf_counter() - wall, 2),
    "cpu_seconds": round(time.process_time() - cpu, 2),
    "peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    "records": sum(len(getattr(inventory, name)) for name in ("identities", "credentials", "grants", "agents")),
}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inventory")
    parser.add_argument("--repeat", type=int, default=1)
    arguments = parser.parse_args()
    for _ in range(arguments.repeat):
        subprocess.run([sys.executable, "-c", _RUN, arguments.inventory], check=True)


if __name__ == "__main__":
    main()
