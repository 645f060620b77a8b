"""GCP source benchmark: an organisation of P projects in nested folders (10 top folders of 10
subfolders each) holding S service accounts and K keys, against the local gRPC and REST servers the
tests use, through the real client libraries.

Reported per run: wall time, requests (total, by method, per project) for the Cloud Asset Inventory
path, and, with --growth, how requests grow with projects on both paths (the per-project path at
smaller sizes: it makes two IAM calls per service account).

    python benchmarks/bench_gcp.py                          # 1,000 projects, 20,000 accounts, 40,000 keys
    python benchmarks/bench_gcp.py 100 2000 4000 --growth 10,50,100
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
VERTEX_PROJECTS = 2  # projects with the Vertex AI API on: asked in every Agent Engine region


def seed(state, projects: int, accounts: int, keys: int) -> list[str]:  # type: ignore[no-untyped-def]
    org = state.organization
    names = [f"bench-{n:04d}" for n in range(projects)]
    for top in range(10):
        state.folders[f"folders/{1000 + top}"] = {"parent": org}
        for sub in range(10):
            state.folders[f"folders/{1000 + top}{sub:02d}"] = {"parent": f"folders/{1000 + top}"}
    when = (datetime.now(UTC) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    for index in range(accounts):
        project = names[index % projects]
        email = f"sa-{index:05d}@{project}.iam.gserviceaccount.com"
        name = f"projects/{project}/serviceAccounts/{email}"
        state.accounts.setdefault(project, []).append(
            {"name": name, "projectId": project, "email": email, "displayName": f"sa-{index}",
             "uniqueId": str(100000000000000000000 + index)}
        )  # fmt: skip
        state.keys[email] = [
            {"name": f"{name}/keys/k{index}x{k}", "validAfterTime": "2025-01-01T00:00:00Z",
             "validBeforeTime": "9999-12-31T23:59:59Z", "keyType": "USER_MANAGED", "keyAlgorithm": "KEY_ALG_RSA_2048"}
            for k in range(keys // accounts)
        ]  # fmt: skip
        if index % 10 == 0:
            state.account_policies[email] = {
                "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["user:dev@example.com"]}]
            }
        activity = {
            "serviceAccount": {"fullResourceName": f"//iam.googleapis.com/{name}"},
            "lastAuthenticatedTime": when,
        }
        kinds = state.activities.setdefault(project, {})
        kinds.setdefault("serviceAccountLastAuthentication", []).append({"activity": activity})
    for number, project in enumerate(names):
        members = [f"serviceAccount:{a['email']}" for a in state.accounts.get(project, [])[:5]]
        state.projects[project] = {
            "parent": f"folders/{1000 + number // 100 % 10}{number // 10 % 10:02d}",
            "policy": {"bindings": [{"role": "roles/editor", "members": members}]},
        }
        if number >= VERTEX_PROJECTS:
            state.disabled.add(f"/v1/projects/{project}/locations/us-central1/reasoningEngines")
        else:
            state.vertex_enabled.add(project)
    state.parents[org] = {"auditConfigs": [{"service": "allServices", "auditLogConfigs": [{"logType": "DATA_READ"}]}]}
    return names


def measure(projects: int, accounts: int, keys: int, assets: bool) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from scanner.sources.gcp.collector import GcpScope, collect_gcp
    from tests.gcp_assets import AssetIndex
    from tests.gcp_fake import FakeGcp

    fake = FakeGcp()
    seed(fake.state, projects, accounts, keys)
    clients = fake.clients(assets=assets)
    if assets:  # the fake builds its answers before the clock starts: the scanner is measured, not the fake
        AssetIndex(fake.state).warm(fake.state.organization)
    started = time.perf_counter()
    inventory = collect_gcp(clients, GcpScope(parent=fake.state.organization))
    elapsed = time.perf_counter() - started
    requests = dict(fake.state.requests)
    fake.stop()
    total = sum(requests.values())
    return {
        "path": "cloud_asset_inventory" if assets else "per_project",
        "projects": len(inventory.accounts),
        "service_accounts": len(inventory.identities),
        "keys": sum(1 for c in inventory.credentials if c.kind == "sa_key"),
        "gaps": sum(len(s.errors) for s in inventory.sources),
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_project": round(total / projects, 2),
        "by_method": requests,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("projects", nargs="?", type=int, default=1000)
    parser.add_argument("accounts", nargs="?", type=int, default=20000)
    parser.add_argument("keys", nargs="?", type=int, default=40000)
    parser.add_argument("--growth", help="comma-separated project counts: both paths, 20 accounts and 40 keys each")
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.projects, arguments.accounts, arguments.keys, True)))
    for size in [int(n) for n in (arguments.growth or "").split(",") if n]:
        for assets in (True, False):
            row = measure(size, size * 20, size * 40, assets)
            row.pop("by_method")
            print(json.dumps(row))


if __name__ == "__main__":
    main()
