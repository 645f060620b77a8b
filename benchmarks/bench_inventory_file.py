"""Scanning an estate again from its inventory.json, at 100,000 and 300,000 identities.

For each size the synthetic generator's inventory is written (at 300,000 identities it is about
600 MB, past the 512 MiB limit on input files read whole), then, each in its own process (so peak
memory is the command's own):

- reading it into the model (``load_inventory``), the way a scan's collect phase does;
- ``nhiscan scan inventory:… --format json --no-history``, with its phases.

Results print as one JSON line per size; a command that fails prints its exit code and its error
line instead of figures.

    python benchmarks/bench_inventory_file.py                  # 100000 300000
    python benchmarks/bench_inventory_file.py 25000 --work /tmp/bench
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
READ = "from pathlib import Path; from scanner.inventory_io import load_inventory; load_inventory(Path({path!r}))"


def measure(identities: int, work: Path) -> dict[str, object]:
    from bench_results_file import NHISCAN, scan_header, timed

    inventory = work / f"inv-{identities}.json"
    if not inventory.exists():
        subprocess.run([sys.executable, str(HERE / "synthetic.py"), str(identities), "-o", str(inventory)], check=True)
    out = work / f"scan-{identities}"
    scan = [NHISCAN, "scan", f"inventory:{inventory}", "--format", "json", "--fail-on", "none", "--quiet",
            "--no-history", "--output-dir", str(out)]  # fmt: skip
    read = timed([sys.executable, "-c", READ.format(path=str(inventory))])
    scanned = timed(scan)
    if "seconds" in scanned:
        scanned["phases"] = scan_header(out / "results.json").get("timings", {})
    return {
        "identities": identities,
        "inventory_mb": round(inventory.stat().st_size / 1e6, 1),
        "load_inventory": read,
        "scan": scanned,
    }


def main() -> None:
    from bench_large import each_size

    each_size(measure, [100000, 300000], __doc__, "nhiscan-inventory-")


if __name__ == "__main__":
    main()
