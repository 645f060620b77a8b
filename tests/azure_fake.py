"""A local Microsoft Graph and Azure Resource Manager for the Azure source tests, over HTTPS (azure-core
sends bearer tokens over TLS only) with a certificate made at test time.

It answers the endpoints the source uses with the documented shapes: ``value`` lists paged through
``@odata.nextLink`` (Graph) and ``nextLink`` (ARM), ``$batch`` with per-request status, 429 with
Retry-After, 403 with an error body. Tokens must be for the right audience: a Graph token on an ARM
path is refused, as the real services do.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import re
import ssl
import threading
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from azure.core.credentials import AccessToken
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

_RELATED = re.compile(
    r"^/(applications|servicePrincipals)/[^/]+/(owners|federatedIdentityCredentials|appRoleAssignments)$"
)


class FakeCredential:
    """A TokenCredential whose token names the audience it was asked for."""

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        audience = "graph" if "graph.microsoft.com" in scopes[0] else "arm"
        return AccessToken(f"token-{audience}", int(dt.datetime.now().timestamp()) + 3600)


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
    sign_ins: list[dict[str, Any]] | None = None  # None: the tenant has no sign-in activity report (403)
    entra_settings: list[dict[str, Any]] = field(default_factory=list)
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    arm: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # ARM path (no query) -> items
    delegated: list[dict[str, Any]] = field(default_factory=list)  # oauth2PermissionGrants
    resource_graph: list[dict[str, Any]] = field(default_factory=list)  # rows, each with "subscriptionId"
    deny: set[str] = field(default_factory=set)  # path prefixes answered 403
    throttle: Counter[str] = field(default_factory=Counter)  # path prefix -> 429s still to send
    requests: Counter[str] = field(default_factory=Counter)
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
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._dispatch("POST", json.loads(body or b"{}"))

    def _dispatch(self, method: str, body: Any) -> None:
        url = urlsplit(self.path)
        with self.state.lock:
            self.state.requests[f"{method} {url.path}"] += 1
        graph = url.path.startswith(("/v1.0", "/beta"))
        if self.headers.get("Authorization") != f"Bearer token-{'graph' if graph else 'arm'}":
            return self._send(401, {"error": {"code": "InvalidAuthenticationToken", "message": "wrong audience"}})
        if method == "POST" and url.path == "/v1.0/$batch":
            return self._send(200, {"responses": [self._batch_item(item) for item in body["requests"]]})
        if method == "POST" and url.path == "/providers/Microsoft.ResourceGraph/resources":
            if any(url.path.startswith(prefix) for prefix in self.state.deny):
                return self._send(403, {"error": {"code": "AuthorizationFailed", "message": "denied"}})
            rows = [r for r in self.state.resource_graph if r["subscriptionId"] in body["subscriptions"]]
            return self._send(200, {"data": rows, "count": len(rows), "totalRecords": len(rows)})
        status, payload, headers = self._answer(url.path, parse_qs(url.query), graph)
        self._send(status, payload, headers)

    def _batch_item(self, item: dict[str, Any]) -> dict[str, Any]:
        url = urlsplit(item["url"])
        status, payload, headers = self._answer("/v1.0" + url.path, parse_qs(url.query), True)
        return {"id": item["id"], "status": status, "headers": headers, "body": payload}

    def _answer(self, path: str, query: dict[str, list[str]], graph: bool) -> tuple[int, Any, dict[str, str]]:
        state = self.state
        with state.lock:
            for prefix in list(state.throttle):
                if path.startswith(prefix) and state.throttle[prefix] > 0:
                    state.throttle[prefix] -= 1
                    return 429, {"error": {"code": "TooManyRequests", "message": "throttled"}}, {"Retry-After": "1"}
        if any(path.startswith(prefix) for prefix in state.deny):
            error = "Authorization_RequestDenied" if graph else "AuthorizationFailed"
            return 403, {"error": {"code": error, "message": "Insufficient privileges to complete the operation."}}, {}
        items = self._items(path)
        if items is None:
            return 404, {"error": {"code": "Request_ResourceNotFound", "message": f"{path} not found"}}, {}
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
            "/providers/microsoft.aadiam/diagnosticSettings": state.entra_settings,
            "/subscriptions": state.subscriptions,
        }
        if path in fixed:
            found = fixed[path]
            return found if found is not None else None
        relative = re.sub(r"^/v1\.0", "", path)
        if relative in state.related:
            return state.related[relative]
        if _RELATED.match(relative):
            return []
        return state.arm.get(path, [] if path.startswith("/subscriptions/") else None)

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)


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
