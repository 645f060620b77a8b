"""AWS Organization benchmark: an org-wide scan (``--aws-org-role``) against moto as accounts grow.

A server process runs moto behind the tests' front and seeds an Organization of N member accounts,
each with 2,000 identities (1,500 users with 1-2 keys and policies, 500 roles) straight into moto's
backend objects. The scan is the real command line in its own process, so its wall time and peak
memory are its own: ``nhiscan scan aws --aws-org-role OrganizationAccountAccessRole``.

Reported per size: wall seconds, the phases recorded in results.json ``scan.timings`` (collect,
evaluate) and the rest (start-up and writing reports), the scan process's own CPU seconds, the CPU
seconds the moto process (moto and the front, one process answering every account) spent during
the scan and its share of the scan's wall time, the scan's peak RSS, and requests in total and per
1,000 identities. For the collect phase alone (from the inventory's collection time to the start
of the evaluation, sampled from /proc every 0.2 s): the CPU seconds of the scan, of moto and of
every other process on the machine (the benchmark shares the machine), and the scan's peak RSS.
Collecting cannot finish before moto has answered, and moto answers from one Python process (one
core at a time): the collect phase takes at least moto's collect CPU seconds, whatever the scan does.

    python benchmarks/bench_aws_org.py                 # 10, 30 and 50 accounts
    python benchmarks/bench_aws_org.py 50 --format json,html,pdf
    python benchmarks/bench_aws_org.py 10 --profile scan.prof   # the scan under cProfile
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
USERS, ROLES = 1500, 500
ORG_ROLE = "OrganizationAccountAccessRole"


def serve(accounts: int) -> None:
    """Seed the organisation, print the endpoint, serve until stdin closes."""
    sys.path.insert(0, str(REPO))
    import boto3

    from benchmarks.bench_aws import seed
    from tests.aws_fake import FakeAws

    fake = FakeAws()
    started = time.perf_counter()
    organizations = boto3.client(
        "organizations",
        endpoint_url=fake.endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    organizations.create_organization(FeatureSet="ALL")
    members = [
        organizations.create_account(Email=f"member{index}@example.com", AccountName=f"member-{index:02d}")[
            "CreateAccountStatus"
        ]["AccountId"]
        for index in range(accounts)
    ]
    for account in members:
        seed(USERS, account, ROLES)
    fake.state.requests.clear()
    print(json.dumps({"endpoint": fake.endpoint, "seconds": round(time.perf_counter() - started, 1)}), flush=True)
    sys.stdin.read()
    fake.stop()


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a running process has used (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU seconds every process on the machine has spent (Linux /proc/stat, all cores)."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    busy = fields[0] + fields[1] + fields[2] + sum(fields[5:8])  # user nice system, irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


class CpuSampler(threading.Thread):
    """(epoch seconds, CPU seconds of the scan, of moto, of the whole machine) every ``interval``,
    to split CPU between the scan's phases (results.json gives their wall-clock bounds)."""

    def __init__(self, scan: int, moto: int, interval: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.scan, self.moto, self.interval = scan, moto, interval
        self.samples: list[tuple[float, float, float, float, float]] = []
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                scan, moto, memory = cpu_seconds(self.scan), cpu_seconds(self.moto), rss_mb(self.scan)
            except (FileNotFoundError, ProcessLookupError):
                return
            self.samples.append((time.time(), scan, moto, machine_busy_seconds(), memory))
            self.done.wait(self.interval)

    def between(self, start: float, end: float) -> tuple[float, float, float]:
        """CPU seconds of the scan, of moto and of every other process between two epoch times."""

        def at(moment: float) -> tuple[float, float, float, float, float]:
            return min(self.samples, key=lambda sample: abs(sample[0] - moment))

        first, last = at(start), at(end)
        scan, moto, machine = (last[index] - first[index] for index in (1, 2, 3))
        return scan, moto, machine - scan - moto

    def peak_rss_mb(self, start: float, end: float) -> float:
        return max((sample[4] for sample in self.samples if start <= sample[0] <= end), default=0.0)


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(accounts: int, formats: str, profile: str | None = None) -> dict[str, object]:
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(accounts)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        ready = json.loads(server.stdout.readline())
        env = {
            **os.environ,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": ready["endpoint"],
            "AWS_CONFIG_FILE": "/nonexistent",
            "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        }
        with tempfile.TemporaryDirectory() as out:
            profiler = ["-m", "cProfile", "-o", profile] if profile else []
            command = [
                sys.executable, *profiler, "-m", "scanner.cli", "scan", "aws", "--aws-org-role", ORG_ROLE,
                "--aws-regions", "us-east-1", "--format", formats, "--output-dir", out, "-q", "--no-history",
            ]  # fmt: skip
            moto_before = cpu_seconds(server.pid)
            started = time.perf_counter()
            scan = subprocess.Popen(command, env=env, cwd=REPO)
            sampler = CpuSampler(scan.pid, server.pid)
            sampler.start()
            _, status, usage = os.wait4(scan.pid, 0)
            sampler.done.set()
            wall = time.perf_counter() - started
            moto_cpu = cpu_seconds(server.pid) - moto_before
            results = json.loads((Path(out) / "results.json").read_text())
        with urllib.request.urlopen(f"{ready['endpoint']}/_fake/requests") as response:
            requests = json.loads(response.read())
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=60)
    identities = sum(results["inventory_summary"]["identities"].values())
    timings = results["scan"]["timings"]
    # collection runs from the inventory's collection time to the start of the evaluation
    collect_start = datetime.fromisoformat(results["inventory"]["collected_at"].replace("Z", "+00:00")).timestamp()
    collect_end = datetime.fromisoformat(results["scan"]["started"].replace("Z", "+00:00")).timestamp()
    scan_collect_cpu, moto_collect_cpu, other_cpu = sampler.between(collect_start, collect_end)
    total = sum(requests.values())
    return {
        "accounts": accounts + 1,
        "identities": identities,
        "seed_seconds": ready["seconds"],
        "exit_code": os.waitstatus_to_exitcode(status),
        "wall_seconds": round(wall, 1),
        "collect_seconds": round(timings["collect"], 1),
        "evaluate_seconds": round(timings["evaluate"], 1),
        "startup_and_write_seconds": round(wall - timings["collect"] - timings["evaluate"], 1),
        "scan_cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
        "moto_cpu_seconds": round(moto_cpu, 1),
        "moto_cpu_share_of_wall": round(moto_cpu / wall, 2),
        "collect_scan_cpu_seconds": round(scan_collect_cpu, 1),
        "collect_moto_cpu_seconds": round(moto_collect_cpu, 1),
        "collect_other_cpu_seconds": round(other_cpu, 1),
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "collect_peak_rss_mb": round(sampler.peak_rss_mb(collect_start, collect_end)),
        "requests": total,
        "requests_per_1000_identities": round(1000 * total / max(1, identities), 1),
        "sources": sorted({s["status"] for s in results["scan"]["sources"]}),
        "top_requests": dict(sorted(requests.items(), key=lambda kv: -kv[1])[:6]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("accounts", nargs="*", type=int, default=[10, 30, 50])
    parser.add_argument("--format", default="json,html")
    parser.add_argument("--profile", help="write the scan's cProfile statistics to this file")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve is not None:
        serve(arguments.serve)
        return
    for accounts in arguments.accounts:
        several = arguments.profile and len(arguments.accounts) > 1
        profile = f"{arguments.profile}.{accounts}" if several else arguments.profile
        print(json.dumps(measure(accounts, arguments.format, profile)), flush=True)


if __name__ == "__main__":
    main()
