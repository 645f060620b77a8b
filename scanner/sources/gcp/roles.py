"""Custom roles' definitions (IAM ``roles.get``): what a binding to ``projects/P/roles/R`` or
``organizations/N/roles/R`` allows is the role's ``includedPermissions``, read once per role bound
anywhere in the policies either path collected. A definition that cannot be read (refused, not
found) is a gap, and the grants of that role keep their actions unknown."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from functools import partial

from scanner.sources.gcp import records
from scanner.sources.gcp.clients import RETRY, TIMEOUT, GcpClients
from scanner.sources.gcp.estate import Collected
from scanner.sources.gcp.projects import rest_shape

WORKERS = 8


def read_custom_roles(clients: GcpClients, collected: Collected) -> None:
    def read(name: str) -> None:
        owner, owner_id = name.split("/")[:2]
        scope = owner_id if owner == "projects" else f"{owner}/{owner_id}"  # gaps go to the defining node
        request = {"name": name}
        role = clients.grpc_call(
            scope, "iam:roles.get", partial(clients.iam.get_role, request=request, retry=RETRY, timeout=TIMEOUT)
        )
        permissions = None if role is None else records.role_permissions(rest_shape(role))
        if permissions is not None:
            collected.custom_roles[name] = permissions

    names = sorted(records.bound_custom_roles(collected.policies.values()))
    with ThreadPoolExecutor(max_workers=min(WORKERS, max(1, len(names)))) as pool:
        list(pool.map(read, names))
