"""Faults of Google's APIs that no refusal test shows: a call still throttled or unanswered after
the retry budget, a REST answer that is no JSON (a proxy's HTML page), a Retry-After given as a
date, a server that repeats a page token. Each is a named gap of its call, in bounded time; none
stops the scan or loops for ever."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from google.auth.credentials import AnonymousCredentials
from google.auth.transport.requests import AuthorizedSession

from scanner.sources.gcp import projects
from scanner.sources.gcp.clients import RETRY, GcpClients

from .gcp_estate import ORG, PROD
from .test_gcp_source import fake_gcp, scan  # noqa: F401  (fixture)

Answer = tuple[int, dict[str, str], bytes]


@pytest.fixture
def rest_server() -> Iterator[Callable[[Callable[[str, int], Answer]], GcpClients]]:
    """A local HTTP server answering each GET with ``answer(path, nth request)``, and clients aimed at it."""
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Callable[[str, int], Answer]) -> GcpClients:
        count = [0]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                count[0] += 1
                status, headers, body = answer(self.path, count[0])
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        base = f"http://127.0.0.1:{server.server_address[1]}"
        return GcpClients(iam=None, projects=None, session=AuthorizedSession(AnonymousCredentials()), rest_base=base)

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_html_page_answered_with_200_is_a_gap_not_a_crash(rest_server) -> None:
    page = b"<html><body>Sign in to continue</body></html>"
    clients = rest_server(lambda path, n: (200, {"Content-Type": "text/html"}, page))
    assert clients.rest_get("p1", "apikeys:keys.list", "apikeys", "/v2/projects/p1/locations/global/keys") is None
    (gap,) = clients.errors["p1"]
    assert (gap.call, gap.code) == ("apikeys:keys.list", "malformed")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"error": "invalid_request", "error_description": "Invalid Credentials"}',
         "HTTP 400: invalid_request (Invalid Credentials)"),
        (b'[{"error": {"code": 400}}]', 'HTTP 400: [{"error": {"code": 400}}]'),
    ],
    ids=["OAuth's error", "a list"],
)  # fmt: skip
def test_an_error_answer_of_another_shape_is_a_gap_not_a_crash(rest_server, body: bytes, message: str) -> None:
    """An error whose "error" is a string (OAuth's shape, which Google's front ends send for a
    token they refuse) or whose body is a list stopped the whole scan with an internal error."""
    clients = rest_server(lambda path, n: (400, {"Content-Type": "application/json"}, body))
    assert clients.rest_get("p1", "apikeys:keys.list", "apikeys", "/v2/projects/p1/locations/global/keys") is None
    (gap,) = clients.errors["p1"]
    assert (gap.code, gap.message) == ("400", message)


@pytest.mark.parametrize("status", [502, 504])
def test_a_bad_gateway_or_a_gateway_timeout_is_asked_again(rest_server, status: int) -> None:
    def answer(path: str, n: int) -> Answer:
        if n == 1:
            return status, {"Content-Type": "text/html"}, b"<html><body>Bad Gateway</body></html>"
        return 200, {"Content-Type": "application/json"}, json.dumps({"keys": [{"name": "k"}]}).encode()

    clients = rest_server(answer)
    assert clients.rest_get("p1", "apikeys:keys.list", "apikeys", "/v2/projects/p1/locations/global/keys") == [
        {"name": "k"}
    ]
    assert not clients.errors


def test_a_server_repeating_a_page_token_is_a_gap_not_an_endless_read(rest_server) -> None:
    body = json.dumps({"keys": [{"name": "k"}], "nextPageToken": "again"}).encode()
    clients = rest_server(lambda path, n: (200, {"Content-Type": "application/json"}, body))
    started = time.monotonic()
    assert clients.rest_get("p1", "apikeys:keys.list", "apikeys", "/v2/projects/p1/locations/global/keys") is None
    assert time.monotonic() - started < 5
    assert [gap.code for gap in clients.errors["p1"]] == ["pagination"]


@pytest.mark.parametrize("given", ["date", "nan"])
def test_a_retry_after_given_as_a_date_or_not_a_number_is_waited_for(rest_server, given: str) -> None:
    soon = format_datetime(datetime.now(UTC) + timedelta(seconds=1), usegmt=True) if given == "date" else given

    def answer(path: str, n: int) -> Answer:
        if n == 1:
            return 429, {"Retry-After": soon, "Content-Type": "application/json"}, b'{"error": {"code": 429}}'
        return 200, {"Content-Type": "application/json"}, json.dumps({"keys": [{"name": "k"}]}).encode()

    clients = rest_server(answer)
    assert clients.rest_get("p1", "apikeys:keys.list", "apikeys", "/v2/projects/p1/locations/global/keys") == [
        {"name": "k"}
    ]
    assert not clients.errors


def test_a_call_still_throttled_after_the_retry_budget_is_a_gap_of_its_project(
    fake_gcp,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """google-api-core gives up with a RetryError, which is no GoogleAPICallError: it stopped the
    whole scan (exit 4)."""
    monkeypatch.setattr(projects, "RETRY", RETRY.with_timeout(2.0))
    fake_gcp.state.exhausted["ListServiceAccounts"] = 10**6
    inventory, _ = scan(fake_gcp, assets=False, projects=(PROD,))
    (status,) = [s for s in inventory.sources if s.account == PROD]
    assert status.status == "partial"
    assert ("iam:serviceAccounts.list", "retry_exhausted") in {(error.call, error.code) for error in status.errors}
    (project,) = [a for a in inventory.accounts if a.uid == PROD]
    assert "identities" in project.unknown, "its service accounts were never listed"


def test_a_project_policy_the_asset_index_has_not_caught_up_with_is_read_from_the_project(
    fake_gcp,  # noqa: F811
    catalogs,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Cloud Asset Inventory lags behind changes ("a volatile window", its reference says): a
    project listed as a resource whose IAM_POLICY asset was not indexed yet was taken for a project
    without bindings, and its public binding passed NHI-PRIV-015 (the whole estate read, it fails)."""
    from scanner.scan import ScanOptions, run_scan

    from .gcp_assets import AssetIndex
    from .gcp_estate import DEV, ORG

    indexed = AssetIndex._policies
    number = fake_gcp.state.number(DEV)
    monkeypatch.setattr(
        AssetIndex, "_policies", lambda self, scope: [a for a in indexed(self, scope) if not a.name.endswith(number)]
    )
    inventory = scan(fake_gcp, projects=(), parent=ORG)[0]
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    (status,) = [f.status for f in result.findings if (f.control_id, f.resource.uid) == ("NHI-PRIV-015", DEV)]
    assert status == "fail", "read from the project itself"

    fake_gcp.state.cache.clear()
    fake_gcp.state.deny_matching = {rf"^/v3/projects/{DEV}:getIamPolicy$"}
    refused = scan(fake_gcp, projects=(), parent=ORG)[0]
    errors = [e.call for s in refused.sources if s.status != "complete" for e in s.errors]
    assert "cloudresourcemanager:projects.getIamPolicy" in errors, "and a gap where that is refused"


@pytest.mark.parametrize(
    ("scope", "call"),
    [
        ({"assets": False, "projects": (PROD,)}, "iam:serviceAccounts.list"),
        ({"projects": (), "parent": ORG}, "cloudasset:assets.listResource"),
    ],
)
def test_a_grpc_list_repeating_its_page_token_is_a_gap_not_an_endless_read(
    fake_gcp,  # noqa: F811
    scope: dict[str, Any],
    call: str,
) -> None:
    """google-api-core's pagers ask for the next page for as long as a token comes back: a server
    answering with the token it was asked for was read for ever (the REST lists were guarded)."""
    fake_gcp.state.page_size = 1
    fake_gcp.state.repeating_tokens = True
    started = time.monotonic()
    inventory, _ = scan(fake_gcp, **scope)
    assert time.monotonic() - started < 60
    errors = [error for status in inventory.sources for error in status.errors]
    # the asset path's gap becomes a note (the projects are then read one by one, and fail alike)
    assert any(e.call == call and "pagination" in (e.code, e.message.rsplit("(code ", 1)[-1][:-1]) for e in errors)
    assert ("iam:serviceAccounts.list", "pagination") in {(e.call, e.code) for e in errors}
    assert any(status.status == "partial" for status in inventory.sources)
