"""The GCP clients the source uses, made once per scan, and how their failures become gaps.

google-cloud-iam's ``IAMClient`` (gRPC only) for service accounts, keys and their IAM policies;
Resource Manager's clients for projects, folders, organisations and their IAM policies;
google-cloud-asset's ``AssetServiceClient`` for the organisation-wide bulk path; an
``AuthorizedSession`` for the REST APIs without a client here (API keys, workload identity pools,
Policy Analyzer, Vertex AI reasoning engines, Cloud Identity groups).

Every Resource Manager, IAM and asset call retries RESOURCE_EXHAUSTED, UNAVAILABLE and deadline
errors with exponential backoff; REST calls retry 429, 500 and 503. A failure that remains is a gap
naming the call. ``optional`` calls hide only an API that is not enabled: a refusal, a bad request,
exhausted quota or a server error is a gap even there.
"""

from __future__ import annotations

import contextlib
import email.utils
import math
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from google.api_core import exceptions as google_errors
from google.api_core import retry as google_retry

from scanner.model import SourceError

# REST transports raise TooManyRequests for HTTP 429 (ResourceExhausted is its gRPC subclass)
RETRYABLE = (google_errors.TooManyRequests, google_errors.ServiceUnavailable, google_errors.DeadlineExceeded)
RETRY = google_retry.Retry(
    predicate=google_retry.if_exception_type(*RETRYABLE), initial=0.2, maximum=5.0, multiplier=2.0, timeout=60.0
)
TIMEOUT = 60.0
# answers a REST call is sent again for, as Google's retry strategy lists them (429, 500, 502, 503, 504)
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
REST_BASES = {
    "apikeys": "https://apikeys.googleapis.com",
    "iam": "https://iam.googleapis.com",
    "policyanalyzer": "https://policyanalyzer.googleapis.com",
    "aiplatform": "https://{region}-aiplatform.googleapis.com",
    "cloudidentity": "https://cloudidentity.googleapis.com",
}
API_DISABLED = "api_disabled"
# The projects that own gcloud's OAuth clients: a user login without a quota project is billed to
# them, and APIs answer SERVICE_DISABLED naming one of these as the consumer.
_GCLOUD_CLIENT_PROJECTS = ("projects/764086051850", "projects/32555940559")
_QUOTA_HINT = (
    "no quota project for user credentials: run `gcloud auth application-default set-quota-project PROJECT` "
    "with a project where this API is enabled"
)


REPEATED_TOKEN = "the API gave a page token it had given before: the list was not read to its end"


class RepeatedPageToken(Exception):
    """A server answered with a page token it had given before: its pager would ask for ever."""


def pages(pager: Any) -> Iterator[Any]:
    """The pages of a google-api-core pager (``pager.pages``), stopping with RepeatedPageToken
    before asking again for a page token already followed."""
    followed: set[str] = set()
    for page in pager.pages:
        yield page
        token = page.next_page_token
        if token in followed:
            raise RepeatedPageToken
        if token:
            followed.add(token)


def every_item(pager: Any, field_name: str) -> list[Any]:
    """Every item under ``field_name`` on every page of a pager (see ``pages``)."""
    return [item for page in pages(pager) for item in getattr(page, field_name)]


@dataclass
class GcpClients:
    iam: Any  # iam_admin_v1.IAMClient
    projects: Any  # resourcemanager_v3.ProjectsClient
    session: Any  # google.auth.transport.requests.AuthorizedSession
    rest_base: str | None = None  # one base URL for every REST API (tests, private endpoints)
    organizations: Any = None  # resourcemanager_v3.OrganizationsClient
    folders: Any = None  # resourcemanager_v3.FoldersClient
    assets: Any = None  # asset_v1.AssetServiceClient, for --gcp-parent
    errors: dict[str, list[SourceError]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def gap(self, scope: str, call: str, message: str, code: str = "") -> None:
        with self._lock:
            self.errors.setdefault(scope, []).append(SourceError(call=call, message=message[:300], code=code))

    def grpc_call(self, scope: str, call: str, function: Callable[[], Any], optional: bool = False) -> Any | None:
        """``function()``, or None with a gap (none for an optional call whose API is off)."""
        try:
            return function()
        except google_errors.GoogleAPICallError as error:
            code, message = _grpc_gap(error)
            if not (optional and code == API_DISABLED):
                self.gap(scope, call, message, code)
            return None
        except google_errors.RetryError as error:  # throttled or silent past the retry budget
            cause = str(getattr(error, "cause", None) or error).splitlines()[0]
            self.gap(scope, call, f"gave up after retrying for {RETRY.timeout:.0f} s: {cause}", "retry_exhausted")
            return None
        except RepeatedPageToken:
            self.gap(scope, call, REPEATED_TOKEN, "pagination")
            return None

    def rest_get(
        self, scope: str, call: str, service: str, path: str, region: str = "", optional: bool = False
    ) -> list[Any] | None:
        """Every page of a REST list (``nextPageToken``): the items under each page's list key; None
        after a gap, or for an ``optional`` list whose API is not enabled."""
        return self.rest_list(scope, call, service, path, region, optional)[0]

    def rest_object(self, scope: str, call: str, service: str, path: str) -> dict[str, Any] | None:
        """One REST resource (not a list), or None after a gap."""
        base = (self.rest_base or REST_BASES[service]).format(region="")
        return self._rest_once(scope, call, f"{base}{path}", False)[0]

    def rest_list(
        self, scope: str, call: str, service: str, path: str, region: str = "", optional: bool = False
    ) -> tuple[list[Any] | None, str]:
        """``rest_get`` and the error code that ended it ("" when every page was read)."""
        base = (self.rest_base or REST_BASES[service]).format(region=region)
        items: list[Any] = []
        token = ""
        tokens_seen: set[str] = set()
        while True:
            joiner = "&" if "?" in path else "?"
            url = f"{base}{path}" + (f"{joiner}pageToken={quote(token, safe='')}" if token else "")
            page, code = self._rest_once(scope, call, url, optional)
            if page is None:
                return None, code
            for value in page.values():
                if isinstance(value, list):
                    items.extend(value)
            token = page.get("nextPageToken") or ""
            if not token:
                return items, ""
            if token in tokens_seen:  # a server repeating a page would be read for ever
                self.gap(scope, call, REPEATED_TOKEN, "pagination")
                return None, "pagination"
            tokens_seen.add(token)

    def _rest_once(self, scope: str, call: str, url: str, optional: bool) -> tuple[dict[str, Any] | None, str]:
        for attempt in range(6):
            try:
                response = self.session.get(url, timeout=TIMEOUT)
            except OSError as error:
                if attempt == 5:
                    self.gap(scope, call, str(error).splitlines()[0], "unreachable")
                    return None, "unreachable"
                time.sleep(0.2 * 2**attempt)
                continue
            if response.status_code in RETRIED_STATUSES and attempt < 5:
                time.sleep(_retry_after(response.headers.get("Retry-After"), attempt))
                continue
            if response.status_code >= 400:
                code, message = _rest_gap(response)
                if not (optional and code == API_DISABLED):
                    self.gap(scope, call, message, code)
                return None, code
            try:
                page = response.json()
            except ValueError:  # a proxy's or load balancer's page, not the API's answer
                page = None
            if not isinstance(page, dict):
                self.gap(scope, call, f"HTTP {response.status_code} with a body that is not a JSON object", "malformed")
                return None, "malformed"
            return page, ""
        return None, "unreachable"


def _retry_after(header: str | None, attempt: int) -> float:
    """Seconds to wait before the next attempt: the server's Retry-After (seconds, or an HTTP date),
    else exponential backoff; at most 30 s."""
    wait = 0.2 * 2**attempt
    if header:
        try:
            wait = float(header)
        except ValueError:
            with contextlib.suppress(TypeError, ValueError):
                wait = (email.utils.parsedate_to_datetime(header) - datetime.now(UTC)).total_seconds()
    return min(max(wait, 0.0), 30.0) if math.isfinite(wait) else 0.2 * 2**attempt  # "nan" sleeps no NaN


def _describe(status: str, message: str, reason: str, consumer: str) -> tuple[str, str]:
    if reason == "SERVICE_DISABLED":
        if consumer in _GCLOUD_CLIENT_PROJECTS:
            return "no_quota_project", _QUOTA_HINT
        return API_DISABLED, f"API not enabled: {message}"
    return status, f"{status}: {message}" + (f" ({reason})" if reason else "")


def _grpc_gap(error: google_errors.GoogleAPICallError) -> tuple[str, str]:
    status = getattr(error.grpc_status_code, "name", "") or str(error.code or "")
    message = str(error.message or error).splitlines()[0] if str(error.message or error) else ""
    return _describe(status, message, error.reason or "", str((error.metadata or {}).get("consumer", "")))


def _rest_gap(response: Any) -> tuple[str, str]:
    """The code and message of an error answer: Google's error object; OAuth's {"error": "invalid_grant",
    "error_description": …}, which Google's front ends send for a token they refuse; else its text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, str) and isinstance(body, dict):
        described = body.get("error_description")
        return str(response.status_code), f"HTTP {response.status_code}: {error}" + (
            f" ({str(described)[:200]})" if described else ""
        )
    if not isinstance(error, dict):
        return str(response.status_code), f"HTTP {response.status_code}: {response.text[:200]}"
    details = [d for d in error.get("details") or [] if isinstance(d, dict)]
    info = next((d for d in details if str(d.get("@type", "")).endswith("ErrorInfo")), {})
    status = str(error.get("status") or response.status_code)
    consumer = str((info.get("metadata") or {}).get("consumer", ""))
    return _describe(status, str(error.get("message", "")), str(info.get("reason", "")), consumer)


def default_clients() -> GcpClients:
    """Clients on application-default credentials, refreshed once up front so that an expired or
    revoked login is one clear line (RefreshError) before anything is read. NHISCAN_GCP_* variables
    point them elsewhere."""
    import google.auth
    from google.auth.transport.requests import AuthorizedSession, Request
    from google.cloud import iam_admin_v1, resourcemanager_v3
    from google.cloud.asset_v1 import AssetServiceClient

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    credentials.refresh(Request())
    endpoint = os.environ.get("NHISCAN_GCP_IAM_ENDPOINT")
    iam_options = {"api_endpoint": endpoint} if endpoint else None
    return GcpClients(
        iam=iam_admin_v1.IAMClient(credentials=credentials, client_options=iam_options),
        projects=resourcemanager_v3.ProjectsClient(credentials=credentials),
        organizations=resourcemanager_v3.OrganizationsClient(credentials=credentials),
        folders=resourcemanager_v3.FoldersClient(credentials=credentials),
        assets=AssetServiceClient(credentials=credentials),
        session=AuthorizedSession(credentials),
        rest_base=os.environ.get("NHISCAN_GCP_REST_ENDPOINT"),
    )
