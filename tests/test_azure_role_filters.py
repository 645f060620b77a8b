"""Azure role assignments and definitions as the Authorization REST reference documents their lists
(api-version 2022-04-01):

- Role Assignments - List For Subscription / List For Scope: ``$filter=atScope()`` returns the
  assignments at or above the scope, ``principalId eq '{id}'`` one principal's; without a filter
  the list holds those at, above and below it, resource groups and resources included (what
  ``az role assignment list --all`` relies on). ``atScopeAndBelow()`` is not one of its filters:
  ARM answers 400 UnsupportedQuery.
- Role Definitions - List: "all role definitions that are applicable at scope and above";
  ``$filter=atScopeAndBelow()`` adds those below (custom roles assignable only in a resource group).

The fake (tests/azure_fake.py) honours these filters and refuses others, and logs each query sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs

from scanner.scan import ScanOptions, run_scan
from scanner.sources.azure.client import AzureCalls

from .azure_estate import MI_ID, PROD
from .azure_fake import FakeAzure, FakeCredential, fake_cloud
from .test_azure_evidence import ASSIGNMENTS, DEFINITIONS, PAYMENTS_SP, custom_role
from .test_azure_source import scan_tenant

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
BATCH_OPERATOR = "9f000000-0000-4000-8000-00000000c0b1"
RG = f"/subscriptions/{PROD}/resourceGroups/rg-batch"
VM = f"{RG}/providers/Microsoft.Compute/virtualMachines/batch-vm"
MANAGEMENT_GROUP = "/providers/Microsoft.Management/managementGroups/contoso"


def queries(fake: FakeAzure, path: str) -> list[dict[str, list[str]]]:
    """The query of each GET of ``path`` the fake received."""
    asked = [request.partition("?") for request in fake.state.sent]
    return [parse_qs(query) for target, _, query in asked if target == f"GET {path}"]


def assignment(name: str, scope: str, role_id: str, principal: str = PAYMENTS_SP) -> dict:
    """A roleAssignment in the shape of the reference's "List role assignments for resource group"
    example, which lists one at the subscription and one at the resource group."""
    return {
        "properties": {"roleDefinitionId": role_id, "principalId": principal, "principalType": "ServicePrincipal",
                       "scope": scope},
        "id": f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}",
        "type": "Microsoft.Authorization/roleAssignments",
        "name": name,
    }  # fmt: skip


def below_the_subscription(fake: FakeAzure) -> None:
    """Owner of a resource group, and a custom role assignable only in that resource group held on a
    VM in it, both for payments-api."""
    permissions = {"actions": ["Microsoft.Compute/virtualMachines/*"], "notActions": [], "dataActions": [],
                   "notDataActions": []}  # fmt: skip
    batch = custom_role(BATCH_OPERATOR, "Batch Operator", [permissions])
    batch["properties"]["assignableScopes"] = [RG]
    owner: dict[str, Any] = {"id": f"/providers/Microsoft.Authorization/roleDefinitions/{OWNER}",
             "type": "Microsoft.Authorization/roleDefinitions", "name": OWNER,
             "properties": {"roleName": "Owner", "type": "BuiltInRole", "assignableScopes": ["/"]}}  # fmt: skip
    fake.state.arm[DEFINITIONS] += [owner, batch]
    fake.state.arm[ASSIGNMENTS] += [
        assignment("96786e4b-dede-4c2e-8736-8ab911987f08", RG, owner["id"]),
        assignment("5e1c0b3a-0000-4000-8000-00000000c0b2", VM, batch["id"]),
    ]


def test_role_lists_are_asked_for_with_the_documented_filter_and_version(fake_azure) -> None:
    scan_tenant(fake_azure)
    assert queries(fake_azure, DEFINITIONS) == [{"$filter": ["atScopeAndBelow()"], "api-version": ["2022-04-01"]}]
    assert queries(fake_azure, ASSIGNMENTS) == [{"api-version": ["2022-04-01"]}], (
        "no filter: assignments at, above and below the subscription (atScope() would leave out resource "
        "groups and resources; atScopeAndBelow() is refused)"
    )


def test_assignments_in_resource_groups_and_on_resources_are_grants(fake_azure, catalogs) -> None:
    below_the_subscription(fake_azure)
    inventory, _ = scan_tenant(fake_azure)
    grants = {(g.name, g.resources[0]): g for g in inventory.grants if g.identity_uid == f"azure:sp:{PAYMENTS_SP}"}
    assert ("Owner", RG) in grants
    batch = grants[("Batch Operator", VM)]
    assert batch.actions == ["Microsoft.Compute/virtualMachines/*"] and not batch.unknown, (
        "a custom role assignable only in a resource group is listed with atScopeAndBelow()"
    )
    status = {(f.control_id, f.resource.uid): f.status for f in run_scan(inventory, catalogs, ScanOptions()).findings}
    assert status[("NHI-PRIV-006", f"azure:sp:{PAYMENTS_SP}")] == "fail", "Owner of a resource group: a basic role"


def test_the_fake_answers_each_filter_as_the_reference_says(fake_azure) -> None:
    below_the_subscription(fake_azure)
    inherited = assignment("0b5fe924-0000-4000-8000-00000000c0b3", MANAGEMENT_GROUP, f"{DEFINITIONS}/{OWNER}")
    fake_azure.state.arm[ASSIGNMENTS].append(inherited)
    calls = AzureCalls(FakeCredential(), fake_cloud(fake_azure))

    def listed(path: str, query: str) -> list[str] | None:
        items = calls.arm_list(f"{path}?{query}api-version=2022-04-01", "test", PROD)
        return None if items is None else sorted(str(i["id"]).rsplit("/", 1)[-1] for i in items)

    everything = listed(ASSIGNMENTS, "")
    at_or_above = listed(ASSIGNMENTS, "$filter=atScope()&")
    assert everything is not None and len(everything) == 4, "at, above and below the subscription"
    assert at_or_above == sorted(["ra1", inherited["name"]]), "the subscription's own and the inherited one"
    assert listed(ASSIGNMENTS, f"$filter=principalId eq '{PAYMENTS_SP}'&") == sorted(
        set(everything) - {"ra1"}
    )  # fmt: skip
    assert listed(ASSIGNMENTS, "$filter=atScopeAndBelow()&") is None
    assert BATCH_OPERATOR not in (listed(DEFINITIONS, "") or [])
    assert BATCH_OPERATOR in (listed(DEFINITIONS, "$filter=atScopeAndBelow()&") or [])
    (refused,) = calls.errors[PROD]
    assert refused.code == "400" and refused.message.startswith("UnsupportedQuery: The filter 'atScopeAndBelow()'")


def test_a_refused_role_definition_filter_is_a_named_gap_not_an_empty_list(fake_azure, catalogs) -> None:
    """Should ARM answer the definitions' filter 400 (a scope or cloud without it), each role held
    in the subscription is unread, not absent: its grants stay, with name and actions unknown."""
    below_the_subscription(fake_azure)
    fake_azure.state.refused_filters.add("atScopeAndBelow()")
    inventory, _ = scan_tenant(fake_azure)
    source = next(s for s in inventory.sources if s.account == PROD)
    assert source.status == "partial"
    assert [(e.call, e.code) for e in source.errors] == [("arm:roleDefinitions", "400")]
    assert "UnsupportedQuery" in source.errors[0].message and "atScopeAndBelow()" in source.errors[0].message
    held = [g for g in inventory.grants if g.source == "roleAssignment"]
    assert len(held) == 3 and all({"name", "actions"} <= set(g.unknown) for g in held)
    assert "identities" in next(a for a in inventory.accounts if a.uid == PROD).unknown
    status = {(f.control_id, f.resource.uid): f.status for f in run_scan(inventory, catalogs, ScanOptions()).findings}
    assert status[("NHI-PRIV-006", MI_ID)] == "unknown", "its Contributor assignment is known, its role is not"
    assert status[("NHI-PRIV-006", f"azure:sp:{PAYMENTS_SP}")] == "unknown", "Owner of rg-batch is unread too"
