"""A role assignment above the subscriptions (at a management group, or at the root scope "/") is
listed by every subscription below it: Role Assignments - List For Subscription, with no filter,
returns those at, above and below the subscription. One assignment is one grant, however many of
a scan's subscriptions list it: two grants under one uid would make the saved inventory unloadable
and be counted twice. Where one subscription's read of it was partial, the grant says so."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scanner.inventory_io import load_inventory, save_inventory
from scanner.scan import ScanOptions, run_scan

from .azure_estate import DEV, PROD
from .azure_fake import FakeAzure
from .test_azure_evidence import PAYMENTS_SP
from .test_azure_role_filters import MANAGEMENT_GROUP, OWNER, assignment
from .test_azure_source import scan_tenant

INHERITED = "0b5fe924-0000-4000-8000-00000000c0b3"
GROUP = "eeee0003-0000-4000-8000-000000000003"
AUTOMATION_SP = "cccc0002-0000-4000-8000-000000000002"


def authorization(subscription: str, kind: str) -> str:
    return f"/subscriptions/{subscription}/providers/Microsoft.Authorization/{kind}"


def owner_above_both_subscriptions(fake: FakeAzure, scope: str, principal: str = PAYMENTS_SP) -> dict[str, Any]:
    """Owner assigned at ``scope`` to ``principal``, as each subscription's assignment list shows it
    (the same id in both), with the built-in Owner among each subscription's role definitions."""
    inherited = assignment(INHERITED, scope, f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}")
    inherited["id"] = f"{scope.rstrip('/')}/providers/Microsoft.Authorization/roleAssignments/{INHERITED}"
    if principal == GROUP:
        inherited["properties"] |= {"principalId": GROUP, "principalType": "Group"}
    for subscription in (PROD, DEV):
        definition = {
            "id": f"{authorization(subscription, 'roleDefinitions')}/{OWNER}",
            "name": OWNER,
            "type": "Microsoft.Authorization/roleDefinitions",
            "properties": {
                "roleName": "Owner",
                "type": "BuiltInRole",
                "assignableScopes": ["/"],
                # as "Azure built-in roles" (learn.microsoft.com) lists Owner's
                "permissions": [{"actions": ["*"], "notActions": [], "dataActions": [], "notDataActions": []}],
            },
        }
        fake.state.arm.setdefault(authorization(subscription, "roleDefinitions"), []).append(definition)
        fake.state.arm.setdefault(authorization(subscription, "roleAssignments"), []).append(inherited)
    return inherited


def owner_grants(inventory, holder: str = f"azure:sp:{PAYMENTS_SP}") -> list:
    return [
        g
        for g in inventory.grants
        if g.identity_uid == holder and str(g.attributes.get("assignment_id")).endswith(INHERITED)
    ]


@pytest.mark.parametrize("scope", [MANAGEMENT_GROUP, "/"], ids=["management group", "root scope"])
def test_an_assignment_listed_by_two_subscriptions_is_one_grant(fake_azure, catalogs, tmp_path: Path, scope) -> None:
    inherited = owner_above_both_subscriptions(fake_azure, scope)
    inventory, _ = scan_tenant(fake_azure)
    (grant,) = owner_grants(inventory)
    assert grant.name == "Owner" and grant.resources == [inherited["properties"]["scope"]] and not grant.unknown
    assert grant.attributes["assignment_id"] == inherited["id"]
    assert len({g.uid for g in inventory.grants}) == len(inventory.grants)

    saved = tmp_path / "inventory.json"
    save_inventory(inventory, saved)
    reloaded = load_inventory(saved)
    assert [g.uid for g in owner_grants(reloaded)] == [grant.uid]

    result = run_scan(reloaded, catalogs, ScanOptions())
    judged = [
        f for f in result.findings if (f.control_id, f.resource.uid) == ("NHI-PRIV-001", f"azure:sp:{PAYMENTS_SP}")
    ]
    assert [f.status for f in judged] == ["fail"], "Owner above the subscriptions: judged once"


@pytest.mark.parametrize("partial", [PROD, DEV], ids=["first subscription partial", "second subscription partial"])
def test_a_grant_one_subscription_read_partially_is_not_complete(fake_azure, catalogs, partial) -> None:
    """Either subscription's role definitions refused: that read knows neither the role's name nor
    what it allows. The grant is still one, and whichever subscription was read first, it keeps
    the role's name as the other read it and says that what it allows was not read completely."""
    owner_above_both_subscriptions(fake_azure, MANAGEMENT_GROUP)
    fake_azure.state.deny.add(authorization(partial, "roleDefinitions"))
    inventory, _ = scan_tenant(fake_azure)
    (grant,) = owner_grants(inventory)
    assert grant.name == "Owner" and "actions" in grant.unknown
    assert len({g.uid for g in inventory.grants}) == len(inventory.grants)
    status = {(f.control_id, f.resource.uid): f.status for f in run_scan(inventory, catalogs, ScanOptions()).findings}
    assert status[("NHI-PRIV-001", f"azure:sp:{PAYMENTS_SP}")] == "fail", "Owner, as the other read named it"


def test_an_assignment_to_a_group_listed_by_two_subscriptions_is_one_grant_per_member(fake_azure) -> None:
    owner_above_both_subscriptions(fake_azure, MANAGEMENT_GROUP, GROUP)
    fake_azure.state.related[f"/groups/{GROUP}/transitiveMembers/microsoft.graph.servicePrincipal"] = [
        {"id": AUTOMATION_SP}, {"id": PAYMENTS_SP}
    ]  # fmt: skip
    inventory, _ = scan_tenant(fake_azure)
    for holder in (f"azure:sp:{AUTOMATION_SP}", f"azure:sp:{PAYMENTS_SP}"):
        (grant,) = owner_grants(inventory, holder)
        assert grant.attributes["via_group"] == GROUP and grant.name == "Owner"
    assert len({g.uid for g in inventory.grants}) == len(inventory.grants)
