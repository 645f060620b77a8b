"""Large-estate benchmark: the whole path at 10k, 25k, 50k and 100k identities.

For each size the synthetic generator's inventory is written once, then, each in its own process
(so peak memory is the command's own):

- ``nhiscan scan inventory:… --format json,html,sarif,pdf`` into a fresh SQLite history: wall
  time, CPU seconds (the scan and its worker processes), peak memory, the per-phase split from
  results.json (``scan.timings``), and the size of each output (report.html, results.sarif raw
  and gzipped, results.json, report.pdf);
- ``nhiscan report SCAN_ID --format pdf`` from that history (its summary only), then
  ``--format html,sarif`` (the whole results read back), and ``nhiscan report results.json
  --format html`` from the file the scan wrote;
- a second scan of the same inventory as of a week later (so credentials age past their limits and
  the diff has failures to read back), then ``nhiscan diff OLD NEW`` by scan id;
- the history database's size after one and after two scans.

    python benchmarks/bench_large.py                   # 10000 25000 50000 100000
    python benchmarks/bench_large.py 10000 25000

Results print as one JSON line per size; the growth is linear when seconds / identities stays
flat across sizes. Peak memory is given twice: the largest process's peak resident size (GNU
time's %M) and the peak of the whole process tree's resident sizes added up, sampled every 50 ms
(the scan with its PDF and packing workers; pages they share are counted in each, so it is an
upper bound; proportional set sizes would walk every page table at each sample and slow the scan
down). CPU seconds are steadier than wall time on a shared machine: compare those between runs on
different days.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or "nhiscan"


@dataclasses.dataclass
class Timed:
    seconds: float  # wall
    cpu_seconds: float  # user and system, the command's and its waited-for workers'
    peak_mb: int  # the largest process's peak resident size
    tree_peak_mb: int  # the process tree's peak of resident sizes added up
    done: subprocess.CompletedProcess[str]


def timed(command: list[str], env: dict[str, str]) -> Timed:
    """One command's figures (see Timed), from GNU time and a sampler of /proc."""
    started = time.perf_counter()
    measured = ["/usr/bin/time", "-f", "%M %U %S", *command]
    process = subprocess.Popen(measured, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    tree_peak_kb = 0

    def sample() -> None:
        nonlocal tree_peak_kb
        while process.poll() is None:
            tree_peak_kb = max(tree_peak_kb, sum(map(_resident_kb, _tree(process.pid))))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    stdout, stderr = process.communicate()
    sampler.join()
    elapsed = time.perf_counter() - started
    peak_kb, user, system = stderr.strip().splitlines()[-1].split()
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    cpu = float(user) + float(system)
    return Timed(round(elapsed, 1), round(cpu, 1), round(int(peak_kb) / 1024), round(tree_peak_kb / 1024), done)


def checked(run: Timed) -> Timed:
    """``run``, or the benchmark stops where a command it times failed."""
    if run.done.returncode != 0:
        raise SystemExit(f"{' '.join(run.done.args[:3])} failed ({run.done.returncode}): {run.done.stderr[-500:]}")
    return run


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants."""
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        try:
            with open(f"/proc/{current}/task/{current}/children") as children:
                pending.extend(int(child) for child in children.read().split())
        except OSError:  # gone meanwhile
            continue
    return found


def _resident_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:  # gone meanwhile
        pass
    return 0


def mb(path: Path) -> float:
    return round(path.stat().st_size / 1e6, 1) if path.exists() else 0.0


def measure(identities: int, work: Path) -> dict[str, object]:
    inventory = work / f"inv-{identities}.json"
    if not inventory.exists():
        subprocess.run([sys.executable, str(HERE / "synthetic.py"), str(identities), "-o", str(inventory)], check=True)
    database = work / f"history-{identities}.db"
    database.unlink(missing_ok=True)
    env = {**os.environ, "NHISCAN_DB": str(database)}
    out = work / f"out-{identities}"
    shutil.rmtree(out, ignore_errors=True)
    scan = [NHISCAN, "scan", f"inventory:{inventory}", "--format", "json,html,sarif,pdf", "--fail-on", "none",
            "--quiet", "--output-dir", str(out)]  # fmt: skip
    scanned = checked(timed(scan, env))
    results = json.loads((out / "results.json").read_text())
    first_id = results["scan"]["id"]
    history_one = mb(database)
    reported = timed([NHISCAN, "report", first_id, "--format", "pdf", "-o", str(work / "r")], env)
    # the whole results read back: from the history, and from the results.json file
    rerendered = checked(timed([NHISCAN, "report", first_id, "--format", "html,sarif", "-o", str(work / "r")], env))
    read_file = [NHISCAN, "report", str(out / "results.json"), "--format", "html", "-o", str(work / "r")]
    from_file = checked(timed(read_file, env))
    week_later = (datetime.fromisoformat(results["scan"]["as_of"].replace("Z", "+00:00")) + timedelta(days=7)).date()
    timed([*scan, "--as-of", week_later.isoformat()], env)  # a week on: credentials age past their limits
    second_id = json.loads((out / "results.json").read_text())["scan"]["id"]
    drift = work / "drift.json"
    diffed = timed([NHISCAN, "diff", first_id, second_id, "-o", str(drift)], env)
    diff_new = len(json.loads(drift.read_text())["new_failures"])
    sarif = out / "results.sarif"
    return {
        "identities": identities,
        "findings": len(results["findings"]),
        "scan_seconds": scanned.seconds,
        "scan_cpu_seconds": scanned.cpu_seconds,
        "scan_peak_mb": scanned.peak_mb,
        "scan_tree_peak_mb": scanned.tree_peak_mb,
        "phases": results["scan"].get("timings", {}),
        "report_html_mb": mb(out / "report.html"),
        "results_sarif_mb": mb(sarif),
        "results_sarif_gzip_mb": round(len(gzip.compress(sarif.read_bytes())) / 1e6, 1),
        "sarif_results": len(json.loads(sarif.read_text())["runs"][0]["results"]),
        "results_json_mb": mb(out / "results.json"),
        "report_pdf_mb": mb(out / "report.pdf"),
        "report_pdf_from_history_seconds": reported.seconds,
        "report_pdf_from_history_peak_mb": reported.peak_mb,
        "report_html_sarif_from_history_seconds": rerendered.seconds,
        "report_html_sarif_from_history_peak_mb": rerendered.peak_mb,
        "report_html_from_results_file_seconds": from_file.seconds,
        "report_html_from_results_file_peak_mb": from_file.peak_mb,
        "diff_seconds": diffed.seconds,
        "diff_new_failures": diff_new,
        "diff_peak_mb": diffed.peak_mb,
        "history_mb_one_scan": history_one,
        "history_mb_two_scans": mb(database),
        "seconds_per_1000_identities": round(scanned.seconds / identities * 1000, 2),
        "cpu_seconds_per_1000_identities": round(scanned.cpu_seconds / identities * 1000, 2),
    }


def each_size(
    measure_one: Callable[[int, Path], dict[str, object]], sizes: list[int], doc: str | None, prefix: str
) -> None:
    """The command line of a benchmark over estate sizes: the sizes (``sizes`` by default) and a
    work folder; one JSON line of figures per size."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sizes", nargs="*", type=int, default=sizes)
    parser.add_argument("--work", type=Path, help="Folder for inventories and outputs (default: a temporary one).")
    arguments = parser.parse_args()
    work = arguments.work or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    for size in arguments.sizes:
        print(json.dumps(measure_one(size, work)), flush=True)


def main() -> None:
    each_size(measure, [10000, 25000, 50000, 100000], __doc__, "nhiscan-large-")


if __name__ == "__main__":
    main()
