"""Collect an Entra tenant (Graph) and its subscriptions (ARM).

Graph lists come in pages of 999; per-object lists (owners, federated credentials, application
permissions) go through ``$batch`` 20 at a time, so requests grow with pages and batches, not with
objects. Subscriptions are read in parallel; one that cannot be read is reported and the others go
on; Azure Resource Graph is asked about up to 1,000 subscriptions at once. Microsoft's own
first-party service principals (present in every tenant) are left out.

With ``--shard i/n`` the first shard reads the tenant-wide objects; every shard reads its own
subscriptions and resolves the service principals its role assignments name through
``directoryObjects/getByIds``, so their grants link to the identities the first shard reports; it
holds a stand-in for each (``HELD_BY_ANOTHER_SHARD``), which the controls on grants judge.
"""

from __future__ import annotations

import dataclasses
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from azure.core.credentials import TokenCredential

from scanner.model import Account, Grant, Identity, Inventory, SourceStatus
from scanner.sharding import Shard, owned
from scanner.sources.azure import records
from scanner.sources.azure.client import AzureCalls
from scanner.sources.azure.directory_roles import principals_by_object_id, principals_in_groups
from scanner.sources.azure.graph_identities import graph_identities
from scanner.sources.azure.records import RoleDefinition
from scanner.sources.azure.vault_policies import VAULTS_API, vault_policy_grants

SUBSCRIPTION_WORKERS = 8
MI_API = "api-version=2023-01-31"
PRINCIPAL_KINDS = ("service_principal", "app_registration", "managed_identity")
# Foundry and Azure OpenAI agents live in each project's data plane, which a tenant scan cannot list
AGENTS_UNREAD = ("agents",)


def collect_azure(
    credential: TokenCredential,
    tenant_hint: str | None = None,
    calls: AzureCalls | None = None,
    shard: Shard | None = None,
) -> Inventory:
    calls = calls or AzureCalls(credential)
    started = datetime.now(UTC)
    organization = calls.graph_list("/v1.0/organization?$select=id,displayName", "graph:organization", "")
    tenant = str(organization[0]["id"]) if organization else (tenant_hint or "unknown-tenant")
    calls.move_gaps("", tenant)
    tenant_name = str(organization[0].get("displayName") or tenant) if organization else tenant
    inventory = Inventory(collected_at=started)
    tenant_account = Account(uid=tenant, provider="azure", name=tenant_name, kind="tenant",
                             attributes={"cloud": calls.cloud.name}, unknown=list(AGENTS_UNREAD))  # fmt: skip
    inventory.accounts.append(tenant_account)

    # tenant-wide objects are read by one shard; subscriptions are divided among all
    by_object_id: dict[str, str] = {}
    directory_roles_read = True
    if shard is None or shard.first:
        by_object_id, directory_roles_read = graph_identities(calls, tenant, inventory)
    entra = calls.arm_list("/providers/microsoft.aadiam/diagnosticSettings?api-version=2017-04-01",
                           "arm:aadiam/diagnosticSettings", tenant)  # fmt: skip
    if entra is None:
        tenant_account.unknown.append("log_sources")
    else:
        inventory.log_sources += [records.diagnostic_setting(s, tenant, "entra_signin") for s in entra]

    listed = calls.arm_list("/subscriptions?api-version=2022-12-01", "arm:subscriptions", tenant)
    subscriptions = [s for s in listed or [] if owned(shard, str(s["subscriptionId"]))]
    by_uid = {identity.uid: identity for identity in inventory.identities}
    with ThreadPoolExecutor(max_workers=SUBSCRIPTION_WORKERS) as pool:
        parts = list(pool.map(lambda s: _subscription(calls, s, tenant, by_object_id, by_uid), subscriptions))
    later_shard = shard is not None and not shard.first
    principals_linked = _link_other_shards_principals(calls, tenant, parts, by_object_id) if later_shard else True
    group_members_read = _grant_group_roles_to_members(calls, tenant, parts, by_object_id, later_shard)
    subscription_ids = [str(s["subscriptionId"]) for s in subscriptions]
    vaults = [vault for part in parts for vault in part.vaults or []]
    vaults_read = all(part.vaults is not None for part in parts)
    # the service principal of each application: what a compound access-policy entry names
    by_app_id = {str(i.attributes["app_id"]).lower(): uid for uid, i in by_uid.items() if _is_sp_with_app(i)}
    vault_grants, vault_policies_read = vault_policy_grants(
        calls, tenant, vaults, vaults_read, by_object_id, by_app_id, later_shard
    )
    for part in parts:
        inventory.accounts += part.inventory.accounts
        inventory.identities += part.inventory.identities
        inventory.grants += part.inventory.grants
        inventory.log_sources += part.inventory.log_sources
    inventory.grants = _one_grant_per_assignment(inventory.grants) + vault_grants
    by_uid.update({identity.uid: identity for part in parts for identity in part.inventory.identities})
    _attachments(calls, tenant, subscription_ids, by_uid, listed is not None)
    if later_shard:  # the principals shard 1 reads, as far as this shard's grants go
        held = {identity.uid for identity in inventory.identities}
        named = dict.fromkeys(g.identity_uid for g in inventory.grants if g.identity_uid not in held)
        looked_up = calls.principals_looked_up
        inventory.identities += [records.stand_in(uid, tenant, looked_up.get(uid)) for uid in named if uid]
    rbac_read = listed is not None and all(part.assignments_read for part in parts) and group_members_read
    rbac_read = rbac_read and vault_policies_read and principals_linked
    if not (directory_roles_read and rbac_read):
        _grants_unknown(inventory.identities)
    for account in [tenant, *subscription_ids]:
        errors = calls.errors.get(account, [])
        inventory.sources.append(SourceStatus("azure", account, _status(account, tenant, organization, errors), errors))
    return inventory


def _is_sp_with_app(identity: Identity) -> bool:
    return identity.kind == "service_principal" and bool(identity.attributes.get("app_id"))


def _one_grant_per_assignment(grants: list[Grant]) -> list[Grant]:
    """A role assignment above the subscriptions (at a management group or the root scope) is listed
    by every subscription below it: one grant per assignment and holder. The read that left least
    unread gives its role's name and actions; what any read left unread stays unknown, so a grant
    one subscription read partially never looks complete."""
    listed: dict[tuple[str, ...], list[Grant]] = {}
    for grant in grants:
        assignment_id = grant.attributes.get("assignment_id") if grant.source == "roleAssignment" else None
        via_group = str(grant.attributes.get("via_group") or "")
        key = (str(assignment_id).lower(), grant.identity_uid, via_group) if assignment_id else (grant.uid,)
        listed.setdefault(key, []).append(grant)
    merged = []
    for reads in listed.values():
        fullest = min(reads, key=lambda grant: len(grant.unknown))
        unknown = list(dict.fromkeys(field for grant in reads for field in grant.unknown))
        merged.append(fullest if len(reads) == 1 else dataclasses.replace(fullest, unknown=unknown))
    return merged


def _grants_unknown(identities: list[Identity]) -> None:
    """Marks the grants of every principal unknown: some of its roles may be among those not read."""
    for identity in identities:
        if identity.kind in PRINCIPAL_KINDS and "grants" not in identity.unknown:
            identity.unknown.append("grants")


def _status(account: str, tenant: str, organization: list[Any] | None, errors: list[Any]) -> str:
    if account == tenant and organization is None and all(e.code == "unreachable" for e in errors) and errors:
        return "failed"  # not even the tenant could be reached
    return "partial" if errors else "complete"


ROLE_DEFINITIONS_QUERY = "$filter=atScopeAndBelow()&api-version=2022-04-01"


class _Part:
    """One subscription's records, and its role assignments whose holders are not yet known."""

    def __init__(self, account: Account) -> None:
        self.inventory = Inventory(collected_at=datetime.now(UTC), accounts=[account])
        self.unlinked: list[tuple[str, RoleDefinition, str, str]] = []  # (principal id, role, scope, assignment id)
        self.to_groups: list[tuple[str, RoleDefinition, str, str]] = []  # (group id, role, scope, assignment id)
        self.assignments_read = True
        self.vaults: list[dict[str, Any]] | None = []  # its Key Vaults (None: the list was refused)


def _subscription(
    calls: AzureCalls,
    subscription: dict[str, Any],
    tenant: str,
    by_object_id: dict[str, str],
    by_uid: dict[str, Identity],
) -> _Part:
    sub = str(subscription["subscriptionId"])
    base = f"/subscriptions/{sub}/providers"
    account = Account(uid=sub, provider="azure", name=str(subscription.get("displayName") or sub), kind="subscription",
                      parent=tenant, tags=dict(subscription.get("tags") or {}))  # fmt: skip
    account.unknown += AGENTS_UNREAD
    account.environment = records.tag(account.tags, "environment", "env")
    home = subscription.get("tenantId")
    if home and str(home) != tenant:  # Azure Lighthouse: another tenant's subscription, delegated to this one
        account.attributes["delegated_from_tenant"] = str(home)
        account.attributes["delegation"] = "Azure Lighthouse"
    part = _Part(account)
    # atScopeAndBelow: the custom roles defined in the subscription's resource groups too; without the
    # filter only those applicable at the subscription and above are listed (Role Definitions - List)
    definitions = calls.arm_list(f"{base}/Microsoft.Authorization/roleDefinitions?{ROLE_DEFINITIONS_QUERY}",
                                 "arm:roleDefinitions", sub)  # fmt: skip
    roles = {str(d["id"]).rsplit("/", 1)[-1]: records.role_definition(d) for d in definitions or []}
    # no filter: those at, above and below the subscription (its resource groups and resources) are
    # listed; atScope() would leave out those below, and atScopeAndBelow() is a role-definition
    # filter only, which this list refuses (400 UnsupportedQuery). Role Assignments - List For Scope
    assignments = calls.arm_list(f"{base}/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
                                 "arm:roleAssignments", sub)  # fmt: skip
    identities = calls.arm_list(f"{base}/Microsoft.ManagedIdentity/userAssignedIdentities?{MI_API}",
                                "arm:userAssignedIdentities", sub)  # fmt: skip
    for identity in identities or []:
        _user_assigned(calls, identity, sub, part, by_object_id, by_uid)
    for assignment in assignments or []:
        properties = assignment.get("properties") or {}
        principal = str(properties.get("principalId"))
        role_id = str(properties.get("roleDefinitionId"))
        role = roles.get(role_id.rsplit("/", 1)[-1]) or records.unread_role(role_id)
        scope, assignment_id = str(properties.get("scope")), str(assignment.get("id"))
        holder = by_object_id.get(principal)
        if holder is not None:
            part.inventory.grants.append(records.azure_role_grant(holder, role, scope, assignment_id))
        elif properties.get("principalType") == "ServicePrincipal":
            part.unlinked.append((principal, role, scope, assignment_id))
        elif properties.get("principalType") == "Group":
            part.to_groups.append((principal, role, scope, assignment_id))
    settings = calls.arm_list(
        f"{base}/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview", "arm:diagnosticSettings", sub
    )
    if settings is None:
        account.unknown.append("log_sources")
    else:
        part.inventory.log_sources = [records.diagnostic_setting(s, sub, "activity_log") for s in settings]
    if definitions is None or assignments is None:
        account.unknown.append("identities")
    part.assignments_read = assignments is not None
    part.vaults = calls.arm_list(f"{base}/Microsoft.KeyVault/vaults?{VAULTS_API}", "arm:vaults", sub)
    return part


def _user_assigned(
    calls: AzureCalls,
    identity: dict[str, Any],
    sub: str,
    part: _Part,
    by_object_id: dict[str, str],
    by_uid: dict[str, Identity],
) -> None:
    """A user-assigned managed identity as ARM shows it: completes the Graph record (tags, owner,
    resource group, federated credentials) or, where Graph did not show it, stands on its own."""
    properties = identity.get("properties") or {}
    principal = str(properties.get("principalId"))
    arm_id = str(identity["id"])
    known = by_uid.get(by_object_id.get(principal, ""))
    if known is None:
        tags = dict(identity.get("tags") or {})
        known = Identity(
            uid=arm_id, provider="azure", account=sub, kind="managed_identity", name=str(identity.get("name")),
            owner=records.owner_tag(tags), tags=tags, interactive=False,
            attributes={"client_id": properties.get("clientId"), "principal_id": principal},
            unknown=["last_used"],
        )  # fmt: skip
        part.inventory.identities.append(known)
        by_object_id.setdefault(principal, arm_id)
    else:
        known.tags.update(identity.get("tags") or {})
        known.owner = known.owner or records.owner_tag(known.tags)
        _known(known, "owner")
    known.attributes["resource_group"] = arm_id.split("/")[4] if arm_id.count("/") >= 4 else None
    federated = calls.arm_list(f"{arm_id}/federatedIdentityCredentials?{MI_API}",
                               "arm:userAssignedIdentities/federatedIdentityCredentials", sub)  # fmt: skip
    if federated is None:
        known.unknown.append("trust")
    else:
        flattened = [{**(f.get("properties") or {}), "name": f.get("name")} for f in federated]
        known.attributes["trust"] = records.federated_trust(flattened)


def _link_other_shards_principals(
    calls: AzureCalls, tenant: str, parts: list[_Part], by_object_id: dict[str, str]
) -> bool:
    """Links the role assignments of service principals this shard does not know to the uids shard
    1 reports; whether they could be looked up. Where not, each is held by ``azure:sp:OBJECT_ID``
    (a managed identity's uid, its ARM id, needed the lookup), whose grants are then unknown: the
    role is judged by no one otherwise, and shard 1's result for the principal would stand."""
    principals = sorted({principal for part in parts for principal, *_ in part.unlinked})
    if not principals:
        return True
    found = principals_by_object_id(calls, tenant, principals)
    by_object_id.update(found or {})
    for part in parts:
        for principal, role, scope, assignment_id in part.unlinked:
            holder = by_object_id.get(principal) or (f"azure:sp:{principal}" if found is None else None)
            if holder:
                part.inventory.grants.append(records.azure_role_grant(holder, role, scope, assignment_id))
    return found is not None


def _grant_group_roles_to_members(
    calls: AzureCalls, tenant: str, parts: list[_Part], by_object_id: dict[str, str], later_shard: bool
) -> bool:
    """Role assignments to groups, as grants of the service principals and managed identities among
    each group's transitive members; whether every such group's members were read (where not, any
    principal may hold a role through it). A later shard looks up the members it does not know."""
    held = [(part, *assignment) for part in parts for assignment in part.to_groups]
    groups = sorted({group for _, group, *_ in held})
    holders, members_read = principals_in_groups(calls, tenant, groups, by_object_id, later_shard)
    for part, group, role, scope, assignment_id in held:
        for holder in holders[group]:
            part.inventory.grants.append(records.azure_role_grant(holder, role, scope, assignment_id, group))
    return members_read


# resources with managed identities: the user-assigned ones attached to each, and the tags of those
# with a system-assigned identity (identity.principalId), whose owner tag is that identity's owner
ATTACHED_QUERY = (
    "resources | where isnotnull(identity) and (isnotnull(identity.userAssignedIdentities) "
    "or isnotnull(identity.principalId)) | project id, type, subscriptionId, tags, "
    "principalId = tostring(identity.principalId), identities = bag_keys(identity.userAssignedIdentities)"
)


def _attachments(
    calls: AzureCalls, tenant: str, subscriptions: list[str], by_uid: dict[str, Identity], listed: bool
) -> None:
    """Where each user-assigned identity is attached (Azure Resource Graph, up to 1,000
    subscriptions a query). A system-assigned identity serves the resource it belongs to, and is
    owned by whoever that resource's owner tag names. Unknown where not read: service principals
    and applications always (nothing lists what runs as them), user-assigned identities when a
    subscription's resources could not be queried (an identity may be attached in any of them);
    a system-assigned identity's owner while its resource's row was not read."""
    found = calls.resource_graph(ATTACHED_QUERY, subscriptions, "arm:resourceGraph", tenant) if subscriptions else {}
    attachments_read = listed and all(rows is not None for rows in found.values())
    for identity in by_uid.values():
        resource_type = _system_assigned_to(identity)
        if resource_type:
            identity.attributes["workloads"] = [{"resource": identity.uid, "type": resource_type}]
        elif records.is_user_assigned(identity) and attachments_read:
            identity.attributes["workloads"] = []
        elif "attributes.workloads" not in identity.unknown:
            identity.unknown.append("attributes.workloads")
    known = {uid.lower(): identity for uid, identity in by_uid.items() if records.is_user_assigned(identity)}
    system_assigned = {
        str(identity.attributes.get("object_id")).lower(): identity
        for identity in by_uid.values()
        if identity.kind == "managed_identity" and not records.is_user_assigned(identity)
    }
    for rows in found.values():
        for row in rows or []:
            owned = system_assigned.get(str(row.get("principalId") or "").lower())
            if owned is not None:
                tags = row.get("tags")
                owned.owner = records.owner_tag(tags if isinstance(tags, dict) else {})
                owned.attributes["owner_from"] = row.get("id")
                _known(owned, "owner")
            for identity_id in row.get("identities") or []:
                attached = known.get(str(identity_id).lower())
                if attached is not None:
                    workloads = attached.attributes.setdefault("workloads", [])
                    workloads.append({"resource": row.get("id"), "type": row.get("type")})


def _known(identity: Identity, name: str) -> None:
    """Marks a field read (from ARM) on a record that had it unknown."""
    identity.unknown[:] = [field for field in identity.unknown if field != name]


_ARM_RESOURCE = re.compile(r"^/subscriptions/[^/]+/resourcegroups/[^/]+/providers/([^/]+/[^/]+)/", re.IGNORECASE)


def _system_assigned_to(identity: Identity) -> str | None:
    """The type of the resource a system-assigned identity belongs to (its uid is that resource's id)."""
    match = _ARM_RESOURCE.match(identity.uid)
    if identity.kind != "managed_identity" or match is None or records.is_user_assigned(identity):
        return None
    return match.group(1).lower()
