"""AWS source benchmark: inventory time and HTTP requests against moto as the estate grows.

moto runs in this process (its server on 127.0.0.1), behind the tests' front that counts every
request by API. Users (1-2 keys each, an inline policy, some with a managed policy) and 1,000
roles are seeded straight into moto's backend, which is fast; the scan then goes over real HTTP.
Reported: wall time of the AWS collection (one account, one region), requests by API, and
requests beyond the per-user key-id listing.

    python benchmarks/bench_aws.py                  # 200, 2,000 and 10,000 users
    python benchmarks/bench_aws.py 10000 --key-ids all   # list every key id too
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
ACCOUNT = "123456789012"
ROLES = 1000


def _policy(action: str, principal: dict[str, str] | None = None) -> str:
    statement: dict[str, object] = {"Effect": "Allow", "Action": action}
    statement.update({"Principal": principal} if principal else {"Resource": "*"})
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def seed(users: int, account: str = ACCOUNT, roles: int = ROLES) -> None:
    """``users`` users (an inline policy each, a third with a shared managed policy, 1-2 keys)
    and ``roles`` Lambda roles, straight into moto's IAM backend of ``account``."""
    from moto.iam.models import iam_backends

    backend = iam_backends[account]["aws"]
    rng = random.Random(7)
    shared = backend.create_policy(
        description="",
        path="/",
        policy_document=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ),
        policy_name="SharedS3",
        tags=[],
    )
    for index in range(users):
        name = f"svc-{index:05d}"
        backend.create_user("us-east-1", name, tags=[{"Key": "owner", "Value": f"team-{index % 40}@example.com"}])
        document = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": ["sqs:SendMessage"], "Resource": "*"}],
        }
        backend.put_user_policy(name, "inline", json.dumps(document))
        if index % 3 == 0:
            backend.attach_user_policy(shared.arn, name)
        for _ in range(rng.choice((1, 2))):
            backend.create_access_key(name)
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
            ],
        }
    )
    for index in range(roles):
        backend.create_role(f"role-{index:04d}", trust, "/", None, "", [], None)


def measure(users: int, key_ids: str) -> dict[str, object]:
    sys.path.insert(0, str(REPO))
    from scanner.sources.aws.collector import AwsScope, collect_aws
    from tests.aws_fake import FakeAws

    fake = FakeAws()
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=fake.endpoint,
        AWS_CONFIG_FILE="/nonexistent",
        AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
    )
    try:
        started = time.perf_counter()
        seed(users)
        seeded = time.perf_counter() - started
        started = time.perf_counter()
        inventory = collect_aws(AwsScope(regions=("us-east-1",), key_ids=key_ids))
        elapsed = time.perf_counter() - started
        requests = dict(fake.state.requests)
    finally:
        fake.stop()
    total = sum(requests.values())
    key_listing = requests.get("iam:ListAccessKeys", 0)
    return {
        "users": users,
        "key_ids": key_ids,
        "roles": ROLES,
        "identities": len(inventory.identities),
        "access_keys": sum(1 for c in inventory.credentials if c.kind == "access_key"),
        "seed_seconds": round(seeded, 1),
        "inventory_seconds": round(elapsed, 1),
        "requests": total,
        "requests_beyond_key_ids": total - key_listing,
        "requests_beyond_key_ids_per_1000_users": round(1000 * (total - key_listing) / users, 1),
        "authorization_details_pages": requests.get("iam:GetAccountAuthorizationDetails", 0),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("users", nargs="*", type=int, default=[200, 2000, 10000])
    parser.add_argument("--key-ids", choices=["auto", "all", "none"], default="auto")
    arguments = parser.parse_args()
    if len(arguments.users) == 1:
        print(json.dumps(measure(arguments.users[0], arguments.key_ids)), flush=True)
        return
    for users in arguments.users:  # one process per size: moto's backend state is per process
        subprocess.run([sys.executable, __file__, str(users), "--key-ids", arguments.key_ids], check=True)


if __name__ == "__main__":
    main()
