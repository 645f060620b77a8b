"""No evidence, no pass, for the azure source: what a refused or failed call leaves unread is
unknown on the records it concerns, never a known "nothing". Graph and ARM are the local HTTPS
fake (tests/azure_fake.py) serving the seeded tenant (tests/azure_estate.py), driven through
azure-core's real pipeline; refusals have Graph's and ARM's shapes (403 Authorization_RequestDenied,
403 AuthorizationFailed, 400 AadPremiumLicenseRequired)."""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path

import pytest

from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .azure_estate import DEV, GRAPH_SP, MI_ID, PROD, REALWORLD
from .azure_fake import FakeAzure
from .test_azure_source import scan_tenant

AUTOMATION_SP = "cccc0002-0000-4000-8000-000000000002"
PAYMENTS_SP = "cccc0001-0000-4000-8000-000000000001"
PRINCIPALS = ("service_principal", "app_registration", "managed_identity")
DEFINITIONS = f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleDefinitions"
ASSIGNMENTS = f"/subscriptions/{PROD}/providers/Microsoft.Authorization/roleAssignments"
# Contributor's permissions as "Azure built-in roles" (learn.microsoft.com) lists them
CONTRIBUTOR_PERMISSIONS = {
    "actions": ["*"],
    "notActions": [
        "Microsoft.Authorization/*/Delete",
        "Microsoft.Authorization/*/Write",
        "Microsoft.Authorization/elevateAccess/Action",
        "Microsoft.Blueprint/blueprintAssignments/write",
        "Microsoft.Blueprint/blueprintAssignments/delete",
        "Microsoft.Compute/galleries/share/action",
        "Microsoft.Purview/consents/write",
        "Microsoft.Purview/consents/delete",
    ],
    "dataActions": [],
    "notDataActions": [],
}


def results(fake: FakeAzure, catalogs) -> tuple[object, dict[tuple[str, str], str]]:
    inventory, _ = scan_tenant(fake)
    result = run_scan(inventory, catalogs, ScanOptions())
    return inventory, {(f.control_id, f.resource.name): f.status for f in result.findings}


def principals(inventory) -> list:
    return [i for i in inventory.identities if i.kind in PRINCIPALS]


def custom_role(role_id: str, name: str, permissions: list[dict] | None) -> dict:
    """A roleDefinition as the ARM reference's "Role Definitions - List" example shows one."""
    properties: dict = {"roleName": name, "type": "CustomRole", "description": name,
                        "assignableScopes": [f"/subscriptions/{PROD}"]}  # fmt: skip
    if permissions is not None:
        properties["permissions"] = permissions
    return {"id": f"{DEFINITIONS}/{role_id}", "type": "Microsoft.Authorization/roleDefinitions", "name": role_id,
            "properties": properties}  # fmt: skip


def assign(fake: FakeAzure, principal: str, role_id: str, n: int) -> None:
    fake.state.arm[ASSIGNMENTS].append(
        {"id": f"{ASSIGNMENTS}/ra-custom-{n}", "properties": {
            "principalId": principal, "principalType": "ServicePrincipal", "scope": f"/subscriptions/{PROD}",
            "roleDefinitionId": f"{DEFINITIONS}/{role_id}"}}
    )  # fmt: skip


# directory roles


def test_a_refused_directory_role_read_leaves_the_principals_grants_unknown_not_passing(fake_azure, catalogs) -> None:
    """it-automation holds Privileged Role Administrator; the scanner may not read directory roles."""
    fake_azure.state.deny.add("/v1.0/roleManagement/directory/roleAssignments")
    inventory, status = results(fake_azure, catalogs)
    assert all("grants" in i.unknown for i in principals(inventory))
    assert status[("NHI-PRIV-007", "it-automation")] == "unknown"
    assert status[("NHI-PRIV-001", "it-automation")] == "unknown"
    assert not [key for key, value in status.items() if key[0] == "NHI-PRIV-007" and value == "pass"]


def test_refused_delegated_permissions_leave_the_principals_grants_unknown(fake_azure, catalogs) -> None:
    """it-automation holds RoleManagement.ReadWrite.Directory consented for every user (and no
    directory role): with the delegated permissions refused, NHI-PRIV-007 passed."""
    it_automation = "cccc0002-0000-4000-8000-000000000002"
    fake_azure.state.directory_roles = []
    fake_azure.state.delegated.append(
        {"clientId": it_automation, "consentType": "AllPrincipals", "principalId": None, "resourceId": GRAPH_SP,
         "scope": "RoleManagement.ReadWrite.Directory"}
    )  # fmt: skip
    _, read = results(fake_azure, catalogs)
    assert read[("NHI-PRIV-007", "it-automation")] == "fail"
    fake_azure.state.deny.add("/v1.0/oauth2PermissionGrants")
    inventory, refused = results(fake_azure, catalogs)
    assert all("grants" in i.unknown for i in principals(inventory))
    assert refused[("NHI-PRIV-007", "it-automation")] == "unknown"


@pytest.mark.parametrize(
    "role",
    [
        {"displayName": "Tier1 Helpdesk Reader", "isBuiltIn": False},  # a custom role: its name says nothing
        {"displayName": "App Credential Manager", "isBuiltIn": False},
    ],
    ids=["custom-named-reader", "custom"],
)
@pytest.mark.parametrize("scope", ["/", "/aaaa0002-0000-4000-8000-000000000002"], ids=["directory", "one-app"])
def test_a_custom_directory_role_is_judged_by_nobody_not_passed_by_its_name(
    fake_azure, catalogs, role: dict, scope: str
) -> None:
    """A custom Entra role may hold microsoft.directory/applications/credentials/update, whatever it
    is called, and one scoped to one application (the scope custom roles take) adds credentials to
    it: NHI-PRIV-007, 003 and 001 passed, the role judged by its name, the application's scope not
    taken for the directory's."""
    it_automation = "cccc0002-0000-4000-8000-000000000002"
    fake_azure.state.directory_roles = [
        {"principalId": it_automation, "directoryScopeId": scope, "roleDefinition": role}
    ]
    _, status = results(fake_azure, catalogs)
    assert status[("NHI-PRIV-007", "it-automation")] == "unknown"


def test_a_built_in_reader_role_stays_judged_by_its_name(fake_azure, catalogs) -> None:
    it_automation = "cccc0002-0000-4000-8000-000000000002"
    fake_azure.state.directory_roles = [
        {"principalId": it_automation, "directoryScopeId": "/",
         "roleDefinition": {"displayName": "Directory Readers", "isBuiltIn": True}}
    ]  # fmt: skip
    _, status = results(fake_azure, catalogs)
    assert ("NHI-PRIV-007", "it-automation") not in status, "neither failing nor unknown (passes are not listed)"


def test_a_failed_group_member_read_leaves_the_principals_grants_unknown(fake_azure) -> None:
    group = "eeee0001-0000-4000-8000-000000000001"
    fake_azure.state.directory_roles.append(
        {"principalId": group, "directoryScopeId": "/", "roleDefinition": {"displayName": "Global Administrator"}}
    )
    fake_azure.state.directory_objects[group] = {"@odata.type": "#microsoft.graph.group", "id": group}
    fake_azure.state.deny.add("/v1.0/groups/")  # 403 inside the $batch
    inventory, _ = scan_tenant(fake_azure)
    assert all("grants" in i.unknown for i in principals(inventory))


def test_a_refused_group_lookup_leaves_the_principals_grants_unknown(fake_azure) -> None:
    group = "eeee0001-0000-4000-8000-000000000001"
    fake_azure.state.directory_roles.append(
        {"principalId": group, "directoryScopeId": "/", "roleDefinition": {"displayName": "Global Administrator"}}
    )
    fake_azure.state.deny.add("/v1.0/directoryObjects")
    inventory, _ = scan_tenant(fake_azure)
    assert all("grants" in i.unknown for i in principals(inventory))


def test_a_refused_pim_read_leaves_grants_unknown_but_a_tenant_without_the_licence_does_not(fake_azure) -> None:
    fake_azure.state.deny.add("/v1.0/roleManagement/directory/roleEligibilitySchedules")
    refused, _ = scan_tenant(fake_azure)
    assert all("grants" in i.unknown for i in principals(refused))
    fake_azure.state.deny.clear()
    fake_azure.state.eligible_roles = None  # 400 AadPremiumLicenseRequired: nothing eligible to read
    unlicensed, _ = scan_tenant(fake_azure)
    automation = next(i for i in unlicensed.identities if i.uid == f"azure:sp:{AUTOMATION_SP}")
    assert "grants" not in automation.unknown


# Azure role assignments and definitions


def test_a_refused_role_definition_read_leaves_the_grant_unknown_not_a_nameless_grant(fake_azure, catalogs) -> None:
    """mi-payments is Contributor of the production subscription; its definition cannot be read."""
    fake_azure.state.deny.add(DEFINITIONS)
    inventory, status = results(fake_azure, catalogs)
    (grant,) = [g for g in inventory.grants if g.identity_uid == MI_ID and g.source == "roleAssignment"]
    assert {"name", "actions"} <= set(grant.unknown)
    assert status[("NHI-PRIV-006", "mi-payments")] == "unknown"
    assert status[("NHI-PRIV-001", "mi-payments")] == "unknown"


def test_refused_role_assignments_leave_the_principals_grants_unknown(fake_azure, catalogs) -> None:
    fake_azure.state.deny.add(ASSIGNMENTS)
    inventory, status = results(fake_azure, catalogs)
    assert all("grants" in i.unknown for i in principals(inventory))
    assert status[("NHI-PRIV-006", "mi-payments")] == "unknown", "its Contributor assignment was not read"


def test_a_refused_subscription_list_leaves_the_principals_grants_unknown(fake_azure, catalogs) -> None:
    fake_azure.state.deny.add("/subscriptions")
    inventory, status = results(fake_azure, catalogs)
    assert all("grants" in i.unknown for i in principals(inventory))
    assert status[("NHI-PRIV-001", "mi-payments")] == "unknown"


def test_a_custom_roles_permissions_are_what_the_grant_allows(fake_azure, catalogs) -> None:
    """Exclusions narrow a role only where they surely do: an action wholly inside one is dropped; a
    "*" that can still assign roles stays "*" (it can make itself Owner); a Contributor-like "*"
    becomes everything but its exclusions."""
    roles = {
        "9f000000-0000-4000-8000-00000000c001": ("Platform Operator", [{"actions": ["*"], "notActions": [
            "Microsoft.Compute/virtualMachines/delete"], "dataActions": [], "notDataActions": []}]),
        "9f000000-0000-4000-8000-00000000c002": ("Contributor Copy", [CONTRIBUTOR_PERMISSIONS]),
        "9f000000-0000-4000-8000-00000000c003": ("Vault Reader", [{
            "actions": ["Microsoft.KeyVault/vaults/read", "Microsoft.KeyVault/vaults/secrets/getSecret/action"],
            "notActions": ["Microsoft.KeyVault/vaults/secrets/*"],
            "dataActions": ["Microsoft.KeyVault/vaults/secrets/getSecret/action"], "notDataActions": []}]),
        "9f000000-0000-4000-8000-00000000c004": ("Unread Role", None),  # permissions not in the answer
    }  # fmt: skip
    fake_azure.state.arm[DEFINITIONS] += [custom_role(i, name, perms) for i, (name, perms) in roles.items()]
    for n, role_id in enumerate(roles):
        assign(fake_azure, PAYMENTS_SP, role_id, n)
    inventory, status = results(fake_azure, catalogs)
    grants = {g.name: g for g in inventory.grants if g.identity_uid == f"azure:sp:{PAYMENTS_SP}"}
    assert grants["Platform Operator"].actions == ["*"]
    assert grants["Contributor Copy"].actions == []
    assert grants["Contributor Copy"].attributes["not_actions"] == sorted(
        a.lower() for a in CONTRIBUTOR_PERMISSIONS["notActions"]
    )
    assert grants["Vault Reader"].actions == ["Microsoft.KeyVault/vaults/read"]
    assert grants["Vault Reader"].attributes["data_actions"] == ["Microsoft.KeyVault/vaults/secrets/getSecret/action"]
    assert "secrets_read" in catalogs.capabilities.grant_tags(grants["Vault Reader"], "azure"), "read as a data action"
    assert grants["Unread Role"].unknown == ["actions"]
    assert status[("NHI-PRIV-001", "payments-api")] == "fail", "administrator through Platform Operator"
    contributor = next(g for g in inventory.grants if g.identity_uid == MI_ID and g.source == "roleAssignment")
    assert contributor.name == "Contributor" and contributor.actions == [], "built-in roles are judged by name"


def test_a_custom_role_allowing_every_data_action_reads_and_writes_data_but_administers_nothing(
    fake_azure, catalogs
) -> None:
    """``dataActions: ["*"]`` allows every operation on data (blobs, secrets, model deployments, VM
    sign-in, a cluster's objects), a plane apart from managing resources: it can neither assign
    Azure roles nor change diagnostic settings, so it is not full administration. Read as an
    action, it was."""
    _, before = results(fake_azure, catalogs)
    role_id = "9f000000-0000-4000-8000-00000000c005"
    permissions = [{"actions": ["Microsoft.Resources/subscriptions/resourceGroups/read"], "notActions": [],
                    "dataActions": ["*"], "notDataActions": []}]  # fmt: skip
    fake_azure.state.arm[DEFINITIONS].append(custom_role(role_id, "Data Everything", permissions))
    assign(fake_azure, PAYMENTS_SP, role_id, 0)
    inventory, status = results(fake_azure, catalogs)
    grant = next(g for g in inventory.grants if g.name == "Data Everything")
    assert grant.actions == ["Microsoft.Resources/subscriptions/resourceGroups/read"]
    assert grant.attributes["data_actions"] == ["*"]
    tags = catalogs.capabilities.grant_tags(grant, "azure")
    assert {"secrets_read", "data_read", "data_write", "model_invoke", "code_execution", "impersonation"} <= tags
    assert "privilege_escalation" in tags, "signing in to a VM reaches its managed identities' tokens"
    assert not tags & {"admin", "iam_write", "logging_disable", "credential_create"}
    key = ("NHI-PRIV-001", "payments-api")
    assert status.get(key, "pass") == before.get(key, "pass") == "pass", "no administrator through data actions"
    assert status[("NHI-PRIV-003", "payments-api")] == "fail", "it can escalate (through a VM's identity)"


# Cognitive Services OpenAI Contributor as ARM lists it: the role's JSON as azure-rbac-catalog.org
# recorded it from Azure, the permissions "Azure built-in roles for AI + machine learning"
# (learn.microsoft.com) gives
OPENAI_CONTRIBUTOR_ID = "a001fd3d-188f-4b5d-821b-7da978bf7442"
OPENAI_CONTRIBUTOR = {
    "properties": {
        "roleName": "Cognitive Services OpenAI Contributor",
        "type": "BuiltInRole",
        "description": "Full access including the ability to fine-tune, deploy and generate text",
        "assignableScopes": ["/"],
        "permissions": [
            {
                "actions": [
                    "Microsoft.CognitiveServices/*/read",
                    "Microsoft.CognitiveServices/accounts/deployments/write",
                    "Microsoft.CognitiveServices/accounts/deployments/delete",
                    "Microsoft.CognitiveServices/accounts/raiPolicies/read",
                    "Microsoft.CognitiveServices/accounts/raiPolicies/write",
                    "Microsoft.CognitiveServices/accounts/raiPolicies/delete",
                    "Microsoft.CognitiveServices/accounts/commitmentplans/read",
                    "Microsoft.CognitiveServices/accounts/commitmentplans/write",
                    "Microsoft.CognitiveServices/accounts/commitmentplans/delete",
                    "Microsoft.Authorization/roleAssignments/read",
                    "Microsoft.Authorization/roleDefinitions/read",
                ],
                "notActions": [],
                "dataActions": ["Microsoft.CognitiveServices/accounts/OpenAI/*"],
                "notDataActions": [],
            }
        ],
        "createdOn": "2022-10-26T20:23:26.4Z",
        "updatedOn": "2023-08-29T15:14:04.318Z",
        "createdBy": None,
        "updatedBy": None,
    },
    "id": f"/providers/Microsoft.Authorization/roleDefinitions/{OPENAI_CONTRIBUTOR_ID}",
    "type": "Microsoft.Authorization/roleDefinitions",
    "name": OPENAI_CONTRIBUTOR_ID,
}


def test_a_built_in_role_the_catalog_does_not_name_is_judged_by_its_permissions(fake_azure, catalogs) -> None:
    """Every built-in role was judged by its name alone, and one the catalog does not name carried
    nothing: a service principal holding Cognitive Services OpenAI Contributor (it deploys models
    and calls them) was not known to invoke a model."""
    fake_azure.state.arm[DEFINITIONS].append(
        {**OPENAI_CONTRIBUTOR, "id": f"{DEFINITIONS}/{OPENAI_CONTRIBUTOR_ID}"}  # as a subscription lists it
    )
    assign(fake_azure, PAYMENTS_SP, OPENAI_CONTRIBUTOR_ID, 0)
    inventory, _ = scan_tenant(fake_azure)
    grant = next(g for g in inventory.grants if g.name == "Cognitive Services OpenAI Contributor")
    assert grant.attributes["built_in"] is True
    assert grant.attributes["data_actions"] == ["Microsoft.CognitiveServices/accounts/OpenAI/*"]
    assert "Microsoft.CognitiveServices/accounts/deployments/write" in grant.actions
    tags = catalogs.capabilities.grant_tags(grant, "azure")
    assert "model_invoke" in tags
    assert not tags & {"admin", "iam_write", "privilege_escalation", "logging_disable"}
    result = run_scan(inventory, catalogs, ScanOptions())
    assert "model_invoke" in result.capabilities[grant.identity_uid], "every report shows what the identity reaches"


def test_a_built_in_role_the_catalog_names_carries_the_same_read_with_or_without_its_permissions(catalogs) -> None:
    """Contributor carries the same, read with or without the role's permissions (everything but
    managing access): its name carries what the permissions do (see test_azure_named_roles), and
    its permissions, where read, join what the holder's grants imply together."""
    from scanner.model import Grant
    from scanner.sources.azure.records import azure_role_grant, role_definition

    def grant_of(properties: dict) -> Grant:
        definition = {"id": f"{DEFINITIONS}/b24988ac-6180-42a0-ab88-20f7382dd24c", "properties": properties}
        return azure_role_grant("azure:sp:x", role_definition(definition), f"/subscriptions/{PROD}", "a")

    named = {"roleName": "Contributor", "type": "BuiltInRole"}
    read = grant_of({**named, "permissions": [CONTRIBUTOR_PERMISSIONS]})
    unread = grant_of(named)
    assert read.attributes["not_actions"] and "not_actions" not in unread.attributes  # "*" but these
    assert catalogs.capabilities.grant_tags(read, "azure") == catalogs.capabilities.grant_tags(unread, "azure")
    assert {"basic_role", "privilege_escalation", "secrets_read"} <= catalogs.capabilities.grant_tags(read, "azure")
    assert "admin" not in catalogs.capabilities.grant_tags(read, "azure")
    run_command = "microsoft.compute/virtualmachines/runcommand/action"
    assert run_command in catalogs.capabilities.effective_actions(read, "azure")
    assert catalogs.capabilities.effective_actions(unread, "azure") == ()
    copy = grant_of({"roleName": "Contributor copy", "type": "CustomRole", "permissions": [CONTRIBUTOR_PERMISSIONS]})
    assert "logging_disable" in catalogs.capabilities.grant_tags(copy, "azure"), (
        "a custom copy is judged by its permissions"
    )


def test_reading_role_assignments_gives_nothing_and_writing_them_or_role_definitions_escalates(catalogs) -> None:
    """``Microsoft.Authorization/*/read`` is in most built-in roles (Cognitive Services OpenAI
    Contributor reads role assignments and definitions); the catalog's ``microsoft.authorization/*``
    read it as writing them, so every such role was privilege escalation."""
    from scanner.sources.azure.records import azure_role_grant, role_definition

    def tags_of(*actions: str) -> frozenset[str]:
        definition = {"id": f"{DEFINITIONS}/r", "properties": {"roleName": "r", "type": "CustomRole", "permissions": [
            {"actions": list(actions), "notActions": [], "dataActions": [], "notDataActions": []}]}}  # fmt: skip
        grant = azure_role_grant("azure:sp:x", role_definition(definition), f"/subscriptions/{PROD}", "a")
        return catalogs.capabilities.grant_tags(grant, "azure")

    escalation = {"iam_write", "privilege_escalation", "iam_escalation"}  # it rewrites assignments, its own too
    assert tags_of("Microsoft.Authorization/*/read") == frozenset()
    assert (
        tags_of("Microsoft.Authorization/roleAssignments/read", "Microsoft.Authorization/roleDefinitions/read") == set()
    )
    assert tags_of("Microsoft.Authorization/roleAssignments/write") == escalation
    assert tags_of("Microsoft.Authorization/roleDefinitions/write") == escalation  # widens a role it holds
    assert tags_of("Microsoft.Authorization/*") == escalation
    assert tags_of("Microsoft.Authorization/roleAssignments/*") == escalation
    assert tags_of("Microsoft.Authorization/*/write") == escalation
    # PIM: a request that activates an assignment or makes one eligible, a PIM policy; and elevating
    for action in ("roleAssignmentScheduleRequests/write", "roleEligibilityScheduleRequests/write",
                   "roleManagementPolicies/write", "elevateAccess/action"):  # fmt: skip
        assert tags_of(f"Microsoft.Authorization/{action}") == escalation, action
    assert tags_of("Microsoft.Authorization/roleAssignments/delete") == {"iam_write"}


def test_everything_but_writing_role_assignments_and_definitions_still_activates_one_through_pim(catalogs) -> None:
    """A ``*`` whose exclusions leave a PIM request for an assignment can still make its holder
    Owner: it stays ``*``, full administration, as one that leaves writing assignments does."""
    from scanner.sources.azure.records import azure_role_grant, role_definition

    excluded = ["Microsoft.Authorization/roleAssignments/write", "Microsoft.Authorization/roleDefinitions/write"]
    definition = {"id": f"{DEFINITIONS}/r", "properties": {"roleName": "r", "type": "CustomRole", "permissions": [
        {"actions": ["*"], "notActions": excluded, "dataActions": [], "notDataActions": []}]}}  # fmt: skip
    grant = azure_role_grant("azure:sp:x", role_definition(definition), f"/subscriptions/{PROD}", "a")
    assert grant.actions == ["*"] and "not_actions" not in grant.attributes
    assert "admin" in catalogs.capabilities.grant_tags(grant, "azure")


# Log Analytics Contributor as ARM lists it (azure-rbac-catalog.org's record of Azure's JSON, updated
# 2025-12-17; the permissions "Azure built-in roles for Monitor", learn.microsoft.com, gives)
LOG_ANALYTICS_CONTRIBUTOR = {
    "id": "/providers/Microsoft.Authorization/roleDefinitions/92aaf0da-9dab-42b6-94a3-d43ce8d16293",
    "name": "92aaf0da-9dab-42b6-94a3-d43ce8d16293",
    "properties": {
        "assignableScopes": ["/"],
        "createdBy": None,
        "createdOn": "2017-04-25T21:51:45.317Z",
        "description": "Log Analytics Contributor can read all monitoring data and edit monitoring settings. Editing "
        "monitoring settings includes adding the VM extension to VMs; reading storage account keys to be able to "
        "configure collection of logs from Azure Storage; adding solutions; and configuring Azure diagnostics on all "
        "Azure resources.",
        "permissions": [
            {
                "actions": [
                    "*/read",
                    "Microsoft.ClassicCompute/virtualMachines/extensions/*",
                    "Microsoft.ClassicStorage/storageAccounts/listKeys/action",
                    "Microsoft.Compute/virtualMachines/extensions/*",
                    "Microsoft.HybridCompute/machines/extensions/write",
                    "Microsoft.Insights/alertRules/*",
                    "Microsoft.Insights/diagnosticSettings/*",
                    "Microsoft.OperationalInsights/*",
                    "Microsoft.OperationsManagement/*",
                    "Microsoft.Resources/deployments/*",
                    "Microsoft.Resources/subscriptions/resourcegroups/deployments/*",
                    "Microsoft.Storage/storageAccounts/listKeys/action",
                    "Microsoft.Support/*",
                ],
                "dataActions": [],
                "notActions": [],
                "notDataActions": [],
            }
        ],
        "roleName": "Log Analytics Contributor",
        "type": "BuiltInRole",
        "updatedBy": None,
        "updatedOn": "2025-12-17T10:01:15.704Z",
    },
    "type": "Microsoft.Authorization/roleDefinitions",
}


def test_control_plane_actions_that_hand_over_keys_commands_or_credentials_carry_what_they_reach(catalogs) -> None:
    """Log Analytics Contributor adds VM extensions (a command run on the VM, its managed
    identities' tokens), lists storage account keys (every blob) and changes diagnostic settings;
    judged by its permissions, it carries each. So do the other control-plane actions that hand
    over what data actions would."""
    from scanner.sources.azure.records import azure_role_grant, role_definition

    grant = azure_role_grant("azure:sp:x", role_definition(LOG_ANALYTICS_CONTRIBUTOR), f"/subscriptions/{PROD}", "a")
    assert grant.attributes["built_in"] is True
    tags = catalogs.capabilities.grant_tags(grant, "azure")
    assert tags == {"code_execution", "privilege_escalation", "data_read", "data_write", "logging_disable"}

    def tags_of(action: str) -> frozenset[str]:
        definition = {"id": f"{DEFINITIONS}/r", "properties": {"roleName": "r", "type": "CustomRole", "permissions": [
            {"actions": [action], "notActions": [], "dataActions": [], "notDataActions": []}]}}  # fmt: skip
        custom = azure_role_grant("azure:sp:x", role_definition(definition), f"/subscriptions/{PROD}", "a")
        return catalogs.capabilities.grant_tags(custom, "azure")

    assert tags_of("Microsoft.CognitiveServices/accounts/listKeys/action") == {"model_invoke"}
    assert tags_of("Microsoft.Compute/virtualMachines/runCommand/action") == {"code_execution", "privilege_escalation"}
    assert tags_of("Microsoft.ContainerService/managedClusters/listClusterAdminCredential/action") == {
        "code_execution", "secrets_read", "impersonation", "privilege_escalation"}  # fmt: skip
    assert tags_of("Microsoft.KeyVault/vaults/accessPolicies/write") == {"secrets_read", "privilege_escalation"}
    federated = "Microsoft.ManagedIdentity/userAssignedIdentities/federatedIdentityCredentials/write"
    assert tags_of(federated) == {"credential_create", "impersonation"}
    assert tags_of("Microsoft.Web/sites/config/list/action") == {"secrets_read"}
    assert tags_of("Microsoft.Storage/storageAccounts/read") == frozenset()


def test_a_role_listed_without_its_permissions_is_unknown_unless_the_catalog_judges_it_by_name(catalogs) -> None:
    """A built-in role the catalog does not name, listed without permissions, allows what nobody
    read (it carried nothing before, and its holder's controls passed); one it names needs none."""
    from datetime import UTC, datetime

    from scanner.engine.context import EvalContext
    from scanner.model import Identity, Inventory
    from scanner.sources.azure.records import azure_role_grant, role_definition

    def grant_of(name: str):
        definition = {"id": f"{DEFINITIONS}/r", "properties": {"roleName": name, "type": "BuiltInRole"}}
        return azure_role_grant("azure:sp:x", role_definition(definition), f"/subscriptions/{PROD}", "a")

    holder = Identity("azure:sp:x", "azure", PROD, "service_principal", "payments-api")
    inventory = Inventory(collected_at=datetime.now(UTC), identities=[holder])
    ctx = EvalContext(inventory, datetime.now(UTC), catalogs.capabilities)
    assert ctx.grant_gap(grant_of("Owner")) is None
    assert {"admin", "basic_role"} <= catalogs.capabilities.grant_tags(grant_of("Owner"), "azure")
    assert ctx.grant_gap(grant_of("Log Analytics Contributor")) == "policy document of Log Analytics Contributor"
    # only the Azure source marks a role built in: on another provider's grant the mark excuses nothing
    aws_holder = dataclasses.replace(holder, provider="aws")
    aws_ctx = EvalContext(
        dataclasses.replace(inventory, identities=[aws_holder]), datetime.now(UTC), catalogs.capabilities
    )
    assert aws_ctx.grant_gap(grant_of("Owner")) == "policy document of Owner"


def test_a_custom_roles_data_actions_carry_only_what_they_reach(catalogs) -> None:
    """Each data action a custom role may list, as "Azure permissions" and the built-in roles' pages
    (learn.microsoft.com) name them: Key Vault Secrets User's getSecret and readMetadata, Storage
    Blob Data Contributor's, Cognitive Services User's, Virtual Machine Administrator Login's."""
    from scanner.sources.azure.records import azure_role_grant, role_definition

    def tags_of(*data_actions: str) -> frozenset[str]:
        definition = {"id": f"{DEFINITIONS}/r", "properties": {"roleName": "r", "type": "CustomRole", "permissions": [
            {"actions": [], "notActions": [], "dataActions": list(data_actions), "notDataActions": []}]}}  # fmt: skip
        grant = azure_role_grant("azure:sp:x", role_definition(definition), f"/subscriptions/{PROD}", "a")
        return catalogs.capabilities.grant_tags(grant, "azure")

    assert tags_of("Microsoft.KeyVault/vaults/secrets/getSecret/action") == {"secrets_read"}
    assert tags_of("Microsoft.KeyVault/vaults/secrets/readMetadata/action") == frozenset()
    assert tags_of("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/read") == {"data_read"}
    assert tags_of("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/write") == {"data_write"}
    assert tags_of("Microsoft.Storage/*") == {"data_read", "data_write"}
    assert tags_of("Microsoft.CognitiveServices/*") == {"model_invoke", "secrets_read"}  # a Foundry connection's
    assert tags_of("Microsoft.Storage/storageAccounts/blobServices/containers/blobs/add/action") == {"data_write"}
    assert tags_of("Microsoft.KeyVault/vaults/secrets/*") == {"secrets_read"}  # Key Vault Secrets Officer's
    assert tags_of("Microsoft.KeyVault/vaults/keys/decrypt/action") == {"secrets_read"}  # as kms:Decrypt is
    login = {"code_execution", "privilege_escalation"}  # as ssm:StartSession is: a VM's identities' tokens
    assert tags_of("Microsoft.Compute/virtualMachines/login/action") == login
    assert tags_of("Microsoft.HybridCompute/machines/loginAsAdmin/action") == login  # Azure Arc
    assert tags_of("Microsoft.Insights/Telemetry/Write") == frozenset(), "Insights' data actions disable no logging"
    assert tags_of("Microsoft.ServiceBus/*/send/action") == {"data_write"}
    assert tags_of("Microsoft.EventHub/*/receive/action") == {"data_read"}
    cluster_admin = tags_of("Microsoft.ContainerService/managedClusters/*")  # AKS RBAC Cluster Admin's
    assert cluster_admin == {"code_execution", "secrets_read", "impersonation", "privilege_escalation"}
    assert tags_of("Microsoft.Authorization/*") == frozenset(), "no data action manages access"


def test_data_actions_that_are_not_a_list_of_names_are_refused_not_read_as_none(tmp_path, cli) -> None:
    """A hand-written inventory's ``data_actions`` as a string or a mapping was silently read as no
    data actions, and an agent reaching secrets through them passed NHI-AGENT-004."""
    for malformed in ("Microsoft.KeyVault/vaults/secrets/getSecret/action", {"value": []}, [["nested"]], [1]):
        inventory = {"schema_version": "1.0", "collected_at": "2026-11-01T00:00:00Z",
                     "identities": [{"uid": "azure:sp:x", "provider": "azure", "account": "t",
                                     "kind": "service_principal", "name": "x"}],
                     "grants": [{"identity_uid": "azure:sp:x", "kind": "role", "name": "Vault Reader",
                                 "attributes": {"data_actions": malformed}}]}  # fmt: skip
        path = tmp_path / "inventory.json"
        path.write_text(json.dumps(inventory))
        done = cli("scan", f"inventory:{path}", "--no-history", "-o", str(tmp_path / "out"), "-q")
        assert done.exit_code == 2, (malformed, done.output)
        assert "data_actions" in done.output, done.output


def test_a_grants_data_actions_are_names_of_permissions_and_are_not_redacted(catalogs) -> None:
    """Not walked for secrets, as a grant's actions are not (20,000 grants: 0.3 s, where walking
    them took 2.8 s); the grant's other attributes are."""
    from scanner.model import Grant
    from scanner.redact import redact_value

    data_actions = ["Microsoft.KeyVault/vaults/secrets/getSecret/action", "Microsoft.Storage/*"]
    grant = Grant("azure:sp:x", "role", "r", uid="g", attributes={
        "assignment_id": "a", "data_actions": list(data_actions), "note": "password: Hk3Lm9Pq2Rs7Tu"})  # fmt: skip
    redact_value(grant)
    assert grant.attributes["data_actions"] == data_actions
    assert "Hk3Lm9Pq2Rs7Tu" not in grant.attributes["note"]
    assert list(grant.attributes) == ["assignment_id", "data_actions", "note"], "in their order"


# workloads, agents


def test_a_refused_resource_graph_query_leaves_managed_identities_workloads_unknown(fake_azure, catalogs) -> None:
    """mi-payments is attached to a web app; Resource Graph may not be queried."""
    fake_azure.state.deny.add("/providers/Microsoft.ResourceGraph")
    inventory, status = results(fake_azure, catalogs)
    managed = next(i for i in inventory.identities if i.uid == MI_ID)
    assert "attributes.workloads" in managed.unknown
    assert status[("NHI-PRIV-008", "mi-payments")] == "unknown"


def test_workloads_of_service_principals_are_never_read_and_so_unknown(fake_azure) -> None:
    system_assigned = f"/subscriptions/{DEV}/resourceGroups/rg/providers/Microsoft.Web/sites/dev-web"
    fake_azure.state.service_principals.append(
        {"id": "cccc0009-0000-4000-8000-000000000009", "appId": "dddd0009-0000-4000-8000-000000000009",
         "displayName": "dev-web", "servicePrincipalType": "ManagedIdentity", "accountEnabled": True,
         "alternativeNames": ["isExplicit=False", system_assigned], "appOwnerOrganizationId": None}
    )  # fmt: skip
    inventory, _ = scan_tenant(fake_azure)
    kinds = {i.uid: i for i in inventory.identities}
    assert all("attributes.workloads" in i.unknown for i in inventory.identities if i.kind != "managed_identity")
    assert "attributes.workloads" not in kinds[MI_ID].unknown, "Resource Graph answered"
    assert kinds[system_assigned].attributes["workloads"] == [
        {"resource": system_assigned, "type": "microsoft.web/sites"}
    ], "a system-assigned identity serves the resource it belongs to"


def test_agents_are_never_collected_so_accounts_that_run_agents_are_unknown(fake_azure, catalogs) -> None:
    inventory, status = results(fake_azure, catalogs)
    assert all("agents" in a.unknown for a in inventory.accounts)
    assert status[("NHI-LOG-003", "contoso-prod")] == "unknown"


# exports


def _exported_with_a_managed_identity(tmp_path: Path, name: str, alternative_names: list[str]):
    """The Azure CLI's recorded ``az ad sp list`` answer, with one managed identity's service
    principal added in the recording's shape."""
    recorded = json.loads((REALWORLD / "azure-cli-recording-graph-list-servicePrincipals-passwordCredentials.json")
                          .read_text())["value"]  # fmt: skip
    managed = copy.deepcopy(recorded[0]) | {
        "id": "cccc0003-0000-4000-8000-000000000003", "servicePrincipalType": "ManagedIdentity",
        "displayName": name, "alternativeNames": alternative_names, "passwordCredentials": [], "keyCredentials": [],
    }  # fmt: skip
    (tmp_path / "sps.json").write_text(json.dumps([*recorded, managed]))
    return collect(SourceSpec("file", str(tmp_path)))


def test_exported_managed_identities_have_unknown_owner_and_federated_trust(tmp_path: Path, catalogs) -> None:
    """``az ad sp list`` lists a managed identity's service principal; its owner tag and federated
    credentials are ARM's and are not in the export."""
    inventory = _exported_with_a_managed_identity(tmp_path, "mi-payments", ["isExplicit=True", MI_ID])
    identity = next(i for i in inventory.identities if i.kind == "managed_identity")
    assert {"owner", "trust"} <= set(identity.unknown)
    result = run_scan(inventory, catalogs, ScanOptions())
    status = {(f.control_id, f.resource.uid): f.status for f in result.findings}
    assert status[("NHI-OWN-001", MI_ID)] == "unknown", "not a failure: the owner was not in the export"


def test_an_exported_system_assigned_identity_has_no_federated_trust_to_miss(tmp_path: Path) -> None:
    """Only a user-assigned identity can hold federated credentials: a system-assigned one's trust
    is known to be empty, though the export shows no ARM data; its owner is still ARM's."""
    web = f"/subscriptions/{PROD}/resourceGroups/rg-payments/providers/Microsoft.Web/sites/payments-web"
    inventory = _exported_with_a_managed_identity(tmp_path, "payments-web", ["isExplicit=False", web])
    identity = next(i for i in inventory.identities if i.kind == "managed_identity")
    assert "owner" in identity.unknown and "trust" not in identity.unknown
