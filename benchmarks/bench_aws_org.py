"""AWS Organization benchmark: an org-wide scan (``--aws-org-role``) against moto as accounts grow.

A server process runs moto behind the tests' front and seeds an Organization of N member accounts,
each with 2,000 identities (1,500 users with 1-2 keys and policies, 500 roles) straight into moto's
backend objects. The scan is the real command line in its own process, so its wall time and peak
memory are its own: ``nhiscan scan aws --aws-org-role OrganizationAccountAccessRole``.

Reported per size: wall seconds, the phases recorded in results.json ``scan.timings`` (collect,
evaluate) and the rest (start-up and writing reports), the scan process's own CPU seconds (the
wall time also waits on moto, one process answering every account), its peak RSS, and requests in
total and per 1,000 identities.

    python benchmarks/bench_aws_org.py                 # 10, 30 and 50 accounts
    python benchmarks/bench_aws_org.py 50 --format json,html,pdf
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
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


def measure(accounts: int, formats: str) -> dict[str, object]:
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
            command = [
                sys.executable, "-m", "scanner.cli", "scan", "aws", "--aws-org-role", ORG_ROLE,
                "--aws-regions", "us-east-1", "--format", formats, "--output-dir", out, "-q", "--no-history",
            ]  # fmt: skip
            started = time.perf_counter()
            scan = subprocess.Popen(command, env=env, cwd=REPO)
            _, status, usage = os.wait4(scan.pid, 0)
            wall = time.perf_counter() - started
            results = json.loads((Path(out) / "results.json").read_text())
        with urllib.request.urlopen(f"{ready['endpoint']}/_fake/requests") as response:
            requests = json.loads(response.read())
    finally:
        if server.stdin:
            server.stdin.close()
        server.wait(timeout=60)
    identities = sum(results["inventory_summary"]["identities"].values())
    timings = results["scan"]["timings"]
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
        "peak_rss_mb": round(usage.ru_maxrss / 1024),
        "requests": total,
        "requests_per_1000_identities": round(1000 * total / max(1, identities), 1),
        "sources": sorted({s["status"] for s in results["scan"]["sources"]}),
        "top_requests": dict(sorted(requests.items(), key=lambda kv: -kv[1])[:6]),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("accounts", nargs="*", type=int, default=[10, 30, 50])
    parser.add_argument("--format", default="json,html")
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.serve is not None:
        serve(arguments.serve)
        return
    for accounts in arguments.accounts:
        print(json.dumps(measure(accounts, arguments.format)), flush=True)


if __name__ == "__main__":
    main()
