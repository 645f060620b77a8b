"""A local Microsoft Graph and Azure Resource Manager for the Azure source tests, over HTTPS (azure-core
sends bearer tokens over TLS only) with a certificate made at test time.

It answers the endpoints the source uses with the documented shapes: ``value`` lists paged through
``@odata.nextLink`` (Graph) and ``nextLink`` (ARM), also inside ``$batch`` responses, ``$batch`` with
per-request status, 429 with Retry-After (also inside a batch), 403 with an error body (the licence
error where a tenant lacks Entra ID P1/P2), Resource Graph queries over many subscriptions with
its throttling headers, and ``directoryObjects/getByIds``. Role assignment and definition lists
honour ``$filter`` as the Authorization reference documents it (Role Assignments - List For Scope:
no filter lists assignments at, above and below the scope, ``atScope()`` those at or above it;
Role Definitions - List: no filter lists those applicable at the scope and above,
``atScopeAndBelow()`` those below it too) and refuse any other filter with ARM's 400
UnsupportedQuery. Tokens must be for the cloud's audience: a Graph token on an ARM path, or a
public-cloud token in a national cloud, is refused, as the real services do. It is also the Entra
authority (OpenID configuration and the token endpoint), so azure-identity's real credentials can
sign in against it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from scanner.sources.azure.clouds import CLOUDS, AzureCloud

_RELATED = re.compile(
    r"^/(applications|servicePrincipals)/[^/]+/(owners|federatedIdentityCredentials|appRoleAssignments)$"
    r"|^/groups/[^/]+/transitiveMembers/microsoft\.graph\.servicePrincipal$"
)


DENIED = {"code": "Authorization_RequestDenied", "message": "Insufficient privileges to complete the operation."}
# ARM's 400 UnsupportedQuery for a role-assignment filter it does not support, as quoted in
# Azure/azure-rest-api-specs#28255 and turbot/steampipe-plugin-azure (table_azure_role_assignment.go);
# a role-definition list's answer is given the same shape, with the first sentence only
UNSUPPORTED_FILTER = "The filter '{}' is not supported."
SUPPORTED_ASSIGNMENT_FILTERS = (
    " Supported filters are either 'atScope()' or 'principalId eq '{value}' or assignedTo('{value}')'."
)
_AUTHORIZATION = re.compile(
    r"^(?P<scope>/.*)/providers/Microsoft\.Authorization/(?P<kind>roleAssignments|roleDefinitions)$", re.IGNORECASE
)
_MANAGEMENT_GROUP = "/providers/microsoft.management/managementgroups/"
LICENCE_ERROR = {  # as Graph answers a report the tenant's licence does not include
    "code": "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
    "message": "Neither tenant is B2C or tenant doesn't have premium license",
}


class FakeCredential:
    """A TokenCredential whose token names the scope it was asked for."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken(f"token:{scopes[0]}", int(dt.datetime.now().timestamp()) + 3600)


@dataclass
class AzureState:
    tenant: str = "00000000-0000-4000-8000-00000000aaaa"
    page_size: int = 100
    organization: list[dict[str, Any]] = field(default_factory=list)
    applications: list[dict[str, Any]] = field(default_factory=list)
    service_principals: list[dict[str, Any]] = field(default_factory=list)
    # "/applications/{id}/owners" and the like -> items
    related: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    directory_roles: list[dict[str, Any]] = field(default_factory=list)
    sign_ins: list[dict[str, Any]] | None = None  # None: the tenant has no licence for the report (403)
    entra_settings: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    arm: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # ARM path (no query) -> items
    delegated: list[dict[str, Any]] = field(default_factory=list)  # oauth2PermissionGrants
    resource_graph: list[dict[str, Any]] = field(default_factory=list)  # rows, each with "subscriptionId"
    deny: set[str] = field(default_factory=set)  # path prefixes answered 403
    unlicensed: set[str] = field(default_factory=set)  # path prefixes answered 403 with the licence error
    eligible_roles: list[dict[str, Any]] | None = field(default_factory=list)  # PIM; None: 400 licence error
    credential_sign_ins: list[dict[str, Any]] | None = None  # appCredentialSignInActivities; None: licence
    directory_objects: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> object (with @odata.type)
    graph_scope: str = "https://graph.microsoft.com/.default"  # the audience tokens must be for
    arm_scope: str = "https://management.azure.com/.default"
    client_secret: str = "fake-secret"  # what the token endpoint accepts
    resource_graph_quota: list[int] = field(default_factory=list)  # x-ms-user-quota-remaining per query
    throttle: Counter[str] = field(default_factory=Counter)  # path prefix -> 429s still to send
    retry_after: str = "1"  # the Retry-After of those 429s
    # path -> (status, body, content type) answered as it is, whatever the path would answer: what a
    # proxy or a gateway in front of the service sends (an HTML page, a JSON body of another shape)
    raw: dict[str, tuple[int, bytes, str]] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    sent: list[str] = field(default_factory=list)  # "METHOD /path?query" of each request, query unquoted
    batched: list[str] = field(default_factory=list)  # "/version/path" of each request inside a $batch
    refused_filters: set[str] = field(default_factory=set)  # $filter values answered 400 as unsupported
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(BaseHTTPRequestHandler):
    state: AzureState
    base: str
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._dispatch("GET", None)

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.endswith("/oauth2/v2.0/token"):
            return self._token(parse_qs(raw.decode()))
        self._dispatch("POST", json.loads(raw or b"{}"))

    def _dispatch(self, method: str, body: Any) -> None:
        url = urlsplit(self.path)
        with self.state.lock:
            self.state.requests[f"{method} {url.path}"] += 1
            self.state.sent.append(f"{method} {url.path}" + (f"?{unquote(url.query)}" if url.query else ""))
        if url.path.endswith("/v2.0/.well-known/openid-configuration"):
            return self._openid(url.path.split("/")[1])
        graph = url.path.startswith(("/v1.0", "/beta"))
        scope = self.state.graph_scope if graph else self.state.arm_scope
        if self.headers.get("Authorization") != f"Bearer token:{scope}":
            return self._send(401, {"error": {"code": "InvalidAuthenticationToken", "message": "wrong audience"}})
        if url.path in self.state.raw:
            return self._send_raw(*self.state.raw[url.path])
        if method == "POST" and url.path in ("/v1.0/$batch", "/beta/$batch"):
            version = url.path.removesuffix("/$batch")
            return self._send(200, {"responses": [self._batch_item(item, version) for item in body["requests"]]})
        if method == "POST" and url.path == "/v1.0/directoryObjects/getByIds":
            if any(url.path.startswith(prefix) for prefix in self.state.deny):
                return self._send(403, {"error": DENIED})
            objects = [self.state.directory_objects[i] for i in body["ids"] if i in self.state.directory_objects]
            wanted = {f"#microsoft.graph.{kind}" for kind in body.get("types") or []}
            return self._send(200, {"value": [o for o in objects if not wanted or o["@odata.type"] in wanted]})
        if method == "POST" and url.path == "/providers/Microsoft.ResourceGraph/resources":
            return self._resource_graph(body)
        status, payload, headers = self._answer(url.path, parse_qs(url.query), graph)
        self._send(status, payload, headers)

    def _resource_graph(self, body: dict[str, Any]) -> None:
        if any("/providers/Microsoft.ResourceGraph".startswith(prefix) for prefix in self.state.deny):
            return self._send(403, {"error": {"code": "AuthorizationFailed", "message": "denied"}})
        with self.state.lock:
            quota = self.state.resource_graph_quota.pop(0) if self.state.resource_graph_quota else 14
        if quota < 0:
            headers = {"Retry-After": "1", "x-ms-user-quota-remaining": "0", "x-ms-user-quota-resets-after": "00:00:01"}
            return self._send(429, {"error": {"code": "RateLimiting", "message": "throttled"}}, headers)
        rows = [r for r in self.state.resource_graph if r["subscriptionId"] in body["subscriptions"]]
        page, skip = rows[: self.state.page_size], int((body.get("options") or {}).get("$skipToken") or 0)
        page = rows[skip : skip + self.state.page_size]
        payload: dict[str, Any] = {"data": page, "count": len(page), "totalRecords": len(rows)}
        if skip + self.state.page_size < len(rows):
            payload["$skipToken"] = str(skip + self.state.page_size)
        headers = {"x-ms-user-quota-remaining": str(quota), "x-ms-user-quota-resets-after": "00:00:01"}
        self._send(200, payload, headers)

    def _openid(self, tenant: str) -> None:
        base = f"{self.base}/{tenant}"
        self._send(200, {"token_endpoint": f"{base}/oauth2/v2.0/token", "issuer": f"{base}/v2.0",
                         "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                         "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt"],
                         "response_types_supported": ["code", "id_token", "token"]})  # fmt: skip

    def _token(self, form: dict[str, list[str]]) -> None:
        with self.state.lock:
            self.state.requests["POST /oauth2/v2.0/token"] += 1
        if (form.get("client_secret") or [""])[0] != self.state.client_secret:
            return self._send(401, {"error": "invalid_client", "error_codes": [7000215],
                                    "error_description": "AADSTS7000215: Invalid client secret provided."})  # fmt: skip
        scope = (form.get("scope") or [""])[0]
        self._send(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599,
                         "access_token": f"token:{scope}"})  # fmt: skip

    def _batch_item(self, item: dict[str, Any], version: str = "/v1.0") -> dict[str, Any]:
        url = urlsplit(item["url"])
        with self.state.lock:
            self.state.batched.append(version + url.path)
        query = parse_qs(url.query)
        advanced = (item.get("headers") or {}).get("ConsistencyLevel") == "eventual" and query.get("$count") == ["true"]
        if "/microsoft.graph." in url.path and not advanced:
            # as Graph does: an OData cast without the advanced-query header and $count=true is an empty 200
            return {"id": item["id"], "status": 200, "headers": {}, "body": {"value": []}}
        if version + url.path in self.state.raw:
            status, raw, _ = self.state.raw[version + url.path]
            return {"id": item["id"], "status": status, "headers": {}, "body": json.loads(raw)}
        status, payload, headers = self._answer(version + url.path, query, True)
        if version == "/v1.0" and url.path.endswith("/federatedIdentityCredentials") and status == 200:
            # v1.0's federatedIdentityCredential has no claimsMatchingExpression: beta's answer alone holds it
            payload = {**payload, "value": [_without_expression(fic) for fic in payload["value"]]}
        return {"id": item["id"], "status": status, "headers": headers, "body": payload}

    def _answer(self, path: str, query: dict[str, list[str]], graph: bool) -> tuple[int, Any, dict[str, str]]:
        state = self.state
        with state.lock:
            for prefix in list(state.throttle):
                if path.startswith(prefix) and state.throttle[prefix] > 0:
                    state.throttle[prefix] -= 1
                    throttled = {"error": {"code": "TooManyRequests", "message": "throttled"}}
                    return 429, throttled, {"Retry-After": state.retry_after}
        if any(path.startswith(prefix) for prefix in state.deny):
            error = "Authorization_RequestDenied" if graph else "AuthorizationFailed"
            return 403, {"error": {"code": error, "message": "Insufficient privileges to complete the operation."}}, {}
        if any(path.startswith(prefix) for prefix in state.unlicensed) or (
            (path == "/beta/reports/appCredentialSignInActivities" and state.credential_sign_ins is None)
            or (path == "/beta/reports/servicePrincipalSignInActivities" and state.sign_ins is None)
        ):
            return 403, {"error": LICENCE_ERROR}, {}
        if path == "/v1.0/roleManagement/directory/roleEligibilitySchedules" and state.eligible_roles is None:
            return 400, {"error": {"code": "AadPremiumLicenseRequired",
                                   "message": "The tenant needs an AAD Premium 2 license."}}, {}  # fmt: skip
        items = self._items(path)
        if items is None:
            return 404, {"error": {"code": "Request_ResourceNotFound", "message": f"{path} not found"}}, {}
        authorization = _AUTHORIZATION.match(path)
        if authorization:
            kind, scope = authorization.group("kind").lower(), authorization.group("scope")
            filters = query.get("$filter")
            wanted = filters[0] if filters else None
            items = _role_filter(kind, scope, wanted, items, state.refused_filters)
            if items is None:
                supported = SUPPORTED_ASSIGNMENT_FILTERS if kind == "roleassignments" else ""
                message = UNSUPPORTED_FILTER.format(wanted) + supported
                return 400, {"error": {"code": "UnsupportedQuery", "message": message}}, {}
        skip = int((query.get("$skiptoken") or ["0"])[0])
        page = items[skip : skip + state.page_size]
        payload: dict[str, Any] = {"value": page}
        if skip + state.page_size < len(items):
            rest = "&".join(f"{k}={v[0]}" for k, v in query.items() if k != "$skiptoken")
            link = f"{self.base}{path}?{rest}&$skiptoken={skip + state.page_size}"
            payload["@odata.nextLink" if graph else "nextLink"] = link
        return 200, payload, {}

    def _items(self, path: str) -> list[dict[str, Any]] | None:
        state = self.state
        fixed = {
            "/v1.0/organization": state.organization,
            "/v1.0/applications": state.applications,
            "/v1.0/servicePrincipals": state.service_principals,
            "/v1.0/roleManagement/directory/roleAssignments": state.directory_roles,
            "/v1.0/oauth2PermissionGrants": state.delegated,
            "/beta/reports/servicePrincipalSignInActivities": state.sign_ins,
            "/beta/reports/appCredentialSignInActivities": state.credential_sign_ins,
            "/v1.0/roleManagement/directory/roleEligibilitySchedules": state.eligible_roles,
            "/providers/microsoft.aadiam/diagnosticSettings": state.entra_settings,
            "/subscriptions": state.subscriptions,
        }
        if path in fixed:
            found = fixed[path]
            return found if found is not None else None
        relative = re.sub(r"^/(?:v1\.0|beta)", "", path)
        if relative in state.related:
            return state.related[relative]
        if _RELATED.match(relative):
            return []
        return state.arm.get(path, [] if path.startswith("/subscriptions/") else None)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._send_raw(status, json.dumps(payload).encode(), "application/json", headers)

    def _send_raw(self, status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


def _without_expression(credential: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in credential.items() if key != "claimsMatchingExpression"}


def _at_or_above(scope: str, target: str) -> bool:
    """Whether ``scope`` is ``target`` or one of its ancestors (a management group is above every
    subscription of the fake's one-hierarchy tenant)."""
    scope, target = scope.lower().rstrip("/"), target.lower().rstrip("/")
    return scope in ("", target) or target.startswith(scope + "/") or scope.startswith(_MANAGEMENT_GROUP)


def _role_filter(
    kind: str, scope: str, wanted: str | None, items: list[dict[str, Any]], refused: set[str]
) -> list[dict[str, Any]] | None:
    """The items a role-assignment or role-definition list at ``scope`` returns for this $filter;
    None for a filter the service refuses (400)."""
    if wanted is not None and wanted in refused:
        return None
    if kind == "roleassignments":
        principal = re.fullmatch(r"(?:principalId eq '([^']+)'|assignedTo\('([^']+)'\))", wanted or "")
        if wanted is None:  # at, above and below the scope
            return items
        if wanted == "atScope()":
            return [a for a in items if _at_or_above(str((a.get("properties") or {}).get("scope")), scope)]
        if principal:
            # assignedTo would add the principal's groups' assignments; the fake knows no memberships
            who = principal.group(1) or principal.group(2)
            return [a for a in items if (a.get("properties") or {}).get("principalId") == who]
        return None
    if wanted == "atScopeAndBelow()":
        return items
    if wanted is None:  # applicable at the scope and above: assignable there or higher
        assignable = [((d.get("properties") or {}).get("assignableScopes") or ["/"], d) for d in items]
        return [d for scopes, d in assignable if any(_at_or_above(str(s), scope) for s in scopes)]
    return None


def _certificate(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))  # fmt: skip
    return cert_path, key_path


class FakeAzure:
    def __init__(self, directory: Path) -> None:
        self.state = AzureState()
        self.cert, key = _certificate(directory)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, key)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.endpoint = f"https://127.0.0.1:{self.server.server_address[1]}"
        self.server.RequestHandlerClass = type("Handler", (_Handler,), {"state": self.state, "base": self.endpoint})
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.server.shutdown()


def fake_cloud(fake: FakeAzure, name: str = "public") -> AzureCloud:
    """The named cloud's audiences, served by the fake (as NHISCAN_*_ENDPOINT would point them)."""
    host = fake.endpoint.removeprefix("https://")
    return replace(CLOUDS[name], graph=fake.endpoint, arm=fake.endpoint, authority=host)
