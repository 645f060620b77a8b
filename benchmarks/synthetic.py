"""Synthetic inventories for benchmarks: N identities with about K credentials and K grants each.

Records follow the demo's shapes and mixes (AWS, Azure, GCP; users, roles, service principals,
service accounts; keys of every age; scoped, wildcard and admin policies; agents with tools), with
a fixed seed so every run measures the same data.

    python benchmarks/synthetic.py 100000 -o /tmp/inv-100k.json
"""

from __future__ import annotations

import argparse
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scanner.inventory_io import save_inventory
from scanner.model import Account, Agent, Credential, Grant, Identity, Inventory, LogSource, SourceStatus

COLLECTED_AT = datetime(2026, 11, 1, tzinfo=UTC)
PROVIDERS = {
    "aws": (["user", "role"], "access_key", ["policy"]),
    "azure": (
        ["service_principal", "app_registration", "managed_identity"],
        "client_secret",
        ["role", "app_permission"],
    ),
    "gcp": (["service_account"], "sa_key", ["role"]),
}
GRANT_NAMES = {
    "aws": [
        ("data", ["s3:GetObject", "s3:PutObject"]),
        ("queue", ["sqs:SendMessage"]),
        ("s3-all", ["s3:*"]),
        ("secrets", ["secretsmanager:GetSecretValue"]),
        ("admin", ["*"]),
        ("deploy", ["iam:PassRole", "lambda:*"]),
    ],
    "azure": [
        ("Storage Blob Data Reader", []),
        ("Reader", []),
        ("Contributor", []),
        ("Sites.Read.All", []),
        ("Key Vault Secrets User", []),
        ("Owner", []),
    ],
    "gcp": [
        ("roles/storage.objectViewer", []),
        ("roles/pubsub.publisher", []),
        ("roles/editor", []),
        ("roles/bigquery.dataViewer", []),
        ("roles/secretmanager.secretAccessor", []),
        ("roles/owner", []),
    ],
}
TOOLS = ["get_ticket", "fetch", "filesystem", "shell", "search_docs", "send_email", "issue_refund", "mystery-tool"]


def days_ago(rng: random.Random, low: int, high: int) -> datetime:
    return COLLECTED_AT - timedelta(days=rng.randint(low, high), seconds=rng.randint(0, 86399))


def build(identities: int, per_identity: float = 3.0, seed: int = 7) -> Inventory:
    rng = random.Random(seed)
    inventory = Inventory(collected_at=COLLECTED_AT)
    accounts_per_provider = max(1, identities // 2000)
    for provider in PROVIDERS:
        for index in range(accounts_per_provider):
            uid = f"{provider}-account-{index:04d}"
            kind = {"aws": "account", "azure": "subscription", "gcp": "project"}[provider]
            inventory.accounts.append(
                Account(
                    uid=uid,
                    provider=provider,
                    name=uid,
                    kind=kind,
                    environment=rng.choice(["production", "development"]),
                )
            )
            inventory.sources.append(SourceStatus(name=provider, account=uid))
            if provider == "aws":
                inventory.log_sources.append(
                    LogSource(
                        uid=f"{uid}/trail",
                        provider=provider,
                        account=uid,
                        kind="cloudtrail",
                        enabled=rng.random() < 0.8,
                        covers=["management_read", "management_write"],
                        retention_days=rng.choice([90, 400, None]),
                        attributes={"multi_region": rng.random() < 0.7},
                    )
                )
    providers = list(PROVIDERS)
    for index in range(identities):
        provider = providers[index % 3]
        kinds, key_kind, grant_kinds = PROVIDERS[provider]
        account = f"{provider}-account-{rng.randrange(accounts_per_provider):04d}"
        uid = f"{provider}:{account}:identity/{index}"
        inventory.identities.append(
            Identity(
                uid=uid,
                provider=provider,
                account=account,
                kind=rng.choice(kinds),
                name=f"workload-{index}",
                owner=None if rng.random() < 0.2 else f"team-{index % 50}",
                created=days_ago(rng, 10, 2000),
                last_used=None if rng.random() < 0.1 else days_ago(rng, 0, 400),
                interactive=rng.random() < 0.03,
                unknown=["last_used"] if provider == "gcp" and rng.random() < 0.5 else [],
            )
        )
        for number in range(_count(rng, per_identity)):
            expires = days_ago(rng, -400, 30) if provider == "azure" else None
            inventory.credentials.append(
                Credential(
                    uid=f"{uid}#key{number}",
                    identity_uid=uid,
                    kind=key_kind,
                    created=days_ago(rng, 1, 1500),
                    expires=expires,
                    last_used=None if rng.random() < 0.15 else days_ago(rng, 0, 200),
                    active=rng.random() < 0.9,
                    managed_by_provider=provider == "gcp" and rng.random() < 0.5,
                    # as a live read finds them: AWS's in the user's policies, Google's over IAM REST
                    attributes={"exposure_reports": []} if provider != "azure" else {},
                )
            )
        for number in range(_count(rng, per_identity)):
            name, actions = rng.choice(GRANT_NAMES[provider])
            inventory.grants.append(
                Grant(
                    identity_uid=uid,
                    kind=rng.choice(grant_kinds),
                    name=name,
                    actions=list(actions),
                    resources=["*"] if rng.random() < 0.3 else [f"arn:resource/{index}/{number}"],
                    uid=f"{uid}#grant{number}",
                )
            )
        if index % 100 == 0:
            agent_uid = f"agent/{index}"
            inventory.agents.append(
                Agent(
                    uid=agent_uid,
                    provider=provider,
                    account=account,
                    name=f"agent-{index}",
                    runs_as=uid,
                    owner=None if rng.random() < 0.3 else "ml-team",
                    guardrail=rng.choice([None, "gr-1"]),
                    memory_enabled=rng.random() < 0.5,
                    memory_retention_days=rng.choice([None, 7, 400]),
                )
            )
            for tool in rng.sample(TOOLS, 3):
                inventory.grants.append(Grant(identity_uid=agent_uid, kind="tool", name=tool))
    return inventory


def _count(rng: random.Random, mean: float) -> int:
    whole = int(mean)
    return whole + (1 if rng.random() < mean - whole else 0)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("identities", type=int)
    parser.add_argument("--per-identity", type=float, default=3.0)
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    save_inventory(build(args.identities, args.per_identity), args.output)
