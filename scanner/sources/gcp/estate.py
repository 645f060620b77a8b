"""What either collection path read (``Collected``), turned into one inventory.

Both paths, Cloud Asset Inventory and project by project, fill the same ``Collected``; the policy
semantics live here once: a project's effective policy is its own plus every folder's and the
organisation's above it (bindings and audit configs), a service account's is its own plus its
project's effective policy, and what could not be read is unknown rather than empty.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from scanner.model import Account, Agent, Grant, Identity, Inventory
from scanner.sources.gcp import records
from scanner.sources.gcp.impersonation_chains import add_people_through_accounts
from scanner.sources.gcp.records import PUBLIC

ASSET_PATH = "cloud_asset_inventory"
PROJECT_PATH = "per_project"


@dataclass(slots=True)
class Project:
    project_id: str
    number: str = ""
    display_name: str = ""
    parent: str | None = None
    ancestors: tuple[str, ...] = ()  # folders/… and organizations/… above it, nearest first
    unread_above: str | None = None  # the folder whose parent could not be read: ancestors stop there
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class Collected:
    path: str
    projects: dict[str, Project] = field(default_factory=dict)
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> accounts; absent: unread
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # account e-mail -> keys; absent: unread
    # "projects/ID", "folders/N", "organizations/N" or a service account's e-mail -> its policy
    policies: dict[str, dict[str, Any]] = field(default_factory=dict)
    api_keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    pools: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    providers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    last_auth: dict[str, datetime | None] = field(default_factory=dict)  # e-mail or "key:ID" -> time
    last_auth_read: set[str] = field(default_factory=set)  # projects whose last authentication was read
    agents: list[Agent] = field(default_factory=list)
    agents_unread: set[str] = field(default_factory=set)  # projects whose agent engines could not be listed
    agent_regions_not_read: dict[str, list[str]] = field(default_factory=dict)  # project -> left out of scope
    other_shards: dict[str, str] = field(default_factory=dict)  # the run's projects other shards read -> number
    custom_roles: dict[str, list[str]] = field(default_factory=dict)  # role name -> permissions; absent: unread
    # a bound group's e-mail (lower case) -> the service accounts in it or a group nested in it; absent: unread
    group_members: dict[str, list[str]] = field(default_factory=dict)


def build_inventory(collected: Collected, started: datetime) -> Inventory:
    inventory = Inventory(collected_at=started)
    ancestor_grants_done: set[str] = set()
    bound_to_unread_roles: dict[str, list[dict[str, str]]] = {}  # by account: who holds a role not read on it
    account_sets = _account_sets(collected)
    for project_id in sorted(collected.projects):
        project = collected.projects[project_id]
        hierarchy = (f"projects/{project_id}", *project.ancestors)
        unread = [node for node in hierarchy if node not in collected.policies]
        if project.unread_above:  # the folders and organisation above it, and their policies
            unread.append(f"the parent of {project.unread_above}")
        account = _account(collected, project, unread)
        inventory.accounts.append(account)
        identities = [records.service_account(a, project_id) for a in collected.accounts.get(project_id, [])]
        inherited_impersonators: list[dict[str, Any]] = []
        unread_roles: list[str] = []  # custom roles not read that people are bound to, above the accounts
        others_unread: list[dict[str, str]] = []  # and the accounts bound to such roles there
        for node in hierarchy:
            policy = collected.policies.get(node)
            if policy is None:
                continue
            inherited_impersonators += records.impersonation_bindings(policy, node, collected.custom_roles)
            unread_roles += records.unread_roles_of_people(policy, collected.custom_roles)
            others_unread += records.others_bound_to_unread_roles(policy, collected.custom_roles)
            wanted = node == hierarchy[0] or node not in ancestor_grants_done  # an ancestor's grants once
            grants, public = records.policy_grants(
                policy, node, None if wanted else set(), collected.custom_roles, account_sets, collected.group_members
            )
            if wanted:
                inventory.grants += grants
                ancestor_grants_done.add(node)
            if public:
                account.attributes.setdefault("public_bindings", []).extend(public)
            scope = "" if node == hierarchy[0] else node
            inventory.log_sources += records.audit_logs(policy, project_id, scope)
        for identity in identities:
            _link_identity(collected, identity, inherited_impersonators, bool(unread), unread_roles)
            own = collected.policies.get(identity.uid)
            own_others = records.others_bound_to_unread_roles(own, collected.custom_roles) if own else []
            bound_to_unread_roles[identity.uid.lower()] = own_others + others_unread if own_others else others_unread
            grants, public = _own_policy_grants(collected, identity, account_sets)
            inventory.grants += grants
            if public:  # anyone may act as this account: its project grants to the public
                account.attributes.setdefault("public_bindings", []).extend(public)
            inventory.credentials += _keys(collected, identity, project_id)
        # an account's own policy not read may grant the public, and so may those of the accounts
        # of a project whose accounts were not listed
        own_unread = project_id not in collected.accounts or any(
            identity.uid not in collected.policies for identity in identities
        )
        if own_unread and not account.attributes.get("public_bindings") and PUBLIC not in account.unknown:
            account.unknown.append(PUBLIC)
        inventory.identities += identities
        inventory.credentials += [records.api_key(k, project_id) for k in collected.api_keys.get(project_id, [])]
    if records.bound_groups(collected.policies.values()) - set(collected.group_members):
        for identity in inventory.identities:  # any may be a member of a group whose members were not read
            if "grants" not in identity.unknown:
                identity.unknown.append("grants")
    inventory.agents += collected.agents
    inventory.credentials += [secret for agent in collected.agents for secret in records.description_secrets(agent)]
    pools = _providers_by_pool(collected)
    pool_administrators: dict[str, list[dict[str, Any]] | None] = {}
    for identity in inventory.identities:
        trust = federated_trust(identity.attributes.get("impersonators") or [], pools)
        if trust:
            identity.attributes["trust"] = trust
            _add_pool_administrators(collected, identity, {entry["pool"] for entry in trust}, pool_administrators)
        if any(entry["subject_unread"] for entry in trust) and "trust" not in identity.unknown:
            identity.unknown.append("trust")  # an attribute's meaning was not read: which workloads it admits
    projects = collected.projects.items()
    listed_whole = {f"projects/{p.number}" for k, p in projects if p.number and k in collected.accounts}
    add_people_through_accounts(inventory.identities, account_sets, listed_whole, bound_to_unread_roles)
    return inventory


# What a mapped attribute (or google.subject) is taken from in the token: claims that name one
# workload (a subject; GitHub's repository, by name or id; GitLab's project; an AWS caller's ARN),
# and claims many workloads share (GitHub's owner, GitLab's group, the audience, the issuer).
_NAMING_ONE_WORKLOAD = frozenset(
    {"assertion.sub", "assertion.repository", "assertion.repository_id", "assertion.project_path",
     "assertion.project_id", "assertion.arn"}
)  # fmt: skip
_NAMING_MANY = frozenset(
    {"assertion.repository_owner", "assertion.repository_owner_id", "assertion.namespace_path",
     "assertion.namespace_id", "assertion.aud", "assertion.iss", "assertion.account"}
)  # fmt: skip


def _what_names(kind: str, providers: list[dict[str, Any]]) -> str:
    """Whether a member's ``subject/`` or ``attribute.NAME/`` value names one workload ("one"),
    many ("many"), or cannot be told ("unread": no provider of the pool read, or a mapping of
    another claim or an expression). Only the providers that map it count: a token of another
    provider has no such attribute. Google's documented AWS mapping of ``attribute.aws_role`` (the
    role of an assumed-role ARN) names one role."""
    if not providers:
        return "unread"
    key = "google.subject" if kind == "subject" else kind
    mapped = {str(p["attribute_mapping"].get(key) or "").replace(" ", "") for p in providers} - {""}
    if all(m in _NAMING_ONE_WORKLOAD or ("assertion.arn" in m and "assumed-role" in m) for m in mapped):
        return "one"
    return "many" if mapped & _NAMING_MANY else "unread"


def _account_sets(collected: Collected) -> dict[str, list[str]]:
    """The service accounts read in each project (``projects/NUMBER``) and below each folder and
    organisation: who a ``principalSet://…/type/ServiceAccount`` member names."""
    sets: dict[str, list[str]] = {}
    for project_id, project in collected.projects.items():
        emails = [str(a.get("email")) for a in collected.accounts.get(project_id, []) if a.get("email")]
        for node in ((f"projects/{project.number}",) if project.number else ()) + project.ancestors:
            sets.setdefault(node, []).extend(emails)
        sets.setdefault(records.EVERY_ACCOUNT, []).extend(emails)
    return sets


_FEDERATED = re.compile(
    r"^principal(?:Set)?://iam\.googleapis\.com/(projects/[^/]+/locations/[^/]+/workloadIdentityPools/[^/]+)/(.+)$"
)


def _providers_by_pool(collected: Collected) -> dict[str, list[dict[str, Any]]]:
    pools: dict[str, list[dict[str, Any]]] = {}
    for providers in collected.providers.values():
        for provider in providers:
            pools.setdefault(str(provider.get("name", "")).split("/providers/")[0], []).append(provider)
    return pools


POOL_POLICIES_UNREAD = "pool_policies_unread"  # the trusted pools whose admins are not all known


def _add_pool_administrators(
    collected: Collected, identity: Identity, pools: set[str], known: dict[str, list[dict[str, Any]] | None]
) -> None:
    """Adds to an account's impersonators who may add or change a provider of a pool it trusts
    (``administers_pool_providers``, on the pool's project or above). The pool's own IAM policy,
    which may make someone its admin, is not read, nor is the project's where it is not in the
    scan or a policy above it was not read: ``POOL_POLICIES_UNREAD`` names them, and the people
    known still count."""
    unread = identity.attributes.setdefault(POOL_POLICIES_UNREAD, [])
    for pool in sorted(pools):
        if pool not in known:
            known[pool] = _pool_administrators(collected, pool)
        found = known[pool]
        unread.append(pool if found is not None else f"{pool} and its project")
        if found:
            listed = identity.attributes.setdefault("impersonators", [])
            listed += [entry for entry in found if entry not in listed]


def _pool_administrators(collected: Collected, pool: str) -> list[dict[str, Any]] | None:
    """Members bound, on the project of ``pool`` (``projects/NUMBER/locations/global/
    workloadIdentityPools/ID``) or above it, to a role that adds or changes its providers; None
    when the project is not in the scan or a policy of it or above was not read."""
    number = pool.split("/")[1] if pool.startswith("projects/") else ""
    project = next((p for p in collected.projects.values() if p.number and p.number == number), None)
    if project is None or project.unread_above:
        return None
    found: list[dict[str, Any]] = []
    for node in (f"projects/{project.project_id}", *project.ancestors):
        policy = collected.policies.get(node)
        if policy is None:
            return None
        for entry in records.impersonation_bindings(
            policy, node, collected.custom_roles, records.administers_pool_providers
        ):
            found.append({**entry, "via": f"adds a provider to {pool}"})
    return found


def federated_trust(
    impersonators: list[dict[str, Any]], pools: dict[str, list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """Workload identity federation as trust entries (the shape AWS role trust uses): a
    ``principalSet://…/POOL/*`` member trusts every identity of the pool (no subject), and a
    ``group/`` every identity of the group. A ``subject/VALUE`` or ``attribute.NAME/VALUE`` member
    admits the tokens whose mapped value it is: one workload, many, or unknown by what the pool's
    providers map it from (``_what_names``); where unknown, ``subject_unread``. ``conditions`` are
    the pool's providers' attributeConditions; a provider without one accepts every token its
    issuer signs."""
    trust = []
    for entry in impersonators:
        found = _FEDERATED.match(str(entry.get("member", "")))
        if not found:
            continue
        pool, selector = found.groups()
        providers = [records.workload_identity_provider(p) for p in pools.get(pool, [])]
        kind, _, value = selector.partition("/")
        reading = _what_names(kind, providers) if kind == "subject" or kind.startswith("attribute.") else "many"
        subject = None if reading == "many" else value  # where unread, the identity's trust is unknown besides
        trust.append(
            {
                "principal": entry["member"],
                "principal_type": "federated",
                "provider": ", ".join(sorted({str(p["issuer"]) for p in providers if p["issuer"]})) or pool,
                "subject": subject,
                "subject_unread": reading == "unread",
                "conditions": [p["attribute_condition"] for p in providers if p["attribute_condition"]],
                "pool": pool,
                "role": entry.get("role"),
                "unconditioned_providers": [p["provider_id"] for p in providers if not p["attribute_condition"]],
            }
        )
    return trust


def _account(collected: Collected, project: Project, unread: list[str]) -> Account:
    project_id = project.project_id
    account = Account(
        uid=project_id,
        provider="gcp",
        name=project.display_name or project_id,
        kind="project",
        parent=project.parent,
        tags=dict(project.labels),
        environment=next((v for k, v in project.labels.items() if k in ("environment", "env")), None),
        attributes={"collection_path": collected.path, "ancestors": list(project.ancestors)},
    )
    if project.number:
        account.attributes["project_number"] = project.number
    if project_id not in collected.accounts:
        account.unknown.append("identities")
    if project_id in collected.agents_unread:
        account.unknown.append("agents")
    if project_id in collected.agent_regions_not_read:
        account.attributes["agent_regions_not_read"] = collected.agent_regions_not_read[project_id]
    if unread:  # a policy not read may hold audit configs and public members
        account.unknown += ["log_sources", PUBLIC]
        account.attributes["unread_policies"] = unread
    pools = collected.pools.get(project_id)
    if pools is not None:
        account.attributes["workload_identity_pools"] = [str(p.get("name", "")).rsplit("/", 1)[-1] for p in pools]
    providers = collected.providers.get(project_id)
    if providers is None:
        account.unknown.append("attributes.workload_identity_providers")
    else:
        account.attributes["workload_identity_providers"] = [records.workload_identity_provider(p) for p in providers]
    return account


def _link_identity(
    collected: Collected, identity: Identity, inherited: list[dict[str, Any]], unread: bool, unread_roles: list[str]
) -> None:
    own = collected.policies.get(identity.uid)
    impersonators = list(inherited)
    if own is not None:
        name = f"projects/{identity.account}/serviceAccounts/{identity.uid}"
        impersonators = records.impersonation_bindings(own, name, collected.custom_roles) + impersonators
        unread_roles = unread_roles + records.unread_roles_of_people(own, collected.custom_roles)
    identity.attributes["impersonators"] = impersonators
    if unread_roles:  # the people listed are known; others may act through these roles
        identity.attributes["impersonation_roles_not_read"] = sorted(set(unread_roles))
    if own is None or unread:
        identity.unknown.append("attributes.impersonators")
    if unread:
        identity.unknown.append("grants")
    when = collected.last_auth.get(identity.uid) if identity.account in collected.last_auth_read else "unknown"
    if when != "unknown":
        identity.last_used = when if isinstance(when, datetime) else None
        identity.unknown.remove("last_used")


def _own_policy_grants(
    collected: Collected, identity: Identity, account_sets: dict[str, list[str]]
) -> tuple[list[Grant], list[dict[str, Any]]]:
    """Bindings on a service account's own policy: other service accounts that may act as it (named,
    or every one of a project, folder or organisation), and the public (allUsers,
    allAuthenticatedUsers) bound on it."""
    own = collected.policies.get(identity.uid)
    if not own:
        return [], []
    name = f"projects/{identity.account}/serviceAccounts/{identity.uid}"
    return records.policy_grants(own, name, None, collected.custom_roles, account_sets, collected.group_members)


def _keys(collected: Collected, identity: Identity, project_id: str) -> list[Any]:
    keys = collected.keys.get(identity.uid)
    if keys is None:
        identity.unknown.append("credentials")
        return []
    found = []
    for key in keys:
        key_id = str(key.get("name", "")).rsplit("/", 1)[-1]
        read = project_id in collected.last_auth_read
        used = collected.last_auth.get(f"key:{key_id}") if read else "unknown"
        # the per-project path lists keys over IAM REST, whose answer carries Google's exposure fields
        # (an unset one is no report); an asset record may come from an index that does not carry them
        exposure_read = collected.path != ASSET_PATH
        found.append(records.service_account_key(key, identity.uid, used, exposure_read=exposure_read))
    return found


def parse_rfc3339(value: str | None) -> datetime | None:
    """An RFC 3339 timestamp as Google writes it (``Z``, up to nanoseconds)."""
    if not value:
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.replace("Z", "+00:00"))
    return datetime.fromisoformat(text).astimezone(UTC)
