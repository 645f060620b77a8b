"""Cloud Asset Inventory's view of the fake's estate: assets as ListAssets, SearchAllIamPolicies and
SearchAllResources return them (full resource names, ``ancestors`` from the project up to the
organisation, resource ``data`` in the REST shape of each API; service accounts named by unique id,
as Cloud Asset Inventory names them)."""

from __future__ import annotations

from typing import Any

from google.cloud import asset_v1
from google.iam.v1 import policy_pb2
from google.protobuf.json_format import ParseDict

CRM = "//cloudresourcemanager.googleapis.com"
RESOURCE_TYPES = (
    "cloudresourcemanager.googleapis.com/Project",
    "iam.googleapis.com/ServiceAccount",
    "iam.googleapis.com/ServiceAccountKey",
    "apikeys.googleapis.com/Key",
    "iam.googleapis.com/WorkloadIdentityPool",
    "iam.googleapis.com/WorkloadIdentityPoolProvider",
)
POLICY_TYPES = tuple(f"cloudresourcemanager.googleapis.com/{kind}" for kind in ("Organization", "Folder", "Project"))


class AssetIndex:
    def __init__(self, state: Any) -> None:
        self.state = state

    def _projects_in(self, scope: str) -> list[str]:
        return [p for p in self.state.projects if scope in self.state.ancestors(f"projects/{p}")]

    def list(self, scope: str, types: tuple[str, ...], content_type: Any) -> list[Any]:
        key = ("list", scope, tuple(sorted(types)), int(content_type))
        if key not in self.state.cache:
            build = self._policies if content_type == asset_v1.ContentType.IAM_POLICY else self._resources
            self.state.cache[key] = [a for a in build(scope) if not types or a.asset_type in types]
        found: list[Any] = self.state.cache[key]
        return found

    def warm(self, scope: str) -> None:
        """Build every answer for ``scope`` now (benchmarks time the scanner, not the fake)."""
        for content_type, types in (
            (asset_v1.ContentType.RESOURCE, RESOURCE_TYPES),
            (asset_v1.ContentType.IAM_POLICY, POLICY_TYPES),
        ):
            self.list(scope, types, content_type)
        self.account_policies(scope)

    def _resources(self, scope: str) -> list[Any]:
        found = []
        for project in self._projects_in(scope):
            ancestors = self.state.ancestors(f"projects/{project}")
            number, settings = self.state.number(project), self.state.projects[project]
            parent = settings.get("parent") or self.state.organization
            data = {
                "projectNumber": number,
                "projectId": project,
                "lifecycleState": "ACTIVE",
                "name": settings.get("displayName", project),
                "labels": settings.get("labels", {}),
                "parent": {"type": parent.split("/")[0][:-1], "id": parent.split("/")[1]},
            }
            found.append(
                _asset(f"{CRM}/projects/{number}", "cloudresourcemanager.googleapis.com/Project", ancestors, data)
            )
            for account in self.state.accounts.get(project, []):
                name = f"//iam.googleapis.com/projects/{project}/serviceAccounts/{account['uniqueId']}"
                found.append(_asset(name, "iam.googleapis.com/ServiceAccount", ancestors, account))
                for key in self.state.keys.get(account["email"], []):
                    key_name = f"{name}/keys/{key['name'].rsplit('/', 1)[-1]}"
                    found.append(_asset(key_name, "iam.googleapis.com/ServiceAccountKey", ancestors, key))
            for key in self.state.rest.get(f"/v2/projects/{project}/locations/global/keys", []):
                name = f"//apikeys.googleapis.com/projects/{project}/locations/global/keys/{key['uid']}"
                found.append(_asset(name, "apikeys.googleapis.com/Key", ancestors, key))
            pools = self.state.rest.get(f"/v1/projects/{project}/locations/global/workloadIdentityPools", [])
            for pool in pools:
                found.append(
                    _asset(
                        f"//iam.googleapis.com/{pool['name']}",
                        "iam.googleapis.com/WorkloadIdentityPool",
                        ancestors,
                        pool,
                    )
                )
                for provider in self.state.rest.get(f"/v1/{pool['name']}/providers", []):
                    found.append(
                        _asset(
                            f"//iam.googleapis.com/{provider['name']}",
                            "iam.googleapis.com/WorkloadIdentityPoolProvider",
                            ancestors,
                            provider,
                        )
                    )
        return found

    def _policies(self, scope: str) -> list[Any]:
        found = []
        nodes = [n for n in [self.state.organization, *self.state.folders] if scope in self.state.ancestors(n)]
        for node in nodes:
            policy = self.state.parents.get(node)
            if policy:
                kind = "Organization" if node.startswith("organizations/") else "Folder"
                found.append(
                    asset_v1.Asset(
                        name=f"{CRM}/{node}",
                        asset_type=f"cloudresourcemanager.googleapis.com/{kind}",
                        ancestors=self.state.ancestors(node),
                        iam_policy=_policy(policy),
                    )
                )
        for project in self._projects_in(scope):
            policy = self.state.projects[project].get("policy")
            if policy:
                ancestors = self.state.ancestors(f"projects/{project}")
                found.append(
                    asset_v1.Asset(
                        name=f"{CRM}/{ancestors[0]}",
                        asset_type="cloudresourcemanager.googleapis.com/Project",
                        ancestors=ancestors,
                        iam_policy=_policy(policy),
                    )
                )
        return found

    def account_policies(self, scope: str) -> list[Any]:
        key = ("policies", scope)
        if key not in self.state.cache:
            found = []
            for project in self._projects_in(scope):
                ancestors = self.state.ancestors(f"projects/{project}")
                for account in self.state.accounts.get(project, []):
                    policy = self.state.account_policies.get(account["email"])
                    if policy and policy.get("bindings"):
                        found.append(
                            asset_v1.IamPolicySearchResult(
                                resource=f"//iam.googleapis.com/projects/{project}/serviceAccounts/{account['uniqueId']}",
                                asset_type="iam.googleapis.com/ServiceAccount",
                                project=ancestors[0],
                                folders=[a for a in ancestors if a.startswith("folders/")],
                                organization=ancestors[-1],
                                policy=_policy({"bindings": policy["bindings"]}),
                            )
                        )
            self.state.cache[key] = found
        result: list[Any] = self.state.cache[key]
        return result

    def services(self, scope: str, query: str) -> list[Any]:
        if "aiplatform.googleapis.com" not in query:
            return []
        found = []
        for project in self._projects_in(scope):
            if project in self.state.vertex_enabled:
                number = self.state.number(project)
                found.append(
                    asset_v1.ResourceSearchResult(
                        name=f"//serviceusage.googleapis.com/projects/{number}/services/aiplatform.googleapis.com",
                        asset_type="serviceusage.googleapis.com/Service",
                        project=f"projects/{number}",
                        display_name="aiplatform.googleapis.com",
                        state="ENABLED",
                    )
                )
        return found


def _asset(name: str, asset_type: str, ancestors: list[str], data: dict[str, Any]) -> Any:
    return asset_v1.Asset(
        name=name, asset_type=asset_type, ancestors=ancestors, resource=asset_v1.Resource(version="v1", data=data)
    )


def _policy(policy: dict[str, Any]) -> Any:
    return ParseDict(
        {k: v for k, v in policy.items() if k in ("bindings", "auditConfigs", "etag", "version")}, policy_pb2.Policy()
    )
