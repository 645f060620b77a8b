"""GCP source benchmark: P projects holding S service accounts and K keys in all, against the local
gRPC IAM and REST servers the tests use, through the real client libraries.

Reported: wall time, requests by method, and requests per project. Service-account keys can only be
listed per account (the IAM API has no bulk key listing); those calls run 8 at a time per project,
and 8 projects at a time.

    python benchmarks/bench_gcp.py                 # 50 projects, 2,000 service accounts, 4,000 keys
    python benchmarks/bench_gcp.py 10 400 800
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def seed(state, projects: int, accounts: int, keys: int) -> list[str]:  # type: ignore[no-untyped-def]
    names = [f"bench-{n:03d}" for n in range(projects)]
    state.page_size = 100
    for index in range(accounts):
        project = names[index % projects]
        email = f"sa-{index:05d}@{project}.iam.gserviceaccount.com"
        state.accounts.setdefault(project, []).append(
            {"name": f"projects/{project}/serviceAccounts/{email}", "projectId": project, "email": email,
             "displayName": f"sa-{index}"}
        )  # fmt: skip
        key = {
            "validAfterTime": "2025-01-01T00:00:00Z",
            "validBeforeTime": "9999-12-31T23:59:59Z",
            "keyType": "USER_MANAGED",
        }
        state.keys[email] = [
            key | {"name": f"projects/{project}/serviceAccounts/{email}/keys/k{index}x{k}"}
            for k in range(keys // accounts)
        ]
    for project in names:
        members = [f"serviceAccount:{a['email']}" for a in state.accounts.get(project, [])[:5]]
        state.projects[project] = {
            "parent": "organizations/1",
            "policy": {"bindings": [{"role": "roles/editor", "members": members}]},
        }
    return names


def measure(projects: int, accounts: int, keys: int) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from scanner.sources.gcp.collector import GcpScope, collect_gcp
    from tests.gcp_fake import FakeGcp

    fake = FakeGcp()
    names = seed(fake.state, projects, accounts, keys)
    clients = fake.clients()
    started = time.perf_counter()
    inventory = collect_gcp(clients, GcpScope(projects=tuple(names)))
    elapsed = time.perf_counter() - started
    requests = dict(fake.state.requests)
    fake.stop()
    total = sum(requests.values())
    return {
        "projects": projects,
        "service_accounts": len(inventory.identities),
        "keys": sum(1 for c in inventory.credentials if c.kind == "sa_key"),
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_project": round(total / projects, 1),
        "by_method": requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("projects", nargs="?", type=int, default=50)
    parser.add_argument("accounts", nargs="?", type=int, default=2000)
    parser.add_argument("keys", nargs="?", type=int, default=4000)
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.projects, arguments.accounts, arguments.keys)))


if __name__ == "__main__":
    main()
