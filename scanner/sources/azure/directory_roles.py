"""Entra directory roles held by service principals: active assignments, PIM-eligible ones (the
holder can activate them at will, so they count as held) and those held through a group (a
role-assignable group with service principals among its members)."""

from __future__ import annotations

from typing import Any

from scanner.model import Grant
from scanner.sources.azure import records
from scanner.sources.azure.client import AzureCalls

ACTIVE = "/v1.0/roleManagement/directory/roleAssignments?$expand=roleDefinition($select=displayName)"
ELIGIBLE = "/v1.0/roleManagement/directory/roleEligibilitySchedules?$expand=roleDefinition($select=displayName)"
# an OData cast: Graph answers an empty list unless $count=true and ConsistencyLevel: eventual are sent
GROUP_MEMBERS = "/groups/{}/transitiveMembers/microsoft.graph.servicePrincipal?$select=id&$count=true"


def directory_role_grants(calls: AzureCalls, tenant: str, by_object_id: dict[str, str]) -> list[Grant]:
    """Grants of every directory role a known service principal holds. Unreadable parts are gaps."""
    held: list[tuple[dict[str, Any], str]] = []
    active = calls.graph_list(ACTIVE, "graph:roleManagement/directory/roleAssignments", tenant)
    held += [(assignment, "active") for assignment in active or []]
    # PIM needs Entra ID P2: without it there is nothing eligible to read, and that is no gap
    eligible = calls.graph_list(ELIGIBLE, "graph:roleManagement/directory/roleEligibilitySchedules", tenant,
                                optional=True)  # fmt: skip
    held += [(schedule, "eligible") for schedule in eligible or []]

    grants: list[Grant] = []
    unresolved: dict[str, list[tuple[dict[str, Any], str]]] = {}
    for assignment, membership in held:
        principal = str(assignment.get("principalId"))
        holder = by_object_id.get(principal)
        if holder:
            grants.append(_grant(holder, assignment, membership))
        else:
            unresolved.setdefault(principal, []).append((assignment, membership))
    groups = calls.directory_objects(sorted(unresolved), ["group"], "graph:directoryObjects/getByIds", tenant)
    group_ids = [str(group.get("id")) for group in groups or []]
    paths = {group: GROUP_MEMBERS.format(group) for group in group_ids}
    members = calls.graph_batch(list(paths.values()), "graph:groups/transitiveMembers", tenant)
    for group in group_ids:
        for member in members.get(paths[group]) or []:
            holder = by_object_id.get(str(member.get("id")))
            if holder:
                grants += [_grant(holder, a, membership, via_group=group) for a, membership in unresolved[group]]
    return grants


def _grant(holder: str, assignment: dict[str, Any], membership: str, via_group: str | None = None) -> Grant:
    role = (assignment.get("roleDefinition") or {}).get("displayName") or assignment.get("roleDefinitionId")
    scope = str(assignment.get("directoryScopeId") or "/")
    return records.directory_role_grant(holder, str(role), scope, membership, via_group)
