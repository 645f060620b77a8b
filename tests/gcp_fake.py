"""A local Google Cloud for the GCP source tests, answering as Google's APIs do.

- gRPC ``google.iam.admin.v1.IAM`` (google-cloud-iam speaks only gRPC): ListServiceAccounts (pages
  of at most 100, 20 by default), GetIamPolicy, GetRole (NOT_FOUND for a role it does not hold);
- gRPC ``google.cloud.asset.v1.AssetService``: ListAssets (RESOURCE and IAM_POLICY, pages of at most
  1,000, 100 by default), SearchAllIamPolicies and SearchAllResources (at most 500);
- HTTP for Resource Manager v3 (projects, nested folders, organisations, getIamPolicy), IAM's
  service account keys (which the REST API shapes with Google's exposure reports), API keys,
  workload identity pools and providers, Policy Analyzer (project, folder and organisation scope),
  Vertex AI reasoning engines and Cloud Identity groups (lookup, memberships).

Messages are the client libraries' own types. Policies follow version 3 semantics: asked for an
older version, a policy with conditions answers ``ROLE_withcond_HASH`` roles without conditions, as
Google documents. Errors carry ``google.rpc.ErrorInfo`` (IAM_PERMISSION_DENIED, SERVICE_DISABLED,
RATE_LIMIT_EXCEEDED) in the gRPC status details and the REST error body."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections import Counter
from concurrent import futures
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any

import grpc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import asset_v1, iam_admin_v1, resourcemanager_v3
from google.cloud.asset_v1.services.asset_service.transports import AssetServiceGrpcTransport
from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
from google.iam.v1 import iam_policy_pb2, policy_pb2
from google.protobuf import any_pb2
from google.protobuf.json_format import ParseDict
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status

from scanner.sources.gcp.clients import GcpClients

from .gcp_assets import AssetIndex

TOKEN_TAIL = "+/="


@dataclass
class GcpState:
    page_size: int | None = None  # a smaller page than Google's maximum, to test paging
    repeating_tokens: bool = False  # every page after the first answers with the token it was asked for
    organization: str = "organizations/123456789012"
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {number, labels, parent, policy}
    folders: dict[str, dict[str, Any]] = field(default_factory=dict)  # folders/N -> {parent, displayName}
    parents: dict[str, dict[str, Any]] = field(default_factory=dict)  # organizations/N or folders/N -> policy
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> REST-shaped accounts
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # account e-mail -> REST-shaped keys
    account_policies: dict[str, dict[str, Any]] = field(default_factory=dict)  # account e-mail -> policy
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)  # custom role name -> REST-shaped Role
    activities: dict[str, dict[str, list[dict[str, Any]]]] = field(default_factory=dict)  # project -> kind -> items
    rest: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # REST path -> items
    # Cloud Identity: a group's e-mail -> {"id": GROUP_ID, "members": [(member e-mail, USER | SERVICE_ACCOUNT | GROUP)]}
    groups: dict[str, dict[str, Any]] = field(default_factory=dict)
    vertex_enabled: set[str] = field(default_factory=set)  # projects with aiplatform.googleapis.com on
    deny: set[str] = field(default_factory=set)  # gRPC method names or REST path prefixes: PERMISSION_DENIED
    deny_matching: set[str] = field(default_factory=set)  # regular expressions over REST paths: the same
    disabled: set[str] = field(default_factory=set)  # gRPC method names or REST path prefixes: SERVICE_DISABLED
    exhausted: Counter[str] = field(default_factory=Counter)  # method / path prefix -> 429s left
    failing: Counter[str] = field(default_factory=Counter)  # method / path prefix -> 503s left
    requests: Counter[str] = field(default_factory=Counter)
    cache: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def number(self, project: str) -> str:
        found = self.projects[project].get("number")
        return str(found) if found else str(100000000000 + int(hashlib.sha1(project.encode()).hexdigest()[:8], 16))

    def ancestors(self, node: str) -> list[str]:
        """``node`` and everything above it: a project's number first, then folders, the organisation."""
        chain = []
        current: str | None = node
        while current:
            if current.startswith("projects/"):
                project = current.split("/")[1]
                chain.append(f"projects/{self.number(project)}")
                current = self.projects[project].get("parent")
            else:
                chain.append(current)
                current = self.folders.get(current, {}).get("parent")
        return chain

    def take(self, counter: Counter[str], name: str) -> bool:
        with self.lock:
            for prefix, left in counter.items():
                if name.startswith(prefix) and left:
                    counter[prefix] -= 1
                    return True
        return False

    def page(self, items: list[Any], token: str, asked: int, default: int, maximum: int) -> tuple[list[Any], str]:
        """One page; tokens hold characters a URL must encode ("+/="), as Google's base64 tokens do."""
        size = min(asked or default, maximum, self.page_size or maximum)
        if token and not token.endswith(TOKEN_TAIL):
            raise ValueError(f"invalid page token {token!r}")
        start = int(token.removesuffix(TOKEN_TAIL) or 0)
        following = start + size
        if self.repeating_tokens and token and following < len(items):
            return items[start:following], token
        return items[start:following], f"{following}{TOKEN_TAIL}" if following < len(items) else ""

    def policy(self, policy: dict[str, Any], version: int) -> dict[str, Any]:
        """A stored policy as Google answers a request for ``version``."""
        conditional = any(b.get("condition") for b in policy.get("bindings") or [])
        if version >= 3 or not conditional:
            return {**policy, "version": 3 if conditional else 1}
        bindings = []
        for binding in policy.get("bindings") or []:
            if binding.get("condition"):
                digest = hashlib.sha1(json.dumps(binding["condition"], sort_keys=True).encode()).hexdigest()[:16]
                binding = {"role": f"{binding['role']}_withcond_{digest}", "members": binding["members"]}
            bindings.append(binding)
        return {**policy, "bindings": bindings, "version": 1}


def error_info(reason: str, domain: str, metadata: dict[str, str]) -> dict[str, Any]:
    return {
        "@type": "type.googleapis.com/google.rpc.ErrorInfo",
        "reason": reason,
        "domain": domain,
        "metadata": metadata,
    }


def refusal(state: GcpState, name: str, service: str) -> tuple[int, str, str, dict[str, Any]] | None:
    """(HTTP status, status name, message, ErrorInfo) the call ``name`` is refused with, if any."""
    if state.take(state.exhausted, name):
        return (
            429,
            "RESOURCE_EXHAUSTED",
            f"Quota exceeded for quota metric 'Read requests' of service '{service}'",
            error_info("RATE_LIMIT_EXCEEDED", "googleapis.com", {"service": service}),
        )
    if state.take(state.failing, name):
        return 503, "UNAVAILABLE", "The service is currently unavailable.", {}
    if any(name.startswith(prefix) for prefix in state.disabled):
        message = (
            f"{service} API has not been used in project 987654321 before or it is disabled. Enable it by "
            f"visiting https://console.developers.google.com/apis/api/{service}/overview?project=987654321"
        )
        return (
            403,
            "PERMISSION_DENIED",
            message,
            error_info("SERVICE_DISABLED", "googleapis.com", {"service": service, "consumer": "projects/987654321"}),
        )
    if any(name.startswith(prefix) for prefix in state.deny) or any(re.search(p, name) for p in state.deny_matching):
        return (
            403,
            "PERMISSION_DENIED",
            "The caller does not have permission",
            error_info("IAM_PERMISSION_DENIED", "iam.googleapis.com", {"permission": name}),
        )
    return None


_GRPC_CODES = {429: code_pb2.RESOURCE_EXHAUSTED, 503: code_pb2.UNAVAILABLE, 403: code_pb2.PERMISSION_DENIED}


class _Grpc:
    def __init__(self, state: GcpState, service: str) -> None:
        self.state, self.service = state, service

    def check(self, method: str, context: grpc.ServicerContext) -> None:
        with self.state.lock:
            self.state.requests[f"grpc {method}"] += 1
        refused = refusal(self.state, method, self.service)
        if refused is None:
            return
        status, _, message, info = refused
        details = []
        if info:
            packed = any_pb2.Any()
            packed.Pack(
                error_details_pb2.ErrorInfo(reason=info["reason"], domain=info["domain"], metadata=info["metadata"])
            )
            details.append(packed)
        context.abort_with_status(
            rpc_status.to_status(status_pb2.Status(code=_GRPC_CODES[status], message=message, details=details))
        )


class _IAM(_Grpc):
    def list_service_accounts(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.check("ListServiceAccounts", context)
        accounts = self.state.accounts.get(request.name.split("/")[1], [])
        page, token = self.state.page(accounts, request.page_token, request.page_size, 20, 100)
        return iam_admin_v1.ListServiceAccountsResponse(
            accounts=[iam_admin_v1.ServiceAccount(**_snake(a)) for a in page], next_page_token=token
        )

    def get_iam_policy(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.check("GetIamPolicy", context)
        email = request.resource.split("/serviceAccounts/")[1]
        policy = self.state.policy(self.state.account_policies.get(email, {}), request.options.requested_policy_version)
        return ParseDict(policy, policy_pb2.Policy())

    def get_role(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.check(f"GetRole {request.name}", context)
        role = self.state.roles.get(request.name)
        if role is None:  # a custom role deleted for good, or never defined
            context.abort(grpc.StatusCode.NOT_FOUND, f"The role named {request.name} was not found.")
        return iam_admin_v1.Role.wrap(ParseDict(role, iam_admin_v1.Role.pb()()))


def _snake(item: dict[str, Any]) -> dict[str, Any]:
    renamed = {re.sub(r"([A-Z0-9]+)", lambda m: "_" + m.group(1).lower(), k): v for k, v in item.items()}
    renamed = {("oauth2_client_id" if k == "oauth_2_client_id" else k): v for k, v in renamed.items()}
    return {k: v for k, v in renamed.items() if k in _ALLOWED}


_ALLOWED = {
    "name",
    "project_id",
    "unique_id",
    "email",
    "display_name",
    "etag",
    "description",
    "oauth2_client_id",
    "disabled",
    "valid_after_time",
    "valid_before_time",
    "key_algorithm",
    "key_origin",
    "key_type",
}


class _Assets(_Grpc):
    def list_assets(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.check("ListAssets", context)
        found = AssetIndex(self.state).list(request.parent, tuple(request.asset_types), request.content_type)
        page, token = self.state.page(found, request.page_token, request.page_size, 100, 1000)
        return asset_v1.ListAssetsResponse(assets=page, next_page_token=token)

    def search_all_iam_policies(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.check("SearchAllIamPolicies", context)
        found = AssetIndex(self.state).account_policies(request.scope)
        page, token = self.state.page(found, request.page_token, request.page_size, 100, 500)
        return asset_v1.SearchAllIamPoliciesResponse(results=page, next_page_token=token)

    def search_all_resources(self, request: Any, context: grpc.ServicerContext) -> Any:
        self.check("SearchAllResources", context)
        found = AssetIndex(self.state).services(request.scope, request.query)
        page, token = self.state.page(found, request.page_token, request.page_size, 100, 500)
        return asset_v1.SearchAllResourcesResponse(results=page, next_page_token=token)


def _handlers(service: Any, methods: dict[str, tuple[Any, Any, Any]]) -> Any:
    return {
        name: grpc.unary_unary_rpc_method_handler(
            getattr(service, function),
            request_deserializer=request.deserialize,
            response_serializer=response.serialize,
        )
        for name, (function, request, response) in methods.items()
    }


class _Message:
    """A protobuf (not proto-plus) message type as a gRPC (de)serialiser."""

    def __init__(self, kind: Any) -> None:
        self.kind = kind

    def deserialize(self, data: bytes) -> Any:
        return self.kind.FromString(data)

    def serialize(self, message: Any) -> bytes:
        serialized: bytes = message.SerializeToString()
        return serialized


class FakeGcp:
    def __init__(self) -> None:
        from .gcp_rest import handler_for

        self.state = GcpState()
        iam, assets = _IAM(self.state, "iam.googleapis.com"), _Assets(self.state, "cloudasset.googleapis.com")
        types = iam_admin_v1.types
        iam_methods = {
            "ListServiceAccounts": (
                "list_service_accounts",
                types.ListServiceAccountsRequest,
                types.ListServiceAccountsResponse,
            ),
            "GetRole": ("get_role", types.GetRoleRequest, types.Role),
            "GetIamPolicy": (
                "get_iam_policy",
                _Message(iam_policy_pb2.GetIamPolicyRequest),
                _Message(policy_pb2.Policy),
            ),
        }
        asset_methods = {
            "ListAssets": ("list_assets", asset_v1.ListAssetsRequest, asset_v1.ListAssetsResponse),
            "SearchAllIamPolicies": (
                "search_all_iam_policies",
                asset_v1.SearchAllIamPoliciesRequest,
                asset_v1.SearchAllIamPoliciesResponse,
            ),
            "SearchAllResources": (
                "search_all_resources",
                asset_v1.SearchAllResourcesRequest,
                asset_v1.SearchAllResourcesResponse,
            ),
        }
        self.grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.grpc_server.add_generic_rpc_handlers(
            (
                grpc.method_handlers_generic_handler("google.iam.admin.v1.IAM", _handlers(iam, iam_methods)),
                grpc.method_handlers_generic_handler(
                    "google.cloud.asset.v1.AssetService", _handlers(assets, asset_methods)
                ),
            )
        )
        self.grpc_port = self.grpc_server.add_insecure_port("127.0.0.1:0")
        self.grpc_server.start()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(self.state))
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.http.server_address[1]}"

    def clients(self, assets: bool = True) -> GcpClients:
        """The source's clients, the real library classes, aimed at this fake."""
        channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        rest = {
            "transport": "rest",
            "credentials": AnonymousCredentials(),
            "client_options": ClientOptions(api_endpoint=self.endpoint),
        }
        return GcpClients(
            iam=iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel)),
            projects=resourcemanager_v3.ProjectsClient(**rest),
            organizations=resourcemanager_v3.OrganizationsClient(**rest),
            folders=resourcemanager_v3.FoldersClient(**rest),
            assets=asset_v1.AssetServiceClient(transport=AssetServiceGrpcTransport(channel=channel))
            if assets
            else None,
            session=AuthorizedSession(AnonymousCredentials()),
            rest_base=self.endpoint,
        )

    def stop(self) -> None:
        self.grpc_server.stop(None)
        self.http.shutdown()
        self.http.server_close()
