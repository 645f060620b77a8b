"""Collect an Entra tenant (Graph) and its subscriptions (ARM).

Graph lists come in pages of 999; per-object lists (owners, federated credentials, application
permissions) go through ``$batch`` 20 at a time, so requests grow with pages and batches, not with
objects. Subscriptions are read in parallel; one that cannot be read is reported and the others go
on. Microsoft's own first-party service principals (present in every tenant) are left out.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from azure.core.credentials import TokenCredential

from scanner.model import Account, Identity, Inventory, SourceStatus
from scanner.sharding import Shard, owned
from scanner.sources.azure import records
from scanner.sources.azure.client import AzureCalls

MICROSOFT_TENANTS = {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}
APP_FIELDS = "id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials,signInAudience"
SP_FIELDS = ("id,appId,displayName,servicePrincipalType,accountEnabled,createdDateTime,passwordCredentials,"
             "keyCredentials,alternativeNames,appOwnerOrganizationId,appRoles")  # fmt: skip
OWNER_FIELDS = "$select=mail,userPrincipalName,displayName"
SUBSCRIPTION_WORKERS = 8


def collect_azure(
    credential: TokenCredential,
    tenant_hint: str | None = None,
    calls: AzureCalls | None = None,
    shard: Shard | None = None,
) -> Inventory:
    calls = calls or AzureCalls(credential)
    started = datetime.now(UTC)
    organization = calls.graph_list("/v1.0/organization?$select=id,displayName", "graph:organization") or []
    tenant = str(organization[0]["id"]) if organization else (tenant_hint or "unknown-tenant")
    tenant_name = str(organization[0].get("displayName") or tenant) if organization else tenant
    inventory = Inventory(collected_at=started)
    tenant_account = Account(uid=tenant, provider="azure", name=tenant_name, kind="tenant")
    inventory.accounts.append(tenant_account)

    # tenant-wide objects are read by one shard; subscriptions are divided among all
    by_object_id = _graph_identities(calls, tenant, inventory) if shard is None or shard.first else {}
    entra = calls.arm_list("/providers/microsoft.aadiam/diagnosticSettings?api-version=2017-04-01",
                           "arm:aadiam/diagnosticSettings", tenant)  # fmt: skip
    if entra is None:
        tenant_account.unknown.append("log_sources")
    else:
        inventory.log_sources += [records.diagnostic_setting(s, tenant, "entra_signin") for s in entra]

    subscriptions = calls.arm_list("/subscriptions?api-version=2022-12-01", "arm:subscriptions", tenant) or []
    subscriptions = [s for s in subscriptions if owned(shard, str(s["subscriptionId"]))]
    by_uid = {identity.uid: identity for identity in inventory.identities}
    with ThreadPoolExecutor(max_workers=SUBSCRIPTION_WORKERS) as pool:
        parts = list(pool.map(lambda s: _subscription(calls, s, tenant, by_object_id, by_uid), subscriptions))
    for part in parts:
        inventory.accounts += part.accounts
        inventory.identities += part.identities
        inventory.grants += part.grants
        inventory.log_sources += part.log_sources
    for account in [tenant, *(str(s["subscriptionId"]) for s in subscriptions)]:
        errors = calls.errors.get(account, [])
        inventory.sources.append(SourceStatus("azure", account, "partial" if errors else "complete", errors))
    return inventory


def _graph_identities(calls: AzureCalls, tenant: str, inventory: Inventory) -> dict[str, str]:
    """Applications and service principals with their credentials and grants; object id -> uid."""
    apps = calls.graph_list(f"/v1.0/applications?$select={APP_FIELDS}&$top=999", "graph:applications", tenant) or []
    sps = calls.graph_list(f"/v1.0/servicePrincipals?$select={SP_FIELDS}&$top=999", "graph:servicePrincipals", tenant)
    sps = sps or []
    role_names = {
        (str(sp["id"]), str(role.get("id"))): str(role.get("value") or role.get("displayName"))
        for sp in sps
        for role in sp.get("appRoles") or []
    }
    ours = [sp for sp in sps if str(sp.get("appOwnerOrganizationId")) not in MICROSOFT_TENANTS]
    paths = [f"/applications/{a['id']}/owners?{OWNER_FIELDS}" for a in apps]
    paths += [f"/applications/{a['id']}/federatedIdentityCredentials" for a in apps]
    paths += [f"/servicePrincipals/{sp['id']}/appRoleAssignments" for sp in ours]
    paths += [
        f"/servicePrincipals/{sp['id']}/owners?{OWNER_FIELDS}"
        for sp in ours
        if sp.get("servicePrincipalType") != "ManagedIdentity"
    ]
    listed = calls.graph_batch(paths, "graph:owners, federatedIdentityCredentials, appRoleAssignments", tenant)
    sign_ins = _sign_in_activity(calls)

    for app in apps:
        identity = records.application(app, tenant, listed.get(f"/applications/{app['id']}/owners?{OWNER_FIELDS}"))
        federated = listed.get(f"/applications/{app['id']}/federatedIdentityCredentials")
        if federated is None:
            identity.unknown.append("trust")
        else:
            identity.attributes["trust"] = records.federated_trust(federated)
        inventory.identities.append(identity)
        inventory.credentials += records.key_credentials(identity.uid, app)
    by_object_id: dict[str, str] = {}
    for sp in ours:
        owners = listed.get(f"/servicePrincipals/{sp['id']}/owners?{OWNER_FIELDS}", [])
        last = sign_ins.get(str(sp.get("appId"))) if sign_ins is not None else None
        identity = records.service_principal(sp, tenant, owners, last if sign_ins is not None else None)
        if sign_ins is not None and last is None:
            identity.last_used = None  # listed activity, and none for this one: never signed in
            identity.unknown = [u for u in identity.unknown if u != "last_used"]
        inventory.identities.append(identity)
        inventory.credentials += records.key_credentials(identity.uid, sp)
        by_object_id[str(sp["id"])] = identity.uid
        assignments = listed.get(f"/servicePrincipals/{sp['id']}/appRoleAssignments")
        if assignments is None:
            identity.unknown.append("grants")
        else:
            inventory.grants += records.app_permission_grants(identity.uid, assignments, role_names)
    directory = calls.graph_list(
        "/v1.0/roleManagement/directory/roleAssignments?$expand=roleDefinition($select=displayName)",
        "graph:roleManagement/directory/roleAssignments",
        tenant,
    )
    for assignment in directory or []:
        holder = by_object_id.get(str(assignment.get("principalId")))
        if holder:
            role = (assignment.get("roleDefinition") or {}).get("displayName") or assignment.get("roleDefinitionId")
            inventory.grants.append(
                records.directory_role_grant(holder, str(role), str(assignment.get("directoryScopeId")))
            )
    delegated = calls.graph_list("/v1.0/oauth2PermissionGrants?$top=999", "graph:oauth2PermissionGrants", tenant)
    for grant in delegated or []:
        holder = by_object_id.get(str(grant.get("clientId")))
        if holder:
            inventory.grants += records.delegated_grants(holder, grant)
    return by_object_id


def _sign_in_activity(calls: AzureCalls) -> dict[str, Any] | None:
    """Last sign-in per application id, where the tenant exposes it (beta API, Entra ID P1+); None
    where it does not, which leaves last use unknown rather than making the source partial."""
    activities = calls.graph_list(
        "/beta/reports/servicePrincipalSignInActivities?$top=999", "graph:signInActivity", optional=True
    )
    if activities is None:
        return None
    found: dict[str, Any] = {}
    for activity in activities:
        last = (activity.get("lastSignInActivity") or {}).get("lastSignInDateTime")
        found[str(activity.get("appId"))] = last or ""
    return found


def _subscription(
    calls: AzureCalls,
    subscription: dict[str, Any],
    tenant: str,
    by_object_id: dict[str, str],
    by_uid: dict[str, Identity],
) -> Inventory:
    sub = str(subscription["subscriptionId"])
    base = f"/subscriptions/{sub}/providers"
    account = Account(uid=sub, provider="azure", name=str(subscription.get("displayName") or sub), kind="subscription",
                      parent=tenant, tags=dict(subscription.get("tags") or {}))  # fmt: skip
    environment = next((v for k, v in account.tags.items() if k.lower() in ("environment", "env")), None)
    account.environment = environment
    part = Inventory(collected_at=datetime.now(UTC), accounts=[account])
    definitions = calls.arm_list(f"{base}/Microsoft.Authorization/roleDefinitions?api-version=2022-04-01",
                                 "arm:roleDefinitions", sub)  # fmt: skip
    names = {str(d["id"]).rsplit("/", 1)[-1]: (d.get("properties") or {}).get("roleName") for d in definitions or []}
    assignments = calls.arm_list(f"{base}/Microsoft.Authorization/roleAssignments?api-version=2022-04-01",
                                 "arm:roleAssignments", sub)  # fmt: skip
    identities = calls.arm_list(f"{base}/Microsoft.ManagedIdentity/userAssignedIdentities?api-version=2023-01-31",
                                "arm:userAssignedIdentities", sub)  # fmt: skip
    for identity in identities or []:
        properties = identity.get("properties") or {}
        principal = str(properties.get("principalId"))
        known = by_uid.get(by_object_id.get(principal, ""))
        if known is not None:  # seen in Graph too: ARM adds its tags, owner and resource group
            known.tags.update(identity.get("tags") or {})
            known.owner = known.owner or known.tags.get("owner") or known.tags.get("Owner")
            known.attributes["resource_group"] = str(identity["id"]).split("/")[4]
            continue
        if principal not in by_object_id:  # not seen in Graph (not readable there): keep what ARM shows
            tags = dict(identity.get("tags") or {})
            part.identities.append(Identity(
                uid=str(identity["id"]), provider="azure", account=sub, kind="managed_identity",
                name=str(identity.get("name")), owner=tags.get("owner") or tags.get("Owner"), tags=tags,
                attributes={"client_id": properties.get("clientId"), "principal_id": principal},
                unknown=["last_used"],
            ))  # fmt: skip
            by_object_id.setdefault(principal, str(identity["id"]))
    for assignment in assignments or []:
        properties = assignment.get("properties") or {}
        holder = by_object_id.get(str(properties.get("principalId")))
        if holder is None:
            continue
        role = names.get(str(properties.get("roleDefinitionId")).rsplit("/", 1)[-1]) or str(
            properties.get("roleDefinitionId")
        )
        part.grants.append(
            records.azure_role_grant(holder, role, str(properties.get("scope")), str(assignment.get("id")))
        )
    settings = calls.arm_list(
        f"{base}/Microsoft.Insights/diagnosticSettings?api-version=2021-05-01-preview", "arm:diagnosticSettings", sub
    )
    if settings is None:
        account.unknown.append("log_sources")
    else:
        part.log_sources = [records.diagnostic_setting(s, sub, "activity_log") for s in settings]
    if definitions is None or assignments is None:
        account.unknown.append("identities")
    _attachments(calls, sub, by_object_id, by_uid)
    return part


ATTACHED_QUERY = (
    "resources | where isnotnull(identity) and isnotnull(identity.userAssignedIdentities) "
    "| project id, type, identities = bag_keys(identity.userAssignedIdentities)"
)


def _attachments(calls: AzureCalls, sub: str, by_object_id: dict[str, str], by_uid: dict[str, Identity]) -> None:
    """Where each user-assigned identity is attached (Azure Resource Graph); left unknown if refused."""
    rows = calls.arm_query(
        "/providers/Microsoft.ResourceGraph/resources?api-version=2021-03-01",
        {"subscriptions": [sub], "query": ATTACHED_QUERY},
        "arm:resourceGraph",
        sub,
    )
    if rows is None:
        return
    known = {uid.lower(): identity for uid, identity in by_uid.items()}
    for row in rows:
        for identity_id in row.get("identities") or []:
            identity = known.get(str(identity_id).lower())
            if identity is not None:
                workloads = identity.attributes.setdefault("workloads", [])
                workloads.append({"resource": row.get("id"), "type": row.get("type")})
