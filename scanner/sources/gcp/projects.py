"""The per-project path: each project read through its own APIs (service accounts, their keys and
policies, the project's policy, API keys, workload identity pools and providers, last
authentication, agent engines). Used for named projects, and for an organisation or folder when the
caller cannot use Cloud Asset Inventory. Requests grow with service accounts (two per account: the
IAM API lists keys and reads policies one account at a time)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import quote

from google.protobuf.json_format import MessageToDict

from scanner.model import Agent
from scanner.serialize import parse_time
from scanner.sources.gcp.clients import API_DISABLED, RETRY, TIMEOUT, GcpClients, every_item
from scanner.sources.gcp.estate import Collected, parse_rfc3339
from scanner.sources.gcp.hierarchy import POLICY_VERSION, read_policy

# Regions where Vertex AI Agent Engine runs (https://cloud.google.com/agent-builder/locations,
# read 2026-12-01); --gcp-regions narrows them.
AGENT_ENGINE_REGIONS = (
    "us-central1", "us-east1", "us-east4", "us-west1", "northamerica-northeast2", "southamerica-east1",
    "europe-west1", "europe-west2", "europe-west3", "europe-west4", "europe-west6", "europe-west8",
    "europe-southwest1", "asia-east1", "asia-east2", "asia-northeast1", "asia-northeast3", "asia-south1",
    "asia-southeast1", "asia-southeast2", "australia-southeast2",
)  # fmt: skip
ACTIVITY = "/v1/{parent}/locations/global/activityTypes/{kind}/activities:query?pageSize=1000"
ACTIVITY_KINDS = (("serviceAccountLastAuthentication", "serviceAccount"),
                  ("serviceAccountKeyLastAuthentication", "serviceAccountKey"))  # fmt: skip
SERVICE_ACCOUNT_PAGE = 100  # the IAM API's maximum


def read_project(
    clients: GcpClients, collected: Collected, project: str, regions: tuple[str, ...], workers: int
) -> None:
    listed = clients.grpc_call(
        project,
        "iam:serviceAccounts.list",
        lambda: every_item(clients.iam.list_service_accounts(
            request={"name": f"projects/{project}", "page_size": SERVICE_ACCOUNT_PAGE}, retry=RETRY, timeout=TIMEOUT),
            "accounts"),
    )  # fmt: skip
    accounts = [rest_shape(a) for a in listed or []]
    if listed is not None:
        collected.accounts[project] = accounts

    def per_account(account: dict[str, Any]) -> None:
        email, name = str(account.get("email")), str(account.get("name"))
        # over REST: google-cloud-iam's ServiceAccountKey message has no disableReason nor
        # extendedStatus, what Google reports of a key's exposure (NHI-CRED-012)
        keys = clients.rest_get(project, "iam:serviceAccounts.keys.list", "iam", f"/v1/{quote(name, safe='/@')}/keys")
        if keys is not None:
            collected.keys[email] = keys
        policy = clients.grpc_call(
            project,
            "iam:serviceAccounts.getIamPolicy",
            lambda: clients.iam.get_iam_policy(
                request={"resource": name, "options": POLICY_VERSION}, retry=RETRY, timeout=TIMEOUT
            ),
        )
        if policy is not None:
            collected.policies[email] = MessageToDict(policy)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(per_account, accounts))
    policy = read_policy(clients, project, f"projects/{project}")
    if policy is not None:
        collected.policies[f"projects/{project}"] = policy
    keys = clients.rest_get(project, "apikeys:keys.list", "apikeys",
                            f"/v2/projects/{project}/locations/global/keys?pageSize=300")  # fmt: skip
    if keys is not None:
        collected.api_keys[project] = keys
    _workload_identity(clients, collected, project)
    _last_authentication(clients, collected, project, f"projects/{project}", {project})
    agent_engines(clients, collected, project, regions)


def _workload_identity(clients: GcpClients, collected: Collected, project: str) -> None:
    path = f"/v1/projects/{project}/locations/global/workloadIdentityPools?pageSize=1000"
    pools = clients.rest_get(project, "iam:workloadIdentityPools.list", "iam", path)
    if pools is None:
        return
    collected.pools[project] = pools
    providers: list[dict[str, Any]] = []
    for pool in pools:
        found = clients.rest_get(project, "iam:workloadIdentityPoolProviders.list", "iam",
                                 f"/v1/{pool.get('name')}/providers?pageSize=100")  # fmt: skip
        if found is None:
            return
        providers += found
    collected.providers[project] = providers


def _last_authentication(
    clients: GcpClients, collected: Collected, scope: str, parent: str, projects: set[str]
) -> None:
    """Last authentication per service account (by e-mail) and key (``key:ID``) from Policy
    Analyzer, for ``parent`` (a project, folder or organisation). Where the API is not enabled last
    use stays unknown without a gap; a refusal is a gap."""
    found: dict[str, Any] = {}
    for kind, field_name in ACTIVITY_KINDS:
        activities = clients.rest_get(scope, f"policyanalyzer:{kind}", "policyanalyzer",
                                      ACTIVITY.format(parent=parent, kind=kind), optional=True)  # fmt: skip
        if activities is None:
            return
        for activity in activities:
            body = activity.get("activity") or {}
            name = str((body.get(field_name) or {}).get("fullResourceName", "")).rsplit("/", 1)[-1]
            key = f"key:{name}" if field_name == "serviceAccountKey" else name
            found[key] = parse_rfc3339(body.get("lastAuthenticatedTime"))
    collected.last_auth.update(found)
    collected.last_auth_read.update(projects)


read_last_authentication = _last_authentication


def agent_engines(clients: GcpClients, collected: Collected, project: str, regions: tuple[str, ...]) -> None:
    """Vertex AI Agent Engines (reasoning engines) in each region; a project where the Vertex AI
    API is not enabled has none, and its other regions are not asked. A region that cannot be
    read leaves the project's agents unknown, and so do the regions where Agent Engine runs that
    ``--gcp-regions`` left out."""
    for region in regions:
        path = f"/v1/projects/{project}/locations/{region}/reasoningEngines?pageSize=100"
        engines, code = clients.rest_list(project, "aiplatform:reasoningEngines.list", "aiplatform", path, region, True)
        if code == API_DISABLED:
            return
        if engines is None:
            collected.agents_unread.add(project)
        collected.agents += [_agent(engine, project) for engine in engines or []]
    left_out = [region for region in AGENT_ENGINE_REGIONS if region not in regions]
    if left_out:
        collected.agents_unread.add(project)
        collected.agent_regions_not_read[project] = left_out


def rest_shape(message: Any) -> dict[str, Any]:
    """A gRPC message as the REST API and gcloud print it: camelCase names, enum names."""
    shaped: dict[str, Any] = type(message).to_dict(
        message, preserving_proto_field_name=False, use_integers_for_enums=False
    )
    return shaped


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
