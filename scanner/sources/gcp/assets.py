"""The Cloud Asset Inventory path, for an organisation or folder: a few paged calls for the whole
scope instead of dozens per project.

- ``ListAssets`` (RESOURCE): projects, service accounts, their keys, API keys, workload identity
  pools and providers, each with its ancestors (project, folders, organisation);
- ``ListAssets`` (IAM_POLICY): the policies set on the organisation, folders and projects, with
  their audit configs (search results carry bindings only);
- ``SearchAllIamPolicies``: the policies set on service accounts (who may act as each);
- ``SearchAllResources``: projects where the Vertex AI API is enabled, the only ones asked for
  Agent Engines;
- Policy Analyzer's activity queries on the organisation or folder: last authentication.

Requests grow with pages (1,000 assets or 500 policies each), not with projects. Any refusal
returns None, and the caller reads project by project instead.
"""

from __future__ import annotations

from typing import Any

from google.protobuf.json_format import MessageToDict

from scanner.sources.gcp.clients import RETRY, TIMEOUT, GcpClients, every_item, pages
from scanner.sources.gcp.estate import ASSET_PATH, Collected, Project
from scanner.sources.gcp.hierarchy import read_policy
from scanner.sources.gcp.projects import agent_engines, read_last_authentication

PROJECT = "cloudresourcemanager.googleapis.com/Project"
FOLDER = "cloudresourcemanager.googleapis.com/Folder"
ORGANIZATION = "cloudresourcemanager.googleapis.com/Organization"
SERVICE_ACCOUNT = "iam.googleapis.com/ServiceAccount"
SERVICE_ACCOUNT_KEY = "iam.googleapis.com/ServiceAccountKey"
API_KEY = "apikeys.googleapis.com/Key"
POOL = "iam.googleapis.com/WorkloadIdentityPool"
PROVIDER = "iam.googleapis.com/WorkloadIdentityPoolProvider"
RESOURCE_TYPES = (PROJECT, SERVICE_ACCOUNT, SERVICE_ACCOUNT_KEY, API_KEY, POOL, PROVIDER)
LIST_PAGE, SEARCH_PAGE = 1000, 500  # the API's maxima
VERTEX_ENABLED = "name:aiplatform.googleapis.com state:ENABLED"


def read_scope(clients: GcpClients, scope: str, regions: tuple[str, ...]) -> Collected | None:
    """Everything under ``scope`` (organizations/N or folders/N) from Cloud Asset Inventory, or
    None when a call was refused (its gap is then recorded under ``scope``)."""
    from google.cloud.asset_v1 import ContentType

    resources = _list(clients, scope, "cloudasset:assets.listResource", ContentType.RESOURCE, RESOURCE_TYPES)
    if resources is None:
        return None
    collected = Collected(path=ASSET_PATH)
    by_number = _projects(collected, resources)
    policies = _list(clients, scope, "cloudasset:assets.listIamPolicy", ContentType.IAM_POLICY,
                     (ORGANIZATION, FOLDER, PROJECT))  # fmt: skip
    account_policies = _search_policies(clients, scope)
    if policies is None or account_policies is None:
        return None
    emails = _resources(collected, resources, by_number)
    for asset in policies:
        node = _node(asset.name, by_number)
        collected.policies[node] = MessageToDict(asset.iam_policy)
    for project in collected.projects.values():  # a folder in the scope without a policy asset has none
        for node in (f"projects/{project.project_id}", *project.ancestors):
            if node in collected.policies:
                continue
            # a project always has a policy (its owner): one not in the index is not indexed yet
            # (Cloud Asset Inventory lags behind changes), so it is read from the project itself
            inside = not node.startswith("projects/") and scope in _ancestors_of(node, collected)
            policy = {} if inside else read_policy(clients, scope, node)
            if policy is not None:
                collected.policies[node] = policy
    for email in emails.values():
        collected.policies.setdefault(email, {})
    for resource, policy in account_policies:
        holder = emails.get(resource.rsplit("/", 1)[-1])
        if holder:
            collected.policies[holder] = policy
    read_last_authentication(clients, collected, scope, scope, set(collected.projects))
    vertex = _vertex_projects(clients, scope, by_number)
    if vertex is None:  # which projects run Vertex AI is unknown, so are their agents
        collected.agents_unread.update(collected.projects)
    for project_id in vertex or []:
        agent_engines(clients, collected, project_id, regions)
    return collected


def _list(clients: GcpClients, scope: str, call: str, content_type: Any, types: tuple[str, ...]) -> list[Any] | None:
    """Every asset of every page, as raw protobuf messages (proto-plus wrappers cost more than the
    call itself at tens of thousands of assets)."""
    request = {"parent": scope, "asset_types": list(types), "content_type": content_type, "page_size": LIST_PAGE}

    def every_page() -> list[Any]:
        pager = clients.assets.list_assets(request=request, retry=RETRY, timeout=TIMEOUT)
        return [asset for page in pages(pager) for asset in type(page).pb(page).assets]

    return clients.grpc_call(scope, call, every_page)


def _search_policies(clients: GcpClients, scope: str) -> list[tuple[str, dict[str, Any]]] | None:
    request = {"scope": scope, "asset_types": [SERVICE_ACCOUNT], "page_size": SEARCH_PAGE}
    found = clients.grpc_call(
        scope,
        "cloudasset:assets.searchAllIamPolicies",
        lambda: every_item(
            clients.assets.search_all_iam_policies(request=request, retry=RETRY, timeout=TIMEOUT), "results"
        ),
    )
    return None if found is None else [(r.resource, MessageToDict(r.policy)) for r in found]


def _vertex_projects(clients: GcpClients, scope: str, by_number: dict[str, str]) -> list[str] | None:
    request = {"scope": scope, "query": VERTEX_ENABLED, "asset_types": ["serviceusage.googleapis.com/Service"],
               "page_size": SEARCH_PAGE}  # fmt: skip
    found = clients.grpc_call(
        scope,
        "cloudasset:assets.searchAllResources",
        lambda: every_item(
            clients.assets.search_all_resources(request=request, retry=RETRY, timeout=TIMEOUT), "results"
        ),
    )
    if found is None:
        return None
    numbers = {r.project.rsplit("/", 1)[-1] for r in found}
    return sorted(by_number[n] for n in numbers if n in by_number)


def _data(asset: Any) -> dict[str, Any]:
    data: dict[str, Any] = MessageToDict(asset.resource.data)
    return data


def _projects(collected: Collected, assets: list[Any]) -> dict[str, str]:
    by_number: dict[str, str] = {}
    for asset in assets:
        if asset.asset_type != PROJECT:
            continue
        data = _data(asset)
        if data.get("lifecycleState", "ACTIVE") != "ACTIVE":
            continue
        number, project_id = str(data.get("projectNumber", "")), str(data.get("projectId", ""))
        parent = data.get("parent") or {}
        by_number[number] = project_id
        collected.projects[project_id] = Project(
            project_id=project_id,
            number=number,
            display_name=str(data.get("name") or project_id),
            parent=f"{parent.get('type')}s/{parent.get('id')}" if parent.get("type") else None,
            ancestors=tuple(a for a in asset.ancestors if not a.startswith("projects/")),
            labels={k: str(v) for k, v in (data.get("labels") or {}).items()},
        )
    return by_number


def _resources(collected: Collected, assets: list[Any], by_number: dict[str, str]) -> dict[str, str]:
    """Service accounts, keys, API keys, pools and providers by project; returns each service
    account's unique id and e-mail -> e-mail (asset names may use either)."""
    emails: dict[str, str] = {}
    keys: list[tuple[str, dict[str, Any]]] = []
    for known in collected.projects:
        collected.accounts[known], collected.api_keys[known] = [], []
        collected.pools[known], collected.providers[known] = [], []
    for asset in assets:
        found = next((by_number.get(a.split("/")[1]) for a in asset.ancestors if a.startswith("projects/")), None)
        if found is None or found not in collected.projects or asset.asset_type == PROJECT:
            continue
        project_id = found
        data = _data(asset)
        if asset.asset_type == SERVICE_ACCOUNT:
            collected.accounts[project_id].append(data)
            email = str(data.get("email", ""))
            emails[email] = email
            emails[str(data.get("uniqueId", email))] = email
            collected.keys[email] = []
        elif asset.asset_type == SERVICE_ACCOUNT_KEY:
            keys.append((asset.name, data))
        elif asset.asset_type == API_KEY:
            collected.api_keys[project_id].append(data)
        elif asset.asset_type == POOL:
            collected.pools[project_id].append(data)
        elif asset.asset_type == PROVIDER:
            collected.providers[project_id].append(data)
    for name, data in keys:
        holder = str(data.get("name") or name).split("/serviceAccounts/")[-1].split("/keys/")[0]
        owner = emails.get(holder)
        if owner is not None:
            collected.keys[owner].append(data)
    return emails


def _node(asset_name: str, by_number: dict[str, str]) -> str:
    node = asset_name.removeprefix("//cloudresourcemanager.googleapis.com/")
    if node.startswith("projects/"):
        number = node.split("/")[1]
        return f"projects/{by_number.get(number, number)}"
    return node


def _ancestors_of(node: str, collected: Collected) -> tuple[str, ...]:
    for project in collected.projects.values():
        if node in project.ancestors:
            return project.ancestors[project.ancestors.index(node) :]
    return ()
