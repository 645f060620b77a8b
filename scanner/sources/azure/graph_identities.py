"""The tenant-wide half of an Azure scan: applications and service principals (Microsoft Graph)
with their credentials, owners, federated credentials, application and delegated permissions,
directory roles and last use."""

from __future__ import annotations

from typing import Any

from scanner.model import Credential, Identity, Inventory
from scanner.sources.azure import records
from scanner.sources.azure.client import AzureCalls
from scanner.sources.azure.directory_roles import directory_role_grants
from scanner.sources.azure.signins import apply_to_credentials, apply_to_principal, read_sign_ins

APP_FIELDS = "id,appId,displayName,createdDateTime,passwordCredentials,keyCredentials,signInAudience"
SP_FIELDS = ("id,appId,displayName,servicePrincipalType,accountEnabled,createdDateTime,passwordCredentials,"
             "keyCredentials,alternativeNames,appOwnerOrganizationId,appRoles")  # fmt: skip
OWNER_FIELDS = "$select=mail,userPrincipalName,displayName,userType"


def graph_identities(calls: AzureCalls, tenant: str, inventory: Inventory) -> tuple[dict[str, str], bool]:
    """Adds the tenant's applications and service principals to ``inventory``. Returns object id ->
    uid, and whether every directory role they hold was read (else any principal may hold one)."""
    apps = calls.graph_list(f"/v1.0/applications?$select={APP_FIELDS}&$top=999", "graph:applications", tenant) or []
    listed_sps = calls.graph_list(
        f"/v1.0/servicePrincipals?$select={SP_FIELDS}&$top=999", "graph:servicePrincipals", tenant
    )
    sps = listed_sps or []
    role_names = {
        (str(sp["id"]), str(role.get("id"))): str(role.get("value") or role.get("displayName"))
        for sp in sps
        for role in sp.get("appRoles") or []
    }
    ours = [sp for sp in sps if str(sp.get("appOwnerOrganizationId")) not in records.MICROSOFT_TENANTS]
    paths = [f"/applications/{a['id']}/owners?{OWNER_FIELDS}" for a in apps]
    paths += [f"/servicePrincipals/{sp['id']}/appRoleAssignments" for sp in ours]
    paths += [
        f"/servicePrincipals/{sp['id']}/owners?{OWNER_FIELDS}"
        for sp in ours
        if sp.get("servicePrincipalType") != "ManagedIdentity"
    ]
    listed = calls.graph_batch(paths, "graph:owners, appRoleAssignments", tenant)
    # from beta: v1.0's federatedIdentityCredential has no claimsMatchingExpression, which a flexible
    # credential holds in place of its subject (read without it, what it admits is unknown)
    fic_paths = [f"/applications/{a['id']}/federatedIdentityCredentials" for a in apps]
    listed.update(calls.graph_batch(fic_paths, "graph:federatedIdentityCredentials (beta)", tenant, version="beta"))
    sign_ins = read_sign_ins(calls, tenant)
    for problem in sign_ins.malformed:
        calls.gap("graph:sign-in activity reports", tenant, f"unreadable timestamp {problem}", "malformed")

    for app in apps:
        identity = records.application(app, tenant, listed.get(f"/applications/{app['id']}/owners?{OWNER_FIELDS}"))
        federated = listed.get(f"/applications/{app['id']}/federatedIdentityCredentials")
        if federated is not None and not all(isinstance(fic, dict) for fic in federated):
            problem = f"{identity.uid}: an entry that is no object"
            calls.gap("graph:federatedIdentityCredentials (beta)", tenant, problem, "malformed")
            federated = None
        if federated is None:
            identity.unknown.append("trust")
        else:
            identity.attributes["trust"] = records.federated_trust(federated)
        _add(inventory, identity, app)
    by_object_id: dict[str, str] = {}
    for sp in ours:
        owners = listed.get(f"/servicePrincipals/{sp['id']}/owners?{OWNER_FIELDS}", [])
        identity = records.service_principal(sp, tenant, owners)
        apply_to_principal(identity, sign_ins)
        _add(inventory, identity, sp)
        by_object_id[str(sp["id"])] = identity.uid
        assignments = listed.get(f"/servicePrincipals/{sp['id']}/appRoleAssignments")
        if assignments is None:
            identity.unknown.append("grants")
        else:
            inventory.grants += records.app_permission_grants(identity.uid, assignments, role_names)
    apply_to_credentials(inventory.credentials, sign_ins)
    directory_roles, roles_read = directory_role_grants(calls, tenant, by_object_id)
    inventory.grants += directory_roles
    delegated = calls.graph_list("/v1.0/oauth2PermissionGrants?$top=999", "graph:oauth2PermissionGrants", tenant)
    for grant in delegated or []:
        holder = by_object_id.get(str(grant.get("clientId")))
        if holder:
            inventory.grants += records.delegated_grants(holder, grant)
    _file_malformed(calls, tenant, inventory)
    # without the list of principals, the roles of those not listed could not be linked; without the
    # delegated permissions, any principal may hold one (RoleManagement.ReadWrite.Directory for all users)
    return by_object_id, roles_read and listed_sps is not None and delegated is not None


def _add(inventory: Inventory, identity: Identity, obj: dict[str, Any]) -> None:
    bad = records.malformed(obj, "createdDateTime")
    if bad:
        identity.attributes["malformed"] = bad
        identity.unknown.append("created")
    inventory.identities.append(identity)
    inventory.credentials += records.key_credentials(identity.uid, obj)


def _file_malformed(calls: AzureCalls, tenant: str, inventory: Inventory) -> None:
    """Each unreadable timestamp is a named gap: the value stays unknown, the rest is kept."""
    records_read: list[Identity | Credential] = [*inventory.identities, *inventory.credentials]
    for record in records_read:
        for name, value in (record.attributes.get("malformed") or {}).items():
            calls.gap("graph:timestamps", tenant, f"{record.uid}: {name} {value!r} is not a timestamp", "malformed")
