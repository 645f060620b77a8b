"""The Azure clouds nhiscan can scan: each names its Microsoft Graph and Resource Manager
endpoints, the token audiences for them and the Entra authority host, which always go together
(a token for graph.microsoft.com is refused by graph.microsoft.us).

Endpoints from Microsoft's national cloud deployment tables (learn.microsoft.com/graph/deployments
and the Azure Government / Azure China developer guides). The sign-in activity reports
(``reports/servicePrincipalSignInActivities``, ``reports/appCredentialSignInActivities``) are
offered in the global service only.

``NHISCAN_GRAPH_ENDPOINT``, ``NHISCAN_ARM_ENDPOINT`` and ``NHISCAN_AZURE_AUTHORITY`` point a
cloud at another host (a private endpoint, a proxy, a test server) while keeping that cloud's
token audiences.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from scanner.errors import UsageError


@dataclass(frozen=True, slots=True)
class AzureCloud:
    name: str
    graph: str
    arm: str
    authority: str
    graph_audience: str
    arm_audience: str
    sign_in_reports: bool  # the beta sign-in activity reports exist in this cloud

    @property
    def graph_scope(self) -> str:
        return f"{self.graph_audience}/.default"

    @property
    def arm_scope(self) -> str:
        return f"{self.arm_audience}/.default"


def _cloud(name: str, graph: str, arm: str, authority: str, sign_in_reports: bool) -> AzureCloud:
    return AzureCloud(name, graph, arm, authority, graph, arm, sign_in_reports)


CLOUDS = {
    "public": _cloud("public", "https://graph.microsoft.com", "https://management.azure.com",
                     "login.microsoftonline.com", True),
    "usgov": _cloud("usgov", "https://graph.microsoft.us", "https://management.usgovcloudapi.net",
                    "login.microsoftonline.us", False),  # US Government L4 (GCC High)
    "usgov-dod": _cloud("usgov-dod", "https://dod-graph.microsoft.us", "https://management.usgovcloudapi.net",
                        "login.microsoftonline.us", False),  # US Government L5 (DoD)
    "china": _cloud("china", "https://microsoftgraph.chinacloudapi.cn", "https://management.chinacloudapi.cn",
                    "login.chinacloudapi.cn", False),
}  # fmt: skip


KNOWN_AUTHORITIES = {cloud.authority for cloud in CLOUDS.values()}


def resolve_cloud(name: str | None = None) -> AzureCloud:
    """The named cloud (default public) with the environment's endpoint overrides applied."""
    cloud = CLOUDS.get((name or "public").lower())
    if cloud is None:
        raise UsageError(f"--azure-cloud: unknown cloud '{name}'; known: {', '.join(CLOUDS)}")
    return replace(
        cloud,
        graph=(os.environ.get("NHISCAN_GRAPH_ENDPOINT") or cloud.graph).rstrip("/"),
        arm=(os.environ.get("NHISCAN_ARM_ENDPOINT") or cloud.arm).rstrip("/"),
        authority=os.environ.get("NHISCAN_AZURE_AUTHORITY") or cloud.authority,
    )
