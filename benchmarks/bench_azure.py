"""Azure source benchmark: a tenant of N service principals and M applications against the local
Graph and ARM server the tests use (HTTPS, pages of 999, $batch of 20), through the real client.

Reported: wall time of the collection, requests by endpoint, and requests per 1,000 objects.

    python benchmarks/bench_azure.py                  # 20,000 service principals, 5,000 applications
    python benchmarks/bench_azure.py 2000 500
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def seed(state, principals: int, applications: int) -> None:  # type: ignore[no-untyped-def]
    state.page_size = 999
    state.organization = [{"id": state.tenant, "displayName": "bench.onmicrosoft.com"}]
    state.applications = [
        {"id": f"a{n:07d}-0000-4000-8000-000000000000", "appId": f"b{n:07d}-0000-4000-8000-000000000000",
         "displayName": f"app-{n}", "createdDateTime": "2025-01-01T00:00:00Z",
         "passwordCredentials": [{"keyId": f"c{n:07d}-0000-4000-8000-000000000000", "displayName": "ci",
                                  "startDateTime": "2025-06-01T00:00:00Z", "endDateTime": "2027-06-01T00:00:00Z"}],
         "keyCredentials": []}
        for n in range(applications)
    ]  # fmt: skip
    state.service_principals = [
        {"id": f"d{n:07d}-0000-4000-8000-000000000000", "appId": f"b{n:07d}-0000-4000-8000-000000000000",
         "displayName": f"sp-{n}", "servicePrincipalType": "ManagedIdentity" if n % 10 == 0 else "Application",
         "appOwnerOrganizationId": state.tenant, "createdDateTime": "2025-01-01T00:00:00Z"}
        for n in range(principals)
    ]  # fmt: skip
    state.sign_ins = []
    state.credential_sign_ins = []


def measure(principals: int, applications: int) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from scanner.sources.azure.client import AzureCalls
    from scanner.sources.azure.collector import collect_azure
    from tests.azure_fake import FakeAzure, FakeCredential, fake_cloud

    with tempfile.TemporaryDirectory() as directory:
        fake = FakeAzure(Path(directory))
        os.environ["REQUESTS_CA_BUNDLE"] = str(fake.cert)
        seed(fake.state, principals, applications)
        calls = AzureCalls(FakeCredential(), fake_cloud(fake))
        started = time.perf_counter()
        inventory = collect_azure(FakeCredential(), None, calls)
        elapsed = time.perf_counter() - started
        requests = dict(fake.state.requests)
        fake.stop()
    total = sum(requests.values())
    return {
        "service_principals": principals,
        "applications": applications,
        "identities": len(inventory.identities),
        "seconds": round(elapsed, 1),
        "requests": total,
        "batch_requests": requests.get("POST /v1.0/$batch", 0),
        "list_pages": {k: v for k, v in requests.items() if k.startswith("GET /v1.0/")},
        "requests_per_1000_objects": round(1000 * total / (principals + applications), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("principals", nargs="?", type=int, default=20000)
    parser.add_argument("applications", nargs="?", type=int, default=5000)
    arguments = parser.parse_args()
    print(json.dumps(measure(arguments.principals, arguments.applications)))


if __name__ == "__main__":
    main()
