"""The line the progress display ends its collect phase with: how much was read, in totals."""

from __future__ import annotations

from datetime import UTC, datetime

from scanner.console import inventory_totals
from scanner.model import Account, Identity, Inventory


def test_totals_name_accounts_regions_and_records() -> None:
    inventory = Inventory(
        collected_at=datetime(2026, 12, 1, tzinfo=UTC),
        accounts=[
            Account("111122223333", "aws", attributes={"regions": ["us-east-1", "eu-west-1"]}),
            Account("444455556666", "aws", attributes={"regions": ["us-east-1", "ap-south-1"]}),
            Account("p1", "gcp", kind="project"),
        ],
        identities=[Identity("u1", "aws", "111122223333", "user", "ci")],
    )
    line = inventory_totals(inventory)
    assert line.startswith("2 AWS accounts, 1 GCP project in 3 regions · 1 identity, ")
    assert "0 credentials" in line


def test_without_regional_sources_no_region_count_is_claimed() -> None:
    inventory = Inventory(
        collected_at=datetime(2026, 12, 1, tzinfo=UTC), accounts=[Account("t", "azure", kind="tenant")]
    )
    assert "region" not in inventory_totals(inventory)
