"""The GCP clients the source uses, made once per scan.

google-cloud-iam's ``IAMClient`` (gRPC only) for service accounts and keys; Resource Manager's
``ProjectsClient`` for IAM policies and project discovery; an ``AuthorizedSession`` for the REST
APIs without a client here (API keys, workload identity pools, Policy Analyzer, Vertex AI reasoning
engines). Calls that fail with 429, 503 or a reset are retried with exponential backoff; a 403 is a
gap, and a 403 that says the API is not enabled is reported as such.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from google.api_core import exceptions as google_errors
from google.api_core import retry as google_retry

from scanner.model import SourceError

RETRYABLE = (google_errors.ResourceExhausted, google_errors.ServiceUnavailable, google_errors.DeadlineExceeded)
RETRY = google_retry.Retry(
    predicate=google_retry.if_exception_type(*RETRYABLE), initial=0.2, maximum=5.0, multiplier=2.0, timeout=60.0
)
REST_BASES = {
    "apikeys": "https://apikeys.googleapis.com",
    "iam": "https://iam.googleapis.com",
    "policyanalyzer": "https://policyanalyzer.googleapis.com",
    "aiplatform": "https://{region}-aiplatform.googleapis.com",
}


@dataclass
class GcpClients:
    iam: Any  # iam_admin_v1.IAMClient
    projects: Any  # resourcemanager_v3.ProjectsClient
    session: Any  # google.auth.transport.requests.AuthorizedSession
    rest_base: str | None = None  # one base URL for every REST API (tests, private endpoints)
    organizations: Any = None  # resourcemanager_v3.OrganizationsClient, for --gcp-parent organizations/…
    folders: Any = None  # resourcemanager_v3.FoldersClient, for --gcp-parent folders/…
    errors: dict[str, list[SourceError]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def gap(self, project: str, call: str, error: Exception | str, code: str = "") -> None:
        message = str(error).splitlines()[0][:300] if not isinstance(error, str) else error
        if "SERVICE_DISABLED" in message or "has not been used in project" in message or "is disabled" in message:
            code, message = "api_disabled", f"API not enabled: {message}"
        with self._lock:
            self.errors.setdefault(project, []).append(SourceError(call=call, message=message, code=code))

    def grpc_call(self, project: str, call: str, function: Callable[[], Any]) -> Any | None:
        try:
            return function()
        except google_errors.GoogleAPICallError as error:
            self.gap(project, call, error.message or str(error), str(error.code or ""))
            return None

    def rest_get(
        self, project: str, call: str, service: str, path: str, region: str = "", optional: bool = False
    ) -> list[Any] | None:
        """Every page of a REST list (``nextPageToken``): the items under each page's list key. An
        ``optional`` list that is refused or whose API is off is None without being a gap."""
        base = (self.rest_base or REST_BASES[service]).format(region=region)
        items: list[Any] = []
        token = ""
        while True:
            url = f"{base}{path}" + (f"{'&' if '?' in path else '?'}pageToken={token}" if token else "")
            page = self._rest_once(project, call, url, optional)
            if page is None:
                return None
            for value in page.values():
                if isinstance(value, list):
                    items.extend(value)
            token = page.get("nextPageToken") or ""
            if not token:
                return items

    def _rest_once(self, project: str, call: str, url: str, optional: bool) -> dict[str, Any] | None:
        for attempt in range(6):
            try:
                response = self.session.get(url, timeout=60)
            except OSError as error:
                if attempt == 5:
                    self.gap(project, call, error, "unreachable")
                    return None
                time.sleep(0.2 * 2**attempt)
                continue
            if response.status_code in (429, 500, 503) and attempt < 5:
                time.sleep(float(response.headers.get("Retry-After", 0.2 * 2**attempt)))
                continue
            if response.status_code >= 400:
                if not optional:
                    self.gap(project, call, _rest_error(response), str(response.status_code))
                return None
            return dict(response.json())
        return None


def _rest_error(response: Any) -> str:
    try:
        error = response.json().get("error") or {}
    except ValueError:
        return response.text[:300]
    details = " ".join(str(d.get("reason", "")) for d in error.get("details") or [] if isinstance(d, dict))
    return f"{error.get('status', '')}: {error.get('message', '')} {details}".strip()[:300]


def default_clients() -> GcpClients:
    """Clients on application-default credentials; NHISCAN_GCP_* variables point them elsewhere."""
    import google.auth
    from google.auth.transport.requests import AuthorizedSession
    from google.cloud import iam_admin_v1, resourcemanager_v3

    credentials, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    endpoint = os.environ.get("NHISCAN_GCP_IAM_ENDPOINT")
    iam_options = {"api_endpoint": endpoint} if endpoint else None
    return GcpClients(
        iam=iam_admin_v1.IAMClient(credentials=credentials, client_options=iam_options),
        projects=resourcemanager_v3.ProjectsClient(credentials=credentials),
        organizations=resourcemanager_v3.OrganizationsClient(credentials=credentials),
        folders=resourcemanager_v3.FoldersClient(credentials=credentials),
        session=AuthorizedSession(credentials),
        rest_base=os.environ.get("NHISCAN_GCP_REST_ENDPOINT"),
    )
