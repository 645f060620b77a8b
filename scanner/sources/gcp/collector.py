"""Collect GCP projects: from Cloud Asset Inventory for an organisation or folder, project by
project for named projects or when the caller may not use Cloud Asset Inventory. Each project's
status says which path read it (``collection_path`` on the account, a ``fallback`` note on the
scope when the asset path was refused); a project that refuses a call is partial, the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

from scanner.model import HELD_BY_ANOTHER_SHARD, STAND_IN_UNKNOWN, Identity, Inventory, SourceError, SourceStatus
from scanner.sharding import Shard, owned
from scanner.sources.gcp import assets, hierarchy, records
from scanner.sources.gcp.clients import GcpClients
from scanner.sources.gcp.estate import PROJECT_PATH, Collected, build_inventory
from scanner.sources.gcp.groups import GROUPS_SCOPE, read_group_members
from scanner.sources.gcp.projects import AGENT_ENGINE_REGIONS, read_project
from scanner.sources.gcp.roles import read_custom_roles

PROJECT_WORKERS = 8
FALLBACK = "fallback"  # a note, not a gap: what the asset path could not do, read another way


@dataclass(frozen=True, slots=True)
class GcpScope:
    projects: tuple[str, ...] = ()
    parent: str | None = None  # organizations/ID or folders/ID: every active project below it
    regions: tuple[str, ...] = AGENT_ENGINE_REGIONS
    concurrency: int = 8
    shard: Shard | None = None
    use_assets: bool = True  # Cloud Asset Inventory for --gcp-parent; False reads project by project


def collect_gcp(clients: GcpClients, scope: GcpScope, advance: Callable[[], None] = lambda: None) -> Inventory:
    started = datetime.now(UTC)
    collected = None
    if scope.parent and not scope.projects and scope.use_assets and clients.assets is not None:
        collected = assets.read_scope(clients, scope.parent, scope.regions)
        if collected is None:
            _note_fallback(clients, scope.parent)
    if collected is None:
        collected = _per_project(clients, scope, advance)
    else:
        collected.other_shards = {k: v.number for k, v in collected.projects.items() if not owned(scope.shard, k)}
        collected.projects = {k: v for k, v in collected.projects.items() if owned(scope.shard, k)}
        for _ in collected.projects:
            advance()
    read_custom_roles(clients, collected)
    read_group_members(clients, collected)
    inventory = build_inventory(collected, started)
    if collected.other_shards:
        held_here = stand_ins(inventory, collected.other_shards)
        if records.bound_groups(collected.policies.values()) - set(collected.group_members):
            for identity in held_here:  # any may be a member of a group whose members were not read
                identity.unknown.append("grants")
        inventory.identities += held_here
    nodes = [scope.parent] if scope.parent else []
    nodes += sorted(n for n in clients.errors if n not in collected.projects and n not in nodes)
    if GROUPS_SCOPE not in nodes:  # always listed: a scan binding no group read all there was of groups
        nodes.append(GROUPS_SCOPE)
    for node in [*nodes, *sorted(collected.projects)]:
        errors = clients.errors.get(node, [])
        partial = any(e.code != FALLBACK for e in errors)
        inventory.sources.append(SourceStatus("gcp", node, "partial" if partial else "complete", errors))
    return inventory


def stand_ins(inventory: Inventory, other_shards: dict[str, str]) -> list[Identity]:
    """A stand-in (``HELD_BY_ANOTHER_SHARD``) for each service account of a project another shard
    of the run reads that this shard's policies grant a role: the controls on grants judge it here,
    its other evidence is the other shard's. A Google-managed service agent is no project's record."""
    held = {identity.uid for identity in inventory.identities}
    by_number = {number: project for project, number in other_shards.items() if number}
    found = []
    for email in dict.fromkeys(grant.identity_uid for grant in inventory.grants if grant.identity_uid not in held):
        home = _home_project(email, by_number)
        if home in other_shards and not records.is_service_agent(email, home):
            identity = records.service_account({"email": email}, home)
            identity.attributes[HELD_BY_ANOTHER_SHARD] = True
            identity.unknown = list(STAND_IN_UNKNOWN)
            found.append(identity)
    return found


def _home_project(email: str, by_number: dict[str, str]) -> str | None:
    """The project a service account's e-mail names: PROJECT in ``name@PROJECT.iam.gserviceaccount.com``
    and ``PROJECT@appspot.gserviceaccount.com``, the project numbered N in ``N-compute@developer…``."""
    email = email.lower()
    name, _, domain = email.partition("@")
    if domain.endswith(".iam.gserviceaccount.com"):
        return records.holder_project(email)
    if domain == "appspot.gserviceaccount.com":
        return name
    if domain == "developer.gserviceaccount.com" and name.endswith("-compute"):
        return by_number.get(name.removesuffix("-compute"))
    return None


def _per_project(clients: GcpClients, scope: GcpScope, advance: Callable[[], None]) -> Collected:
    collected = Collected(path=PROJECT_PATH)
    folder_parents: dict[str, str | None] = {}
    if scope.projects:
        for project_id in scope.projects:
            if owned(scope.shard, project_id):
                collected.projects[project_id] = hierarchy.locate(clients, project_id, folder_parents)
            else:
                collected.other_shards[project_id] = ""  # its number is the other shard's to read
    elif scope.parent:
        found = hierarchy.discover(clients, scope.parent) or {}
        collected.other_shards = {k: v.number for k, v in found.items() if not owned(scope.shard, k)}
        collected.projects = {k: v for k, v in found.items() if owned(scope.shard, k)}

    def run(project_id: str) -> None:
        try:
            read_project(clients, collected, project_id, scope.regions, scope.concurrency)
        finally:
            advance()

    with ThreadPoolExecutor(max_workers=min(PROJECT_WORKERS, max(1, len(collected.projects)))) as pool:
        list(pool.map(run, sorted(collected.projects)))
    above = sorted({node for p in collected.projects.values() for node in p.ancestors})
    for node in above:
        policy = hierarchy.read_policy(clients, node, node)
        if policy is not None:
            collected.policies[node] = policy
    return collected


def _note_fallback(clients: GcpClients, parent: str) -> None:
    """The asset path's refusal becomes a note on the scope: the projects are read one by one."""
    refused = clients.errors.pop(parent, [])
    for error in refused:
        message = f"{error.message}; read project by project instead (code {error.code})"
        clients.gap(parent, error.call, message, FALLBACK)
    if not refused:
        clients.errors.setdefault(parent, []).append(
            SourceError(call="cloudasset", message="read project by project instead", code=FALLBACK)
        )
