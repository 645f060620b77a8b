"""Azure built-in roles, judged on their published definitions.

A role carries what the capability catalog's rules make of its permissions; a built-in role the
catalog names (``judged_by_name``) also what the catalog gives its name, and the name's tags stand
in for its permissions where ARM listed the role without them. So the name's tags must hold at
least what the catalog makes of the role's permissions, or the holder of a role listed without
them passes controls on what the role plainly allows (Virtual Machine Contributor runs commands
on VMs, Reader and Data Access lists storage keys). The comparison is against the catalog's own
rules: an operation no rule judges carries nothing on either side.

The definitions in tests/data/azure/roles/ are the JSON blocks of "Azure built-in roles"
(MicrosoftDocs/azure-docs, CC BY 4.0; pages and commits in tests/data/SOURCES.md), unedited. They
are the Azure CLI's rendering of a roleDefinition (``roleName``, ``roleType`` and ``permissions`` at
the top); ``as_listed_by_arm`` puts them under ``properties``, as ARM's REST answer has them, and
the Azure source's own ``role_definition`` reads them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from scanner.engine.context import EvalContext
from scanner.model import Grant, Identity, Inventory
from scanner.sources.azure.records import azure_role_grant, role_definition

ROLES = Path(__file__).parent / "data" / "azure" / "roles"
SUBSCRIPTION = "/subscriptions/00000000-0000-4000-8000-000000000001"
HOLDER = "azure:sp:x"

# Entra ID directory roles the catalog names: they are not Azure RBAC roles and have no
# roleDefinition in ARM (Graph's directoryRole templates list them, with no actions to compare)
DIRECTORY_ROLES = {
    "global administrator",
    "privileged role administrator",
    "application administrator",
    "cloud application administrator",
    "privileged authentication administrator",
    "hybrid identity administrator",
    "user administrator",
    "groups administrator",
    "authentication administrator",
}


def published(file_name: str) -> dict[str, Any]:
    return json.loads((ROLES / file_name).read_text(encoding="utf-8"))


def as_listed_by_arm(document: dict[str, Any]) -> dict[str, Any]:
    """The CLI's rendering of a roleDefinition as ARM's REST answer has it."""
    properties = {
        "roleName": document["roleName"],
        "type": document["roleType"],
        "description": document["description"],
        "assignableScopes": document["assignableScopes"],
        "permissions": document["permissions"],
    }
    return {"id": document["id"], "type": document["type"], "name": document["name"], "properties": properties}


def assigned(document: dict[str, Any], role_type: str | None = None, name: str | None = None) -> Grant:
    """A subscription-wide assignment of the role (``role_type``/``name``: as a custom role of that name)."""
    listed = as_listed_by_arm(document)
    if role_type is not None:
        listed["properties"]["type"] = role_type
    if name is not None:
        listed["properties"]["roleName"] = name
    return azure_role_grant(HOLDER, role_definition(listed), SUBSCRIPTION, "assignment")


ALL_PUBLISHED = sorted(path.name for path in ROLES.glob("*.json"))
JUDGED_BY_PERMISSIONS = ["acrpush.json", "managed-identity-contributor.json", "managed-identity-operator.json"]


@pytest.mark.parametrize("file_name", [name for name in ALL_PUBLISHED if name not in JUDGED_BY_PERMISSIONS])
def test_a_role_the_catalog_names_carries_at_least_what_its_published_permissions_do(catalogs, file_name) -> None:
    capabilities = catalogs.capabilities
    document = published(file_name)
    built_in = assigned(document)
    assert built_in.attributes.get("built_in") is True
    assert capabilities.judged_by_name(built_in, "azure")
    # the same permissions in a custom role of another name: what they carry, the name aside
    by_permissions = capabilities.grant_tags(assigned(document, "CustomRole", "copy"), "azure")
    unlisted = as_listed_by_arm(document)
    del unlisted["properties"]["permissions"]  # as ARM may list a built-in role
    by_name = capabilities.grant_tags(azure_role_grant(HOLDER, role_definition(unlisted), SUBSCRIPTION, "a"), "azure")
    assert by_permissions <= by_name, f"{document['roleName']}: its name lacks {sorted(by_permissions - by_name)}"
    assert capabilities.grant_tags(built_in, "azure") == by_name, "read or not, the role carries the same"


def test_every_rbac_role_the_catalog_names_has_its_published_definition_here(catalogs) -> None:
    """A role added to a ``names`` rule stands in for its permissions: its definition belongs here,
    so the test above compares the two. Graph application permissions (``Mail.Send``) and Entra
    directory roles have no roleDefinition."""
    named = {
        pattern
        for rule in catalogs.capabilities.rules
        if rule.provider == "azure"
        for pattern in rule.names
        if "." not in pattern and pattern not in DIRECTORY_ROLES
    }
    published_names = {published(name)["roleName"].lower() for name in ALL_PUBLISHED}
    assert named - published_names == set()


def tags_of_role(catalogs, file_name: str) -> frozenset[str]:
    return catalogs.capabilities.grant_tags(assigned(published(file_name)), "azure")


def test_built_in_roles_the_catalog_does_not_name_carry_what_their_permissions_reach(catalogs) -> None:
    """AcrPush pushes the images workloads run; Managed Identity Operator attaches user-assigned
    identities to resources (as GCP's actAs does a service account); Managed Identity Contributor
    adds federated credentials to them."""
    assert tags_of_role(catalogs, "acrpush.json") == {"code_write"}
    assert tags_of_role(catalogs, "managed-identity-operator.json") == {"impersonation"}
    assert tags_of_role(catalogs, "managed-identity-contributor.json") == {"credential_create", "impersonation"}


def custom_role(name: str, *actions: str) -> Grant:
    permissions = [{"actions": list(actions), "notActions": [], "dataActions": [], "notDataActions": []}]
    properties = {"roleName": name, "type": "CustomRole", "permissions": permissions}
    document = {"id": f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/{name}"}
    document["properties"] = properties
    return azure_role_grant(HOLDER, role_definition(document), SUBSCRIPTION, f"assignment-{name}")


def identity_tags(catalogs, *grants: Grant) -> frozenset[str]:
    holder = Identity(HOLDER, "azure", SUBSCRIPTION, "service_principal", "deployer")
    inventory = Inventory(collected_at=datetime.now(UTC), identities=[holder], grants=list(grants))
    return EvalContext(inventory, datetime.now(UTC), catalogs.capabilities).identity_tags(holder)


COMPUTE_WRITES = [
    "Microsoft.Compute/virtualMachines/write",
    "Microsoft.Compute/virtualMachineScaleSets/write",
    "Microsoft.Compute/virtualMachineScaleSets/virtualMachines/write",
    "Microsoft.Web/sites/write",
    "Microsoft.Web/sites/slots/write",
    "Microsoft.App/containerApps/write",
    "Microsoft.App/jobs/write",
    "Microsoft.ContainerInstance/containerGroups/write",
    "Microsoft.Logic/workflows/write",
    "Microsoft.Batch/batchAccounts/pools/write",
    "Microsoft.MachineLearningServices/workspaces/computes/write",
    "Microsoft.DataFactory/factories/write",
]


@pytest.mark.parametrize("compute_write", COMPUTE_WRITES)
def test_attaching_a_user_assigned_identity_to_compute_it_can_write_escalates(catalogs, compute_write) -> None:
    """Managed Identity Operator with the right to write a VM (an app, a container, a Logic App, a
    Batch pool, a data factory) runs code as any identity it may assign, as AWS's PassRole with
    RunInstances does; either alone does not."""
    operator = assigned(published("managed-identity-operator.json"))
    writer = custom_role("compute-writer", compute_write)
    assert "privilege_escalation" in identity_tags(catalogs, operator, writer)
    assert "privilege_escalation" not in identity_tags(catalogs, operator)
    assert "privilege_escalation" not in identity_tags(catalogs, writer)


@pytest.mark.parametrize(
    "assigning",
    [
        "Microsoft.ManagedIdentity/userAssignedIdentities/assign/action",  # the operation's own name
        "Microsoft.ManagedIdentity/userAssignedIdentities/*/assign/action",  # as Managed Identity Operator lists it
        "Microsoft.ManagedIdentity/*/assign/action",
        "*/assign/action",
        "Microsoft.ManagedIdentity/*",
    ],
)
def test_every_form_of_assigning_an_identity_is_impersonation_and_escalates_with_a_compute_write(
    catalogs, assigning
) -> None:
    assert catalogs.capabilities.grant_tags(custom_role("assigner", assigning), "azure") >= {"impersonation"}
    writer = custom_role("writer", "Microsoft.Compute/virtualMachines/write")
    assert "privilege_escalation" in identity_tags(catalogs, custom_role("assigner", assigning), writer)


def test_reading_identities_is_not_assigning_them(catalogs) -> None:
    for reading in ("Microsoft.ManagedIdentity/userAssignedIdentities/*/read", "*/read"):
        assert catalogs.capabilities.grant_tags(custom_role("reader", reading), "azure") == frozenset()


def test_a_named_roles_permissions_join_what_the_holders_grants_imply_together(catalogs) -> None:
    """Website Contributor (``Microsoft.Web/sites/*``) writes apps: with Managed Identity Operator it
    attaches any identity the holder may assign to an app it deploys, as a custom copy of it does;
    listed without its permissions, its name says as much."""
    website = assigned(published("website-contributor.json"))
    operator = assigned(published("managed-identity-operator.json"))
    assert "Microsoft.Web/sites/*" in catalogs.capabilities.effective_actions(website, "azure")
    combined = catalogs.capabilities.combined_tags("azure", {"Microsoft.Web/sites/*", *operator.actions})
    assert combined == {"privilege_escalation"}
    custom_copy = assigned(published("website-contributor.json"), "CustomRole", "copy")
    assert "privilege_escalation" in identity_tags(catalogs, custom_copy, operator)
    unlisted = as_listed_by_arm(published("website-contributor.json"))
    del unlisted["properties"]["permissions"]
    listed_without = azure_role_grant(HOLDER, role_definition(unlisted), SUBSCRIPTION, "a")
    assert "privilege_escalation" in identity_tags(catalogs, listed_without)


def test_a_runbook_of_ones_own_runs_as_its_automation_accounts_identities_a_job_runs_someone_elses(
    catalogs,
) -> None:
    """Automation Operator starts jobs of runbooks it cannot see or change: it runs code, it does
    not choose which (Microsoft: it protects runbooks "from being viewed or modified but still
    allow members of your organization to execute these runbooks")."""

    def tags_of(action: str) -> frozenset[str]:
        grant = custom_role("r", f"Microsoft.Automation/automationAccounts/{action}")
        return catalogs.capabilities.grant_tags(grant, "azure")

    escalates = {"code_execution", "privilege_escalation"}
    assert tags_of("runbooks/write") == tags_of("runbooks/draft/content/write") == escalates
    assert tags_of("runbooks/draft/testJob/write") == escalates
    assert tags_of("jobs/write") == {"code_execution"}
    assert tags_of("read") == set()


def test_pushing_or_importing_an_image_changes_the_code_that_pulls_it(catalogs) -> None:
    assert catalogs.capabilities.grant_tags(assigned(published("acrpush.json")), "azure") == {"code_write"}
    assert catalogs.capabilities.grant_tags(
        custom_role("importer", "Microsoft.ContainerRegistry/registries/importImage/action"), "azure"
    ) == {"code_write"}
    properties = {"roleName": "writer", "type": "CustomRole", "permissions": [{"actions": [], "dataActions": [
        "Microsoft.ContainerRegistry/registries/repositories/content/write"]}]}  # fmt: skip
    document = {"id": f"{SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/w", "properties": properties}
    writer = azure_role_grant(HOLDER, role_definition(document), SUBSCRIPTION, "w")
    assert catalogs.capabilities.grant_tags(writer, "azure") == {"code_write"}
