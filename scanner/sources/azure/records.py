"""Graph and ARM objects into identities, credentials, grants and log sources.

Pure functions over the JSON the APIs return (the same shapes ``az ad app list`` and
``az ad sp list`` print), shared by the live source and the export importer.

- An application is an ``app_registration`` (``azure:app:APPID``) holding its client secrets,
  certificates and federated credentials (as ``trust`` entries: issuer and subject, or the claims
  matching expression a flexible one holds in its place).
- A service principal is a ``service_principal`` (``azure:sp:OBJECTID``) holding the
  application permissions granted to it, its directory roles and its Azure role assignments; a
  managed identity's service principal is a ``managed_identity``, keyed by its ARM resource id
  when it is user-assigned, so ARM and Graph agree on it. Its owner is ARM's (an owner tag), so
  Graph alone leaves it unknown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from fnmatch import fnmatchcase
from typing import Any

from scanner.model import HELD_BY_ANOTHER_SHARD, STAND_IN_UNKNOWN, Credential, Grant, Identity, LogSource
from scanner.serialize import parse_time

_ARM_ID = re.compile(r"^/subscriptions/[^/]+/resourcegroups/", re.IGNORECASE)
PRIVILEGED_AZURE_ROLES = {
    "Owner",
    "Contributor",
    "User Access Administrator",
    "Role Based Access Control Administrator",
}


def timestamp(value: Any) -> datetime | None:
    """A Graph or ARM timestamp; None when absent or malformed (see ``malformed``)."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def malformed(obj: dict[str, Any], *fields: str) -> dict[str, str]:
    """The fields of ``obj`` that hold a timestamp nhiscan cannot read, with (the start of) the value."""
    return {f: str(obj[f])[:40] for f in fields if obj.get(f) not in (None, "") and timestamp(obj.get(f)) is None}


def app_uid(app_id: str) -> str:
    return f"azure:app:{app_id}"


# The tenants owning Microsoft's first-party applications: their principals (present in every
# tenant) are none of a scan's
MICROSOFT_TENANTS = {"f8cdef31-a31e-4b4a-93e4-5f571e91255a", "72f988bf-86f1-41af-91ab-2d7cd011db47"}


def sp_uid(sp: dict[str, Any]) -> str:
    if sp.get("servicePrincipalType") == "ManagedIdentity":
        arm_id = next((n for n in sp.get("alternativeNames") or [] if _ARM_ID.match(str(n))), None)
        return str(arm_id) if arm_id else f"azure:mi:{sp['id']}"
    return f"azure:sp:{sp['id']}"


def stand_in(uid: str, tenant: str, looked_up: dict[str, Any] | None) -> Identity:
    """A principal a later shard's assignments name, which shard 1 reads whole: it holds this
    shard's grants, so that the controls on grants judge them (see HELD_BY_ANOTHER_SHARD), and
    what the directory lookup told of it (its type, name and owning tenant), when it was looked up."""
    if looked_up is not None:
        identity = service_principal(looked_up, tenant, None)
    else:
        kind = "service_principal" if uid.startswith("azure:sp:") else "managed_identity"
        name = uid.rsplit("/", 1)[-1] if uid.startswith("/") else uid
        identity = Identity(uid=uid, provider="azure", account=tenant, kind=kind, name=name)
    identity.attributes[HELD_BY_ANOTHER_SHARD] = True
    identity.unknown = list(STAND_IN_UNKNOWN)
    return identity


def _owner(owners: list[dict[str, Any]] | None) -> str | None:
    for owner in owners or []:
        name = owner.get("mail") or owner.get("userPrincipalName") or owner.get("displayName")
        if name:
            return str(name)
    return None


def application(app: dict[str, Any], tenant: str, owners: list[dict[str, Any]] | None) -> Identity:
    attributes = {"app_id": app["appId"], "object_id": app.get("id"), "sign_in_audience": app.get("signInAudience")}
    if owners is not None:
        attributes["external_owners"] = external_owners(owners)
    return Identity(
        uid=app_uid(app["appId"]),
        provider="azure",
        account=tenant,
        kind="app_registration",
        name=app.get("displayName") or app["appId"],
        owner=_owner(owners),
        created=timestamp(app.get("createdDateTime")),
        interactive=False,
        attributes=attributes,
        unknown=["last_used"] + (["owner", "attributes.external_owners"] if owners is None else []),
    )


def external_owners(owners: list[dict[str, Any]]) -> list[str]:
    """Owners who are guests from another tenant: userType Guest, or a #EXT# user principal name."""
    return sorted(
        str(owner.get("userPrincipalName") or owner.get("mail") or owner.get("id"))
        for owner in owners
        if owner.get("userType") == "Guest" or "#EXT#" in str(owner.get("userPrincipalName") or "")
    )


_KEY_TIMES = {"startDateTime": "created", "endDateTime": "expires"}
# The portal's "Never" wrote an end date of 2299-12-31 (and DateTime.MaxValue is 9999-12-31): a
# secret or certificate ending in that year or after never expires in any sense that matters
NEVER_EXPIRES_FROM_YEAR = 2299


def _end_date(key: dict[str, Any], attributes: dict[str, Any]) -> datetime | None:
    """When a secret or certificate stops working; None when it never does (its end date is kept in
    ``attributes.end_date_time``)."""
    end = timestamp(key.get("endDateTime"))
    if end is not None and end.year >= NEVER_EXPIRES_FROM_YEAR:
        attributes["end_date_time"] = str(key["endDateTime"])
        return None
    return end


def key_credentials(holder: str, obj: dict[str, Any]) -> list[Credential]:
    """Client secrets (passwordCredentials) and certificates (keyCredentials). Graph reports no
    last use of either, and no state: each is active, and works until its end date (judged at the
    scan's time, see Credential.active_at); one past it is only due for removal."""
    found = []
    for kind, field in (("client_secret", "passwordCredentials"), ("certificate", "keyCredentials")):
        for position, key in enumerate(obj.get(field) or []):
            # a keyId left out (null) is no name: two such keys stay apart by their place
            key_id = str(key.get("keyId") or f"#{position}")
            label = key.get("displayName") or key.get("hint") or key_id[:8]
            attributes: dict[str, Any] = {"display_id": f"{label} ({key_id[:8]})", "key_id": key_id}
            bad = malformed(key, "startDateTime", "endDateTime")
            if bad:
                attributes["malformed"] = bad
            found.append(
                Credential(
                    uid=f"{holder}#{kind}:{key_id}",
                    identity_uid=holder,
                    kind=kind,
                    created=timestamp(key.get("startDateTime")),
                    expires=_end_date(key, attributes),
                    attributes=attributes,
                    unknown=["last_used", *(_KEY_TIMES[f] for f in bad)],
                )
            )
    return found


def federated_trust(credentials: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_federated_entry(fic) for fic in credentials]


def _federated_entry(fic: dict[str, Any]) -> dict[str, Any]:
    entry = {
        "principal": str(fic.get("issuer", "")),
        "principal_type": "federated",
        "provider": str(fic.get("issuer", "")),
        "subject": fic.get("subject") or None,
        "external": False,
        "conditions": {"audiences": fic.get("audiences") or []},
        "name": fic.get("name"),
    }
    if entry["subject"] is None:
        # a flexible credential: an expression says what it admits. Graph v1.0 and ARM before
        # 2025-01-31-preview leave it out of their answers (None here): not judged, never "any subject"
        entry["claims_matching"] = fic.get("claimsMatchingExpression")
    return entry


def service_principal(
    sp: dict[str, Any], tenant: str, owners: list[dict[str, Any]] | None, last_sign_in: Any = None
) -> Identity:
    managed = sp.get("servicePrincipalType") == "ManagedIdentity"
    attributes: dict[str, Any] = {
        "app_id": sp.get("appId"),
        "object_id": sp.get("id"),
        "service_principal_type": sp.get("servicePrincipalType"),
        "enabled": sp.get("accountEnabled"),
        "app_owner_tenant": sp.get("appOwnerOrganizationId"),
    }
    if managed:
        attributes["client_id"] = sp.get("appId")
    identity = Identity(
        uid=sp_uid(sp),
        provider="azure",
        account=tenant,
        kind="managed_identity" if managed else "service_principal",
        name=sp.get("displayName") or sp.get("appId") or sp["id"],
        owner=_owner(owners),
        created=timestamp(sp.get("createdDateTime")),
        interactive=False,
        attributes=attributes,
    )
    if last_sign_in is None:
        identity.unknown.append("last_used")
    else:
        identity.last_used = timestamp(last_sign_in) if last_sign_in else None
    if owners is None or managed:
        # a managed identity's owner is ARM's: the tags of the identity (user-assigned) or of the
        # resource it belongs to (system-assigned), filled in where ARM is read
        identity.unknown.append("owner")
    return identity


def tag(tags: dict[str, Any], *names: str) -> str | None:
    """The first non-empty value of an ARM tag among ``names`` (lower case): tag names are
    case-insensitive in Azure, so ``OWNER`` and ``Owner`` are the ``owner`` tag."""
    by_name: dict[str, Any] = {}
    for key, value in tags.items():
        if value not in (None, ""):
            by_name.setdefault(str(key).lower(), value)
    value = next((by_name[name] for name in names if name in by_name), None)
    return None if value is None else str(value)


def owner_tag(tags: dict[str, Any]) -> str | None:
    """The owner an ARM resource's tags name."""
    return tag(tags, "owner")


def app_permission_grants(
    holder: str, assignments: list[dict[str, Any]], role_names: dict[tuple[str, str], str]
) -> list[Grant]:
    """Application permissions granted to a service principal (its appRoleAssignments)."""
    grants = []
    for assignment in assignments:
        resource = str(assignment.get("resourceDisplayName") or assignment.get("resourceId") or "")
        name = role_names.get((str(assignment.get("resourceId")), str(assignment.get("appRoleId"))))
        grants.append(
            Grant(
                identity_uid=holder,
                kind="app_permission",
                name=name or str(assignment.get("appRoleId")),
                resources=[resource],
                source="appRoleAssignment",
                attributes={"resource_id": assignment.get("resourceId")},
                unknown=[] if name else ["name"],
            )
        )
    return grants


def delegated_grants(holder: str, grant: dict[str, Any]) -> list[Grant]:
    """Delegated permissions (oauth2PermissionGrants): what the app may do as a signed-in user."""
    scopes = [scope for scope in str(grant.get("scope") or "").split() if scope]
    consent = "all users" if grant.get("consentType") == "AllPrincipals" else "one user"
    return [
        Grant(
            identity_uid=holder,
            kind="delegated_permission",
            name=scope,
            resources=[str(grant.get("resourceId"))],
            source="oauth2PermissionGrant",
            uid=f"{holder}#delegated:{scope}@{grant.get('resourceId')}:{grant.get('principalId') or 'all'}",
            attributes={"consent": consent},
        )
        for scope in scopes
    ]


def directory_role_grant(
    holder: str, role_name: str, scope: str, membership: str = "active", via_group: str | None = None
) -> Grant:
    """A directory role held directly or through a group; ``membership`` is ``active`` or
    ``eligible`` (PIM: the holder can activate it at will)."""
    attributes: dict[str, Any] = {"membership": membership}
    if via_group:
        attributes["via_group"] = via_group
    return Grant(
        holder,
        "role",
        role_name,
        resources=[scope or "/"],
        source="directoryRoleEligibility" if membership == "eligible" else "directoryRoleAssignment",
        uid=f"{holder}#directoryRole:{role_name}@{scope or '/'}:{membership}" + (f":{via_group}" if via_group else ""),
        attributes=attributes,
    )


@dataclass(frozen=True, slots=True)
class RoleDefinition:
    """What an Azure role allows, as far as it was read. ``unread`` names the grant fields that were
    not collected; ``everything_but`` holds the exclusions of a ``*`` that is "everything except
    these" (the engine's ``not_actions``); ``data_actions``: what it allows on data (blobs, secrets,
    model deployments, a VM's or a cluster's sign-in), a plane apart: a data action never manages an
    Azure Resource Manager resource or an Azure role assignment."""

    name: str
    actions: tuple[str, ...] = ()
    data_actions: tuple[str, ...] = ()
    everything_but: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()
    built_in: bool = False  # one of Azure's own roles (see role_definition)


# Writing role assignments or definitions, or a PIM request for one, lets a holder give itself
# Owner: a "*" whose exclusions leave any of them is full administration in effect, and stays "*".
_SELF_GRANTING = (
    "microsoft.authorization/roleassignments/write",
    "microsoft.authorization/roledefinitions/write",
    "microsoft.authorization/roleassignmentschedulerequests/write",  # PIM: activating an assignment
    "microsoft.authorization/roleeligibilityschedulerequests/write",
)


def unread_role(role_id: str) -> RoleDefinition:
    """A role whose definition was not read: neither its name nor what it allows is known."""
    return RoleDefinition(name=role_id, unread=("name", "actions"))


def role_definition(definition: dict[str, Any]) -> RoleDefinition:
    """A roleDefinition as ARM lists it, with what its ``permissions`` allow. A built-in role is
    marked so: every role carries what its permissions do, and a built-in role the catalog names
    also what the catalog gives its name (before, a built-in role the catalog did not name, such as
    Cognitive Services OpenAI Contributor, carried nothing). A role listed without permissions
    allows what nobody read, unless the catalog names it (see ``CapabilityCatalog.judged_by_name``).

    Exclusions (``notActions``, ``notDataActions``) never make a role look narrower than it is: an
    action wholly inside one of its block's exclusions is dropped; a wildcard they only narrow is
    kept whole, except ``*`` narrowed by exclusions that take away writing role assignments and
    definitions, which becomes "everything but these" (as the engine reads an AWS NotAction)."""
    properties = definition.get("properties") or {}
    name = str(properties.get("roleName") or str(definition.get("id", "")).rsplit("/", 1)[-1])
    built_in = properties.get("type") == "BuiltInRole"
    blocks = properties.get("permissions")
    if not isinstance(blocks, list):
        return RoleDefinition(name=name, unread=("actions",), built_in=built_in)
    actions: list[str] = []
    data_actions: list[str] = []
    everything_but: list[list[str]] = []
    for block in blocks:
        excluded = [str(a).lower() for a in block.get("notActions") or []]
        for action in (str(a) for a in block.get("actions") or []):
            if _inside(action, excluded):
                continue
            if action == "*" and excluded and all(_inside(a, excluded) for a in _SELF_GRANTING):
                everything_but.append(excluded)
            else:
                actions.append(action)
        excluded_data = [str(a).lower() for a in block.get("notDataActions") or []]
        data_actions += [str(a) for a in block.get("dataActions") or [] if not _inside(str(a), excluded_data)]
    # several "everything but" blocks allow everything any of them allows: only common exclusions hold
    common = set.intersection(*(set(e) for e in everything_but)) if everything_but else set()
    return RoleDefinition(
        name=name,
        actions=tuple(actions),
        data_actions=tuple(data_actions),
        everything_but=tuple(sorted(common)),
        built_in=built_in,
    )


def _inside(action: str, exclusions: list[str]) -> bool:
    """Whether every action ``action`` names (itself maybe a wildcard) is one an exclusion names."""
    return any(fnmatchcase(action.lower(), pattern) for pattern in exclusions)


def is_user_assigned(identity: Identity) -> bool:
    """A user-assigned managed identity (its uid is its ARM id); only these hold federated credentials."""
    return identity.kind == "managed_identity" and "/userassignedidentities/" in identity.uid.lower()


def azure_role_grant(
    holder: str, role: RoleDefinition, scope: str, assignment_id: str, via_group: str | None = None
) -> Grant:
    """A role assignment's grant; ``via_group``: the group it is assigned to, which the holder is in."""
    attributes: dict[str, Any] = {"assignment_id": assignment_id, "privileged": role.name in PRIVILEGED_AZURE_ROLES}
    if role.built_in:
        attributes["built_in"] = True
    if role.everything_but:
        attributes["not_actions"] = list(role.everything_but)
    if role.data_actions:
        attributes["data_actions"] = list(role.data_actions)
    if via_group:
        attributes["via_group"] = via_group
    return Grant(
        holder,
        "role",
        role.name,
        actions=list(role.actions),
        resources=[scope],
        source="roleAssignment",
        uid=f"{holder}#role:{role.name}@{scope}" + (f" via {via_group}" if via_group else ""),
        attributes=attributes,
        unknown=list(role.unread),
    )


ENTRA_CATEGORIES = {
    "SignInLogs": "user_signins",
    "NonInteractiveUserSignInLogs": "user_noninteractive_signins",
    "ServicePrincipalSignInLogs": "service_principal_signins",
    "ManagedIdentitySignInLogs": "managed_identity_signins",
    "AuditLogs": "audit_logs",
}


def diagnostic_setting(setting: dict[str, Any], account: str, kind: str) -> LogSource:
    properties = setting.get("properties") or {}
    logs = [entry for entry in properties.get("logs") or [] if entry.get("enabled")]
    categories = [str(entry.get("category") or entry.get("categoryGroup") or "") for entry in logs]
    covers = [ENTRA_CATEGORIES.get(c, c) for c in categories] if kind == "entra_signin" else categories
    destinations = [k for k in ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId") if properties.get(k)]
    return LogSource(
        uid=f"azure:diag:{account}:{setting.get('name')}",
        provider="azure",
        account=account,
        kind=kind,
        name=str(setting.get("name") or ""),
        scope="tenant" if kind == "entra_signin" else f"/subscriptions/{account}",
        enabled=bool(logs and destinations),
        covers=covers,
        # Kept as long as the workspace's tables or the storage account's lifecycle rules keep them,
        # which are not read: a setting's own retentionPolicy has been ignored since 30 September 2025
        # (Azure Monitor, "Migrate diagnostic settings storage retention to Azure Storage lifecycle
        # management"), whatever days it still shows
        retention_days=None,
        attributes={"destinations": destinations},
        unknown=["retention_days"],
    )
