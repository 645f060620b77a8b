"""Reading results.json files back, at 100,000 and 110,000 identities: the commands that take an
earlier scan's results.json rather than a stored scan.

For each size the synthetic generator's inventory is scanned twice into files (``--no-history``),
the second time as of a week later, so the two differ. Then, each in its own process (so peak
memory is the command's own):

- ``nhiscan report OLD/results.json --format json,html``;
- ``nhiscan diff OLD/results.json NEW/results.json``;
- ``nhiscan scan inventory:… --baseline OLD/results.json --format json`` (the CI gate on new failures),
  beside the same scan without a baseline.

A 110,000-identity scan's results.json is past the 512 MiB limit on input files that are read
whole. Results print as one JSON line per size; a command that fails prints its exit code and its
error line instead of figures.

    python benchmarks/bench_results_file.py                  # 100000 110000
    python benchmarks/bench_results_file.py 25000 --work /tmp/bench
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or "nhiscan"


def timed(command: list[str]) -> dict[str, object]:
    """Wall seconds and peak resident MB of one command, or how it failed."""
    from bench_large import timed as timed_by_gnu_time

    measured = timed_by_gnu_time(command, dict(os.environ))
    if measured.done.returncode not in (0, 1):  # 1: the gate failed, as it may
        lines = measured.done.stderr.splitlines()
        return {"exit": measured.done.returncode, "error": next((line for line in lines if "error" in line), lines[:1])}
    return {"seconds": measured.seconds, "peak_mb": measured.peak_mb}


def scan_header(results: Path) -> dict[str, object]:
    """results.json's ``scan`` object, from its own line near the top (the file is large)."""
    with results.open("rb") as stream:
        for line in stream:
            if line.startswith(b' "scan": '):
                header: dict[str, object] = json.loads(line.split(b": ", 1)[1].rstrip(b",\n"))
                return header
    raise SystemExit(f"{results}: no scan line")


def measure(identities: int, work: Path) -> dict[str, object]:
    inventory = work / f"inv-{identities}.json"
    if not inventory.exists():
        subprocess.run([sys.executable, str(HERE / "synthetic.py"), str(identities), "-o", str(inventory)], check=True)
    old, new = work / f"old-{identities}", work / f"new-{identities}"
    scan = [NHISCAN, "scan", f"inventory:{inventory}", "--format", "json", "--fail-on", "none", "--quiet",
            "--no-history"]  # fmt: skip
    subprocess.run([*scan, "--output-dir", str(old)], check=True)
    as_of = str(scan_header(old / "results.json")["as_of"])
    week_later = (datetime.fromisoformat(as_of.replace("Z", "+00:00")) + timedelta(days=7)).date()
    subprocess.run([*scan, "--as-of", week_later.isoformat(), "--output-dir", str(new)], check=True)
    results = old / "results.json"
    return {
        "identities": identities,
        "results_json_mb": round(results.stat().st_size / 1e6, 1),
        "report_json_html": timed([NHISCAN, "report", str(results), "--format", "json,html", "-o", str(work / "r")]),
        "diff": timed([NHISCAN, "diff", str(results), str(new / "results.json"), "-o", str(work / "drift.json")]),
        "scan": timed([*scan, "--output-dir", str(work / "s")]),
        "scan_with_baseline": timed([*scan, "--baseline", str(results), "--output-dir", str(work / "s")]),
    }


def main() -> None:
    from bench_large import each_size

    each_size(measure, [100000, 110000], __doc__, "nhiscan-results-file-")


if __name__ == "__main__":
    main()
