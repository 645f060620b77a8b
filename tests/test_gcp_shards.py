"""GCP shards divide the projects: a role one project grants to a service account of a project
another shard reads. The shard reading the binding holds a stand-in for the account
(``held_by_another_shard``), judged by the controls on its grants: before, no shard judged the
role with the account, and the merged run passed it. Through the real Google clients against the
local fake (tests/gcp_fake.py)."""

from __future__ import annotations

from typing import Any

import pytest

from scanner.history.merge import merge_results
from scanner.model import STAND_IN_UNKNOWN, is_stand_in
from scanner.scan import ScanOptions, run_scan
from scanner.sharding import Shard

from .gcp_estate import DEV, ORG, PROD
from .test_gcp_source import fake_gcp, scan  # noqa: F401  (fixture)

PAYMENTS = f"payments-api@{PROD}.iam.gserviceaccount.com"


def _shards() -> tuple[Shard, Shard]:
    """The shard of the development project (which grants the production account) and the other."""
    n, i = next(
        (n, i) for n in range(2, 9) for i in range(1, n + 1) if Shard(i, n).owns(DEV) and not Shard(i, n).owns(PROD)
    )
    other = next(Shard(j, n) for j in range(1, n + 1) if Shard(j, n).owns(PROD))
    return Shard(i, n), other


SCOPES: dict[str, dict[str, Any]] = {
    "named projects": {"assets": False, "projects": (PROD, DEV)},
    "organisation, asset inventory": {"projects": (), "parent": ORG},
    "organisation, project by project": {"assets": False, "projects": (), "parent": ORG},
}


@pytest.fixture
def owner_granted_across_projects(fake_gcp):  # noqa: F811
    """The development project makes the production payments account an Owner."""
    bindings = fake_gcp.state.projects[DEV]["policy"]["bindings"]
    bindings.append({"role": "roles/owner", "members": [f"serviceAccount:{PAYMENTS}"]})
    return fake_gcp


@pytest.mark.parametrize("scope", list(SCOPES))
def test_the_shard_reading_the_binding_holds_a_stand_in_for_the_account(owner_granted_across_projects, scope) -> None:
    granting, holding = _shards()
    inventory, _ = scan(owner_granted_across_projects, shard=granting, **SCOPES[scope])
    (payments,) = [i for i in inventory.identities if i.uid == PAYMENTS]
    assert is_stand_in(payments) and payments.account == PROD and payments.unknown == list(STAND_IN_UNKNOWN)
    inventory, _ = scan(owner_granted_across_projects, shard=holding, **SCOPES[scope])
    (payments,) = [i for i in inventory.identities if i.uid == PAYMENTS]
    assert not is_stand_in(payments), "the account's own shard reads it whole"


def test_the_role_fails_the_account_in_its_shard_and_in_the_merged_run(owner_granted_across_projects, catalogs) -> None:
    granting, holding = _shards()
    fake = owner_granted_across_projects
    first = run_scan(scan(fake, shard=holding, assets=False)[0], catalogs, ScanOptions())
    second = run_scan(scan(fake, shard=granting, assets=False)[0], catalogs, ScanOptions())

    def failing(result) -> set[str]:
        return {f.control_id for f in result.findings if f.resource.uid == PAYMENTS and f.status == "fail"}

    assert "NHI-PRIV-001" not in failing(first), "its own project makes it no Owner"
    assert "NHI-PRIV-001" in failing(second)
    merged = merge_results([first, second], catalogs, "weekly")
    assert "NHI-PRIV-001" in failing(merged)
    assert merged.inventory is not None
    assert not [i for i in merged.inventory.identities if is_stand_in(i)]


def test_an_unsharded_scan_and_google_s_service_agents_hold_no_stand_in(fake_gcp) -> None:  # noqa: F811
    bindings = fake_gcp.state.projects[DEV]["policy"]["bindings"]
    agent = "service-123456789@gcp-sa-aiplatform.iam.gserviceaccount.com"
    bindings.append({"role": "roles/aiplatform.serviceAgent", "members": [f"serviceAccount:{agent}"]})
    inventory, _ = scan(fake_gcp, assets=False)
    assert not [i for i in inventory.identities if is_stand_in(i)]
    granting, _ = _shards()
    inventory, _ = scan(fake_gcp, shard=granting, assets=False)
    assert agent not in {i.uid for i in inventory.identities}


def test_a_stand_in_may_be_in_a_group_whose_members_were_not_read(owner_granted_across_projects) -> None:
    """The granting shard binds a group it could not read the members of: the account it stands in
    for may hold more there, as every account it reads whole may."""
    fake = owner_granted_across_projects
    fake.state.projects[DEV]["policy"]["bindings"].append(
        {"role": "roles/editor", "members": ["group:ops@acme.example"]}
    )
    granting, _ = _shards()
    inventory, _ = scan(fake, shard=granting, assets=False)
    (payments,) = [i for i in inventory.identities if i.uid == PAYMENTS]
    assert is_stand_in(payments) and "grants" in payments.unknown
