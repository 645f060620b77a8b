"""Collect GCP projects: service accounts and keys, IAM policies and audit configs, API keys,
workload identity pools, last authentication (Policy Analyzer) and Vertex AI agent engines.

Projects are read in parallel, and each project's per-account key listings too, each pool bounded.
One project that refuses a call is reported partial; the others go on.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf.json_format import MessageToDict

from scanner.model import Account, Agent, Inventory, SourceStatus
from scanner.serialize import parse_time
from scanner.sharding import Shard, owned
from scanner.sources.gcp import records
from scanner.sources.gcp.clients import RETRY, GcpClients

PROJECT_WORKERS = 8
ACTIVITY = "/v1/projects/{project}/locations/global/activityTypes/{kind}/activities:query"


@dataclass(frozen=True, slots=True)
class GcpScope:
    projects: tuple[str, ...] = ()
    parent: str | None = None  # organizations/ID or folders/ID: every active project under it
    regions: tuple[str, ...] = ("us-central1",)
    concurrency: int = 8
    shard: Shard | None = None


def collect_gcp(clients: GcpClients, scope: GcpScope, advance: Callable[[], None] = lambda: None) -> Inventory:
    started = datetime.now(UTC)
    projects = [p for p in (list(scope.projects) or discover_projects(clients, scope.parent)) if owned(scope.shard, p)]

    def run(project: str) -> Inventory:
        try:
            return collect_project(clients, project, scope)
        finally:
            advance()

    with ThreadPoolExecutor(max_workers=min(PROJECT_WORKERS, max(1, len(projects)))) as pool:
        parts = list(pool.map(run, projects))
    inventory = Inventory(collected_at=started)
    for part in parts:
        for name in ("accounts", "identities", "credentials", "grants", "agents", "log_sources"):
            getattr(inventory, name).extend(getattr(part, name))
    if scope.parent:
        _parent_policy(clients, scope.parent, inventory, projects)
        errors = clients.errors.get(scope.parent, [])
        inventory.sources.append(SourceStatus("gcp", scope.parent, "partial" if errors else "complete", errors))
    for project in projects:
        errors = clients.errors.get(project, [])
        inventory.sources.append(SourceStatus("gcp", project, "partial" if errors else "complete", errors))
    return inventory


def _parent_policy(clients: GcpClients, parent: str, inventory: Inventory, projects: list[str]) -> None:
    """The organisation's or folder's IAM policy: its bindings reach every project under it, and
    its audit configs log every project under it."""
    client = clients.organizations if parent.startswith("organizations/") else clients.folders
    policy = clients.grpc_call(
        parent, "cloudresourcemanager:getIamPolicy", lambda: client.get_iam_policy(resource=parent)
    )
    if policy is None:
        return
    document = MessageToDict(policy)
    grants, public = records.policy_grants(document, parent, {i.uid for i in inventory.identities})
    inventory.grants += grants
    for project in projects:
        for log in records.audit_logs(document, project):
            log.uid += f"@{parent}"
            log.scope = parent
            inventory.log_sources.append(log)
    if public:
        for account in inventory.accounts:
            account.attributes.setdefault("public_bindings", []).extend(public)


def discover_projects(clients: GcpClients, parent: str | None) -> list[str]:
    if not parent:
        return []
    found = clients.grpc_call(
        parent,
        "cloudresourcemanager:projects.search",
        lambda: list(clients.projects.search_projects(query=f"parent:{parent}")),
    )
    return sorted(p.project_id for p in found or [] if getattr(p.state, "name", "ACTIVE") == "ACTIVE")


def collect_project(clients: GcpClients, project: str, scope: GcpScope) -> Inventory:
    part = Inventory(collected_at=datetime.now(UTC))
    account = Account(uid=project, provider="gcp", name=project, kind="project")
    part.accounts.append(account)
    metadata = clients.grpc_call(project, "cloudresourcemanager:projects.get",
                                 lambda: clients.projects.get_project(name=f"projects/{project}"))  # fmt: skip
    if metadata is not None:
        labels = dict(metadata.labels)
        account.name, account.parent, account.tags = metadata.display_name or project, metadata.parent or None, labels
        account.environment = next((v for k, v in labels.items() if k in ("environment", "env")), None)
    accounts = clients.grpc_call(
        project, "iam:serviceAccounts.list",
        lambda: list(clients.iam.list_service_accounts(name=f"projects/{project}", retry=RETRY)),
    )  # fmt: skip
    service_accounts = [_rest_shape(a) for a in accounts or []]
    if accounts is None:
        account.unknown.append("identities")
    last_auth = _last_authentication(clients, project)
    identities = [records.service_account(a, project) for a in service_accounts]
    for identity in identities:
        when = last_auth.get(identity.uid) if last_auth is not None else "unknown"
        if when != "unknown":
            identity.last_used = when if isinstance(when, datetime) else None
            identity.unknown.remove("last_used")
    part.identities += identities

    def keys_of(sa: dict[str, Any]) -> tuple[str, list[dict[str, Any]] | None]:
        listed = clients.grpc_call(
            project, "iam:serviceAccounts.keys.list",
            lambda: clients.iam.list_service_account_keys(name=sa["name"], retry=RETRY),
        )  # fmt: skip
        return str(sa.get("email")), None if listed is None else [_rest_shape(k) for k in listed.keys]

    with ThreadPoolExecutor(max_workers=scope.concurrency) as pool:
        for email, keys in pool.map(keys_of, service_accounts):
            for key in keys or []:
                key_id = str(key.get("name", "")).rsplit("/", 1)[-1]
                used = last_auth.get(f"key:{key_id}") if last_auth is not None else "unknown"
                part.credentials.append(records.service_account_key(key, email, used))
    policy = clients.grpc_call(project, "cloudresourcemanager:projects.getIamPolicy",
                               lambda: clients.projects.get_iam_policy(resource=f"projects/{project}"))  # fmt: skip
    if policy is None:
        account.unknown.append("log_sources")
        for identity in identities:
            identity.unknown.append("grants")
    else:
        document = MessageToDict(policy)
        grants, public = records.policy_grants(document, f"projects/{project}", {i.uid for i in identities})
        part.grants += grants
        part.log_sources += records.audit_logs(document, project)
        if public:
            account.attributes["public_bindings"] = public
    keys = clients.rest_get(project, "apikeys:keys.list", "apikeys", f"/v2/projects/{project}/locations/global/keys")
    part.credentials += [records.api_key(k, project) for k in keys or []]
    pools = clients.rest_get(project, "iam:workloadIdentityPools.list", "iam",
                             f"/v1/projects/{project}/locations/global/workloadIdentityPools")  # fmt: skip
    if pools is not None:
        account.attributes["workload_identity_pools"] = [str(p.get("name", "")).rsplit("/", 1)[-1] for p in pools]
    for region in scope.regions:
        path = f"/v1/projects/{project}/locations/{region}/reasoningEngines"
        engines = clients.rest_get(project, "aiplatform:reasoningEngines.list", "aiplatform", path, region, True)
        part.agents += [_agent(engine, project) for engine in engines or []]
    return part


def _rest_shape(message: Any) -> dict[str, Any]:
    """A gRPC message as the REST API and gcloud print it: camelCase names, enum names."""
    shaped: dict[str, Any] = type(message).to_dict(
        message, preserving_proto_field_name=False, use_integers_for_enums=False
    )
    return shaped


def _last_authentication(clients: GcpClients, project: str) -> dict[str, datetime | None] | None:
    """Last authentication per service account (by e-mail) and key (``key:ID``), from Policy
    Analyzer where the caller may read it; None where not, which leaves last use unknown."""
    found: dict[str, datetime | None] = {}
    for kind, field_name in (("serviceAccountLastAuthentication", "serviceAccount"),
                             ("serviceAccountKeyLastAuthentication", "serviceAccountKey")):  # fmt: skip
        activities = clients.rest_get(project, f"policyanalyzer:{kind}", "policyanalyzer",
                                      ACTIVITY.format(project=project, kind=kind), optional=True)  # fmt: skip
        if activities is None:
            return None
        for activity in activities:
            body = activity.get("activity") or {}
            name = str((body.get(field_name) or {}).get("fullResourceName", "")).rsplit("/", 1)[-1]
            when = body.get("lastAuthenticatedTime")
            key = f"key:{name}" if field_name == "serviceAccountKey" else name
            found[key] = parse_time(when.replace("Z", "+00:00")) if when else None
    return found


def _agent(engine: dict[str, Any], project: str) -> Agent:
    spec = engine.get("spec") or {}
    return Agent(
        uid=str(engine.get("name")),
        provider="gcp",
        account=project,
        name=str(engine.get("displayName") or engine.get("name", "")).rsplit("/", 1)[-1],
        runs_as=spec.get("serviceAccount"),
        platform="vertex-agent-engine",
        created=parse_time(engine["createTime"].replace("Z", "+00:00")) if engine.get("createTime") else None,
        attributes={"description": engine.get("description") or ""},
        unknown=[] if spec.get("serviceAccount") else ["runs_as"],
    )
