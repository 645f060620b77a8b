"""The fake's REST side: Resource Manager v3 (projects, nested folders, organisations and their
getIamPolicy), IAM's service account keys, API keys, workload identity pools and providers, Policy
Analyzer at project, folder or organisation scope, and Vertex AI reasoning engines, with Google's
page-size limits and error bodies (``error.details`` holding a ``google.rpc.ErrorInfo``)."""

from __future__ import annotations

import json
import re
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .gcp_fake import GcpState, refusal

# (path pattern, default page size, maximum page size) for the REST lists
_LIMITS = (
    (r"/keys$", 50, 300),
    (r"/workloadIdentityPools$", 50, 1000),
    (r"/providers$", 50, 100),
    (r"/reasoningEngines$", 50, 100),
    (r"activities:query$", 10, 1000),
    (r"^/v3/(projects|folders)$", 50, 1000),
    (r"/memberships$", 50, 500),  # the FULL view's; BASIC's are 200 and 1,000
)
_SERVICES = (
    ("/v1/groups", "cloudidentity.googleapis.com"),
    ("/v3/", "cloudresourcemanager.googleapis.com"),
    ("/v2/", "apikeys.googleapis.com"),
    ("activityTypes", "policyanalyzer.googleapis.com"),
    ("reasoningEngines", "aiplatform.googleapis.com"),
    ("/v1/", "iam.googleapis.com"),
)
_ACCOUNT_KEYS = re.compile(r"^/v1/projects/[^/]+/serviceAccounts/([^/]+)/keys$")
# the list field of each REST list response, as the references name it
_LIST_KEYS = (
    (r"activities:query$", "activities"),
    (r"/keys$", "keys"),
    (r"/providers$", "workloadIdentityPoolProviders"),
    (r"/workloadIdentityPools$", "workloadIdentityPools"),
    (r"/reasoningEngines$", "reasoningEngines"),
    (r"/memberships$", "memberships"),
    (r"", "items"),
)
_GENERIC = re.compile(r"/(projects|folders|organizations)/[^/:]+")
_GENERIC_NAME = r"/\1/X"
_MEMBERSHIPS = re.compile(r"^/v1/groups/([^/]+)/memberships$")
_ACTIVITY = re.compile(
    r"^/v1/((?:projects|folders|organizations)/[^/]+)/locations/global/activityTypes/(\w+)/activities:query$"
)


def handler_for(state: GcpState) -> type[BaseHTTPRequestHandler]:
    return type("Rest", (_Rest,), {"state": state})


class _Rest(BaseHTTPRequestHandler):
    state: GcpState
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer({})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer({} if self.path == "/token" else json.loads(body or b"{}"))

    def _answer(self, body: dict[str, Any]) -> None:
        url = urlsplit(self.path)
        path, query = url.path, parse_qs(url.query)
        with self.state.lock:
            self.state.requests[self.command + " " + _GENERIC.sub(_GENERIC_NAME, path)] += 1
        if path == "/token":  # Google's OAuth token endpoint refusing a revoked or expired refresh token
            return self._json(
                {"error": "invalid_grant", "error_description": "Token has been expired or revoked."}, 400
            )
        service = next(name for prefix, name in _SERVICES if prefix in path)
        refused = refusal(self.state, path, service)
        if refused:
            status, name, message, info = refused
            return self._json(
                {"error": {"code": status, "message": message, "status": name, "details": [info] if info else []}},
                status,
            )
        version = int((body.get("options") or {}).get("requestedPolicyVersion") or 0)
        node = re.match(r"^/v3/((?:organizations|folders|projects)/[^/:]+)(:getIamPolicy)?$", path)
        if node:
            return self._node(node.group(1), bool(node.group(2)), version)
        if path in ("/v3/projects", "/v3/folders"):
            return self._children(path, query)
        if path == "/v1/groups:lookup":
            return self._lookup(query.get("groupKey.id", [""])[0])
        activity = _ACTIVITY.match(path)
        items = self._activities(activity.group(1), activity.group(2)) if activity else self.state.rest.get(path, [])
        keys = _ACCOUNT_KEYS.match(path)
        if keys:  # IAM's keys.list, as the REST reference shapes ServiceAccountKey
            items = self.state.keys.get(keys.group(1), [])
        members = _MEMBERSHIPS.match(path)
        if members:
            items = self._memberships(members.group(1), query.get("view", ["BASIC"])[0])
        default, maximum = next(((d, m) for pattern, d, m in _LIMITS if re.search(pattern, path)), (50, 1000))
        asked = int(query.get("pageSize", ["0"])[0])
        try:
            page, token = self.state.page(items, query.get("pageToken", [""])[0], asked, default, maximum)
        except ValueError as error:
            return self._json({"error": {"code": 400, "status": "INVALID_ARGUMENT", "message": str(error)}}, 400)
        key = next(name for pattern, name in _LIST_KEYS if re.search(pattern, path))
        return self._json({key: page, **({"nextPageToken": token} if token else {})})

    def _node(self, node: str, policy: bool, version: int) -> None:
        kind, name = node.split("/")
        if kind == "projects":
            project = self.state.projects.get(name)
            if project is None:
                return self._missing()
            if policy:
                return self._json(self.state.policy(project.get("policy") or {}, version))
            return self._json(self._project(name))
        if kind == "folders" and node not in self.state.folders:
            return self._missing()
        if policy:
            return self._json(self.state.policy(self.state.parents.get(node) or {}, version))
        folder = self.state.folders.get(node, {})
        return self._json(
            {
                "name": node,
                "parent": folder.get("parent", self.state.organization),
                "displayName": folder.get("displayName", name),
                "state": "ACTIVE",
            }
        )

    def _project(self, project: str) -> dict[str, Any]:
        settings = self.state.projects[project]
        return {
            "name": f"projects/{self.state.number(project)}",
            "projectId": project,
            "displayName": settings.get("displayName", project),
            "state": "ACTIVE",
            "parent": settings.get("parent") or self.state.organization,
            "labels": settings.get("labels", {}),
        }

    def _children(self, path: str, query: dict[str, list[str]]) -> None:
        parent = query.get("parent", [""])[0]
        if path == "/v3/projects":
            items = [
                self._project(p)
                for p, v in self.state.projects.items()
                if (v.get("parent") or self.state.organization) == parent
            ]
        else:
            items = [
                {"name": f, "parent": v.get("parent"), "displayName": v.get("displayName", f), "state": "ACTIVE"}
                for f, v in self.state.folders.items()
                if v.get("parent") == parent
            ]
        asked = int(query.get("pageSize", ["0"])[0])
        page, token = self.state.page(items, query.get("pageToken", [""])[0], asked, 50, 1000)
        self._json({path.rsplit("/", 1)[-1]: page, **({"nextPageToken": token} if token else {})})

    def _lookup(self, email: str) -> None:
        group = self.state.groups.get(email.lower())
        if group is None:  # Cloud Identity answers a group that does not exist as one the caller may not see
            message = "Error(2028): Permission denied for resource groups (or it may not exist)."
            info = {"@type": "type.googleapis.com/google.rpc.ResourceInfo", "description": message,
                    "owner": "domain:cloudidentity.googleapis.com",
                    "resourceType": "cloudidentity.googleapis.com/Group"}  # fmt: skip
            return self._json({"error": {"code": 403, "status": "PERMISSION_DENIED", "message": message,
                                         "details": [info]}}, 403)  # fmt: skip
        return self._json({"name": f"groups/{group['id']}"})

    def _memberships(self, group_id: str, view: str) -> list[dict[str, Any]]:
        group = next((g for g in self.state.groups.values() if g["id"] == group_id), None)
        found = []
        for number, (member, kind) in enumerate((group or {}).get("members", [])):
            membership: dict[str, Any] = {
                "name": f"groups/{group_id}/memberships/{100000 + number}",
                "memberKey": {"id": member},  # the legacy field a recorded answer still holds
                "preferredMemberKey": {"id": member},
                "roles": [{"name": "MEMBER"}],
            }
            if view == "FULL":
                membership |= {"type": kind, "createTime": "2024-03-01T09:00:00.000Z",
                               "updateTime": "2024-03-01T09:00:00.000Z"}  # fmt: skip
            found.append(membership)
        return found

    def _activities(self, scope: str, kind: str) -> list[dict[str, Any]]:
        if scope.startswith("projects/"):
            return self.state.activities.get(scope.split("/")[1], {}).get(kind, [])
        below = [p for p in self.state.projects if scope in self.state.ancestors(f"projects/{p}")]
        return [a for p in below for a in self.state.activities.get(p, {}).get(kind, [])]

    def _missing(self) -> None:
        # Resource Manager answers a project the caller cannot see, or that does not exist, alike
        self._json(
            {
                "error": {
                    "code": 403,
                    "status": "PERMISSION_DENIED",
                    "message": "The caller does not have permission",
                    "details": [],
                }
            },
            403,
        )

    def _json(self, body: Any, status: int = 200) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
