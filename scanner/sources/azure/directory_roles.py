"""Entra directory roles held by service principals: active assignments, PIM-eligible ones (the
holder can activate them at will, so they count as held) and those held through a group (a
role-assignable group with service principals among its members)."""

from __future__ import annotations

from typing import Any

from scanner.model import Grant
from scanner.sources.azure import records
from scanner.sources.azure.client import AzureCalls

ACTIVE = "/v1.0/roleManagement/directory/roleAssignments?$expand=roleDefinition($select=displayName,isBuiltIn)"
ELIGIBLE = (
    "/v1.0/roleManagement/directory/roleEligibilitySchedules?$expand=roleDefinition($select=displayName,isBuiltIn)"
)
# an OData cast: Graph answers an empty list unless $count=true and ConsistencyLevel: eventual are sent
GROUP_MEMBERS = "/groups/{}/transitiveMembers/microsoft.graph.servicePrincipal?$select=id&$count=true"


def directory_role_grants(calls: AzureCalls, tenant: str, by_object_id: dict[str, str]) -> tuple[list[Grant], bool]:
    """Grants of every directory role a known service principal holds, and whether all of them were
    read. Unreadable parts are gaps, and then any principal may hold a role that is not listed."""
    held: list[tuple[dict[str, Any], str]] = []
    active = calls.graph_list(ACTIVE, "graph:roleManagement/directory/roleAssignments", tenant)
    held += [(assignment, "active") for assignment in active or []]
    # PIM needs Entra ID P2: without it there is nothing eligible to read, and that is no gap
    eligible_call = "graph:roleManagement/directory/roleEligibilitySchedules"
    eligible = calls.graph_list(ELIGIBLE, eligible_call, tenant, optional=True)
    held += [(schedule, "eligible") for schedule in eligible or []]
    complete = active is not None and (eligible is not None or eligible_call in calls.unlicensed)

    grants: list[Grant] = []
    unresolved: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for assignment, membership in held:
        principal = str(assignment.get("principalId"))
        holder = by_object_id.get(principal)
        if holder:
            grants.append(_grant(holder, assignment, membership))
        else:
            unresolved.setdefault(principal, []).append((assignment, membership))
    holders, members_read = principals_in_groups_among(calls, tenant, sorted(unresolved), by_object_id)
    complete = complete and members_read
    for group, members in holders.items():
        for holder in members:
            grants += [_grant(holder, a, membership, via_group=group) for a, membership in unresolved[group]]
    return grants, complete


def principals_in_groups_among(
    calls: AzureCalls, tenant: str, object_ids: list[str], by_object_id: dict[str, str], look_up: bool = False
) -> tuple[dict[str, list[str]], bool]:
    """``principals_in_groups`` for the groups among ``object_ids`` (the others are users, deleted
    objects or principals of no concern), and whether the groups and all their members were read."""
    call = "graph:directoryObjects/getByIds"
    groups = calls.directory_objects(object_ids, ["group"], call, tenant) if object_ids else []
    group_ids = [str(group.get("id")) for group in groups or []]
    holders, members_read = principals_in_groups(calls, tenant, group_ids, by_object_id, look_up)
    return holders, groups is not None and members_read


def principals_in_groups(
    calls: AzureCalls, tenant: str, groups: list[str], by_object_id: dict[str, str], look_up: bool = False
) -> tuple[dict[str, list[str]], bool]:
    """The known service principals and managed identities (their uids) among each group's
    transitive members, and whether every group's members were read. ``look_up``: find the members
    ``by_object_id`` does not know in the directory first (a shard that does not read the whole
    tenant knows only the principals its own assignments name)."""
    paths = {group: GROUP_MEMBERS.format(group) for group in groups}
    members = calls.graph_batch(list(paths.values()), "graph:groups/transitiveMembers", tenant)
    looked_up = True
    unknown = {str(m.get("id")) for listed in members.values() for m in listed or []} - by_object_id.keys()
    if look_up and unknown:
        found = principals_by_object_id(calls, tenant, sorted(unknown))
        looked_up = found is not None
        by_object_id.update(found or {})
    holders = {
        group: [uid for member in members.get(path) or [] if (uid := by_object_id.get(str(member.get("id"))))]
        for group, path in paths.items()
    }
    return holders, looked_up and all(members.get(path) is not None for path in paths.values())


def principals_by_object_id(calls: AzureCalls, tenant: str, object_ids: list[str]) -> dict[str, str] | None:
    """uids of the service principals among ``object_ids``, read from the directory (None: the
    lookup was refused): what a shard that does not read the whole tenant needs to link the
    principals its role assignments, groups and vault policies name."""
    found = calls.directory_objects(object_ids, ["servicePrincipal"], "graph:directoryObjects/getByIds", tenant)
    if found is None:
        return None
    # Microsoft's own first-party principals are none of the scan's, as for a whole tenant
    microsoft = records.MICROSOFT_TENANTS
    ours = [sp for sp in found if sp.get("id") and str(sp.get("appOwnerOrganizationId")) not in microsoft]
    calls.principals_looked_up.update({records.sp_uid(sp): sp for sp in ours})
    return {str(sp["id"]): records.sp_uid(sp) for sp in ours}


def _grant(holder: str, assignment: dict[str, Any], membership: str, via_group: str | None = None) -> Grant:
    definition = assignment.get("roleDefinition") or {}
    role = definition.get("displayName") or assignment.get("roleDefinitionId")
    scope = str(assignment.get("directoryScopeId") or "/")
    grant = records.directory_role_grant(holder, str(role), scope, membership, via_group)
    built_in = definition.get("isBuiltIn")
    grant.attributes["built_in"] = built_in if isinstance(built_in, bool) else None  # a custom role's name says nothing
    return grant
