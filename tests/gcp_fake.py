"""A local Google Cloud for the GCP source tests: a gRPC server implementing the
``google.iam.admin.v1.IAM`` methods the source calls (google-cloud-iam speaks only gRPC), and an
HTTP server for the REST APIs (Resource Manager v3, API keys, workload identity pools, Policy
Analyzer, Vertex AI reasoning engines). Both page (``next_page_token`` / ``nextPageToken``) and
answer errors as the services do: PERMISSION_DENIED, RESOURCE_EXHAUSTED, SERVICE_DISABLED."""

from __future__ import annotations

import json
import re
import threading
from collections import Counter
from concurrent import futures
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import grpc
from google.api_core.client_options import ClientOptions
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession
from google.cloud import iam_admin_v1, resourcemanager_v3
from google.cloud.iam_admin_v1.services.iam.transports import IAMGrpcTransport
from google.cloud.iam_admin_v1.types import iam as iam_types

from scanner.sources.gcp.clients import GcpClients


@dataclass
class GcpState:
    page_size: int = 100
    projects: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> {labels, parent, policy}
    accounts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # project -> REST-shaped accounts
    keys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # account email -> REST-shaped keys
    rest: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # REST path -> items (under "items")
    parents: dict[str, dict[str, Any]] = field(default_factory=dict)  # organizations/ID or folders/ID -> policy
    deny: set[str] = field(default_factory=set)  # call names or path prefixes answered PERMISSION_DENIED
    disabled: set[str] = field(default_factory=set)  # path prefixes answered SERVICE_DISABLED
    exhausted: Counter[str] = field(default_factory=Counter)  # call/path prefix -> RESOURCE_EXHAUSTED left
    requests: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take_exhausted(self, name: str) -> bool:
        with self.lock:
            for prefix, left in self.exhausted.items():
                if name.startswith(prefix) and left:
                    self.exhausted[prefix] -= 1
                    return True
        return False


class _IAM:
    def __init__(self, state: GcpState) -> None:
        self.state = state

    def _check(self, method: str, resource: str, context: grpc.ServicerContext) -> None:
        with self.state.lock:
            self.state.requests[f"grpc {method}"] += 1
        if self.state.take_exhausted(method):
            context.abort(grpc.StatusCode.RESOURCE_EXHAUSTED, "Quota exceeded for quota metric 'Read requests'")
        if method in self.state.deny or any(resource.startswith(d) for d in self.state.deny):
            context.abort(
                grpc.StatusCode.PERMISSION_DENIED, f"Permission 'iam.serviceAccounts.list' denied on {resource}"
            )

    def list_service_accounts(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._check("ListServiceAccounts", request.name, context)
        project = request.name.split("/")[1]
        accounts = self.state.accounts.get(project, [])
        start = int(request.page_token or 0)
        page = accounts[start : start + self.state.page_size]
        following = start + self.state.page_size
        return iam_types.ListServiceAccountsResponse(
            accounts=[iam_types.ServiceAccount(**_snake(a)) for a in page],
            next_page_token=str(following) if following < len(accounts) else "",
        )

    def list_service_account_keys(self, request: Any, context: grpc.ServicerContext) -> Any:
        self._check("ListServiceAccountKeys", request.name, context)
        email = request.name.rsplit("/", 1)[-1]
        return iam_types.ListServiceAccountKeysResponse(
            keys=[iam_types.ServiceAccountKey(**_snake(k)) for k in self.state.keys.get(email, [])]
        )


def _snake(item: dict[str, Any]) -> dict[str, Any]:
    fields = {"projectId": "project_id", "uniqueId": "unique_id", "displayName": "display_name",
              "oauth2ClientId": "oauth2_client_id", "validAfterTime": "valid_after_time",
              "validBeforeTime": "valid_before_time", "keyAlgorithm": "key_algorithm", "keyOrigin": "key_origin",
              "keyType": "key_type"}  # fmt: skip
    return {fields.get(k, k): v for k, v in item.items() if fields.get(k, k) in _ALLOWED}


_ALLOWED = {"name", "project_id", "unique_id", "email", "display_name", "etag", "description", "oauth2_client_id",
            "disabled", "valid_after_time", "valid_before_time", "key_algorithm", "key_origin", "key_type"}  # fmt: skip


class _Rest(BaseHTTPRequestHandler):
    state: GcpState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer("POST")

    def _answer(self, method: str) -> None:
        url = urlsplit(self.path)
        path = url.path
        with self.state.lock:
            self.state.requests[f"{method} {re.sub(r'/projects/[^/:]+', '/projects/P', path)}"] += 1
        if self.state.take_exhausted(path):
            return self._error(429, "RESOURCE_EXHAUSTED", "Quota exceeded", "RATE_LIMIT_EXCEEDED")
        if any(path.startswith(prefix) for prefix in self.state.disabled):
            return self._error(403, "PERMISSION_DENIED", "API has not been used in project or it is disabled",
                               "SERVICE_DISABLED")  # fmt: skip
        if any(path.startswith(prefix) for prefix in self.state.deny):
            return self._error(403, "PERMISSION_DENIED", "The caller does not have permission", "IAM_PERMISSION_DENIED")
        parent = re.match(r"^/v3/((?:organizations|folders)/[^/:]+):getIamPolicy$", path)
        if parent:
            return self._json(self.state.parents.get(parent.group(1), {}))
        project = re.match(r"^/v3/projects/([^/:]+)(:getIamPolicy)?$", path)
        if project:
            found = self.state.projects.get(project.group(1))
            if found is None:
                return self._error(403, "PERMISSION_DENIED", "The caller does not have permission", "")
            if project.group(2):
                return self._json(found.get("policy") or {})
            body = {"name": f"projects/{project.group(1)}", "projectId": project.group(1),
                    "displayName": project.group(1), "parent": found.get("parent", ""),
                    "labels": found.get("labels", {}), "state": "ACTIVE"}  # fmt: skip
            return self._json(body)
        if path == "/v3/projects:search":
            parent = parse_qs(url.query).get("query", [""])[0].removeprefix("parent:")
            listed = [{"name": f"projects/{p}", "projectId": p, "state": "ACTIVE", "parent": v.get("parent", "")}
                      for p, v in self.state.projects.items() if v.get("parent") == parent]  # fmt: skip
            return self._json({"projects": listed})
        items = self.state.rest.get(path)
        if items is None:
            return self._json({})
        start = int(parse_qs(url.query).get("pageToken", ["0"])[0])
        page: dict[str, Any] = {"items": items[start : start + self.state.page_size]}
        if start + self.state.page_size < len(items):
            page["nextPageToken"] = str(start + self.state.page_size)
        return self._json(page)

    def _error(self, status: int, code: str, message: str, reason: str) -> None:
        details = [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": reason}] if reason else []
        self._json({"error": {"code": status, "message": message, "status": code, "details": details}}, status)

    def _json(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class FakeGcp:
    def __init__(self) -> None:
        self.state = GcpState()
        iam = _IAM(self.state)
        handlers = {
            "ListServiceAccounts": grpc.unary_unary_rpc_method_handler(
                iam.list_service_accounts,
                request_deserializer=iam_types.ListServiceAccountsRequest.deserialize,
                response_serializer=iam_types.ListServiceAccountsResponse.serialize,
            ),
            "ListServiceAccountKeys": grpc.unary_unary_rpc_method_handler(
                iam.list_service_account_keys,
                request_deserializer=iam_types.ListServiceAccountKeysRequest.deserialize,
                response_serializer=iam_types.ListServiceAccountKeysResponse.serialize,
            ),
        }
        self.grpc_server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
        self.grpc_server.add_generic_rpc_handlers(
            (grpc.method_handlers_generic_handler("google.iam.admin.v1.IAM", handlers),)
        )
        self.grpc_port = self.grpc_server.add_insecure_port("127.0.0.1:0")
        self.grpc_server.start()
        self.http = ThreadingHTTPServer(("127.0.0.1", 0), type("Rest", (_Rest,), {"state": self.state}))
        self.http.daemon_threads = True
        threading.Thread(target=self.http.serve_forever, daemon=True).start()
        self.endpoint = f"http://127.0.0.1:{self.http.server_address[1]}"

    def clients(self) -> GcpClients:
        """The source's clients, the real library classes, aimed at this fake."""
        channel = grpc.insecure_channel(f"127.0.0.1:{self.grpc_port}")
        iam = iam_admin_v1.IAMClient(transport=IAMGrpcTransport(channel=channel))
        projects = resourcemanager_v3.ProjectsClient(
            transport="rest",
            credentials=AnonymousCredentials(),
            client_options=ClientOptions(api_endpoint=self.endpoint),
        )
        rest = {"transport": "rest", "credentials": AnonymousCredentials(),
                "client_options": ClientOptions(api_endpoint=self.endpoint)}  # fmt: skip
        return GcpClients(iam=iam, projects=projects, session=AuthorizedSession(AnonymousCredentials()),
                          rest_base=self.endpoint, organizations=resourcemanager_v3.OrganizationsClient(**rest),
                          folders=resourcemanager_v3.FoldersClient(**rest))  # fmt: skip

    def stop(self) -> None:
        self.grpc_server.stop(None)
        self.http.shutdown()
