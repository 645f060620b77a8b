"""The resource hierarchy through Resource Manager: every project below an organisation or folder
(through nested folders), the folders and organisation above a project, and their IAM policies
read as version 3 (conditional bindings keep their role; the condition comes with them)."""

from __future__ import annotations

from functools import partial
from typing import Any

from google.protobuf.json_format import MessageToDict

from scanner.sources.gcp.clients import RETRY, TIMEOUT, GcpClients, every_item
from scanner.sources.gcp.estate import Project

PAGE_SIZE = 1000  # Resource Manager lists: the server returns fewer when it must
POLICY_VERSION = {"requested_policy_version": 3}


def read_policy(clients: GcpClients, scope: str, node: str) -> dict[str, Any] | None:
    """The IAM policy set on ``projects/ID``, ``folders/N`` or ``organizations/N``."""
    client = (
        clients.projects
        if node.startswith("projects/")
        else clients.folders
        if node.startswith("folders/")
        else clients.organizations
    )
    kind = node.split("/")[0]
    policy = clients.grpc_call(
        scope,
        f"cloudresourcemanager:{kind}.getIamPolicy",
        lambda: client.get_iam_policy(
            request={"resource": node, "options": POLICY_VERSION}, retry=RETRY, timeout=TIMEOUT
        ),
    )
    return None if policy is None else MessageToDict(policy)


def discover(clients: GcpClients, parent: str) -> dict[str, Project] | None:
    """Every active project below ``parent``, through nested folders, with its ancestors; None
    when the parent's children could not be listed at all."""
    found: dict[str, Project] = {}
    above, unread_at = walk_up(clients, parent, parent, {})
    queue: list[tuple[str, tuple[str, ...]]] = [(parent, tuple(above))]
    listed_any = False
    while queue:
        node, ancestors = queue.pop(0)
        request = {"parent": node, "page_size": PAGE_SIZE}
        projects = clients.grpc_call(
            parent,
            "cloudresourcemanager:projects.list",
            partial(_all, clients.projects.list_projects, request, "projects"),
        )
        folders = clients.grpc_call(
            parent,
            "cloudresourcemanager:folders.list",
            partial(_all, clients.folders.list_folders, request, "folders"),
        )
        listed_any = listed_any or projects is not None
        for project in projects or []:
            if getattr(project.state, "name", "ACTIVE") == "ACTIVE":
                found[project.project_id] = _project(project, ancestors, unread_at)
        for folder in folders or []:
            if getattr(folder.state, "name", "ACTIVE") == "ACTIVE":
                queue.append((folder.name, (folder.name, *ancestors)))
    return found if listed_any else None


def locate(clients: GcpClients, project_id: str, folder_parents: dict[str, str | None]) -> Project:
    """A project's metadata and the folders and organisation above it (``folder_parents`` caches
    folders already walked). A project that cannot be read keeps no ancestors, and the gap says so."""
    metadata = clients.grpc_call(
        project_id,
        "cloudresourcemanager:projects.get",
        lambda: clients.projects.get_project(name=f"projects/{project_id}", retry=RETRY, timeout=TIMEOUT),
    )
    if metadata is None:  # neither its folders nor its organisation are known, nor their policies
        return Project(project_id=project_id, unread_above=f"projects/{project_id}")
    if not metadata.parent:
        return _project(metadata, ())
    ancestors, unread_at = walk_up(clients, project_id, metadata.parent, folder_parents)
    return _project(metadata, tuple(ancestors), unread_at)


# a folder whose own parent could not be read (folder_parents): what lies above it is not known
_UNREAD = "unread"


def walk_up(
    clients: GcpClients, scope: str, node: str, folder_parents: dict[str, str | None]
) -> tuple[list[str], str | None]:
    """``node`` and every folder and organisation above it, nearest first; and the folder whose
    parent could not be read, where the walk had to stop short (None when it reached the top)."""
    ancestors: list[str] = []
    current: str | None = node
    while current:
        ancestors.append(current)
        if not current.startswith("folders/"):
            break
        if current not in folder_parents:
            folder = clients.grpc_call(
                scope,
                "cloudresourcemanager:folders.get",
                partial(clients.folders.get_folder, name=current, retry=RETRY, timeout=TIMEOUT),
            )
            folder_parents[current] = _UNREAD if folder is None else (folder.parent or None)
        if folder_parents[current] == _UNREAD:
            return ancestors, current
        current = folder_parents[current]
    return ancestors, None


def _all(method: Any, request: dict[str, Any], field_name: str) -> list[Any]:
    return every_item(method(request=request, retry=RETRY, timeout=TIMEOUT), field_name)


def _project(message: Any, ancestors: tuple[str, ...], unread_above: str | None = None) -> Project:
    return Project(
        unread_above=unread_above,
        project_id=message.project_id,
        number=str(message.name).rsplit("/", 1)[-1],
        display_name=message.display_name or message.project_id,
        parent=message.parent or None,
        ancestors=ancestors,
        labels=dict(message.labels),
    )
