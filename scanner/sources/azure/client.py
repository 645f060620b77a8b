"""Typed REST calls to Microsoft Graph and Azure Resource Manager over azure-core's pipeline.

A few REST calls with ``$select``, ``$top``, paging and ``$batch`` do the whole job, where
msgraph-sdk would add about 420 MB of generated async code. azure-core gives the parts that matter:
bearer tokens from any azure-identity credential, retries that honour ``Retry-After`` (429 and
5xx), and transport. A refused call (403, 404) is recorded as a gap naming the call; the caller
gets None and the scan goes on.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.rest import HttpRequest

from scanner.model import SourceError

GRAPH = os.environ.get("NHISCAN_GRAPH_ENDPOINT", "https://graph.microsoft.com")
ARM = os.environ.get("NHISCAN_ARM_ENDPOINT", "https://management.azure.com")
GRAPH_SCOPE = "https://graph.microsoft.com/.default"
ARM_SCOPE = "https://management.azure.com/.default"
BATCH_SIZE = 20  # Graph's limit per $batch request
BATCH_WORKERS = 8


class AzureCalls:
    def __init__(self, credential: TokenCredential, graph: str | None = None, arm: str | None = None) -> None:
        self.graph_endpoint = (graph or os.environ.get("NHISCAN_GRAPH_ENDPOINT") or GRAPH).rstrip("/")
        self.arm_endpoint = (arm or os.environ.get("NHISCAN_ARM_ENDPOINT") or ARM).rstrip("/")
        self._graph = self._client(credential, self.graph_endpoint, GRAPH_SCOPE)
        self._arm = self._client(credential, self.arm_endpoint, ARM_SCOPE)
        self.errors: dict[str, list[SourceError]] = {}  # account (tenant or subscription) -> refused calls
        self._lock = threading.Lock()

    @staticmethod
    def _client(credential: TokenCredential, endpoint: str, scope: str) -> PipelineClient:
        policies = [
            HeadersPolicy({"Accept": "application/json", "ConsistencyLevel": "eventual"}),
            UserAgentPolicy(base_user_agent="nhiscan"),
            RetryPolicy(retry_total=6, retry_backoff_factor=0.5, retry_backoff_max=30),
            BearerTokenCredentialPolicy(credential, scope),
        ]
        return PipelineClient(base_url=endpoint, policies=policies)

    def _send(
        self, client: PipelineClient, request: HttpRequest, call: str, account: str, optional: bool = False
    ) -> Any | None:
        try:
            response = client.send_request(request)
        except AzureError as error:
            self._gap(call, account, str(error).splitlines()[0][:300], "unreachable")
            return None
        if response.status_code >= 400:
            if not optional:
                self._gap(call, account, _error_message(response.text()), str(response.status_code))
            return None
        return response.json() if response.text() else {}

    def _gap(self, call: str, account: str, message: str, code: str) -> None:
        with self._lock:
            self.errors.setdefault(account, []).append(SourceError(call=call, message=message, code=code))

    def graph_list(
        self, path: str, call: str, account: str = "", optional: bool = False
    ) -> list[dict[str, Any]] | None:
        """Every item of a Graph collection, following ``@odata.nextLink``. An ``optional`` list that
        is refused (a report the tenant's licence lacks) is None without being a gap."""
        return self._list(self._graph, f"{self.graph_endpoint}{path}", "@odata.nextLink", call, account, optional)

    def arm_list(self, path: str, call: str, account: str = "") -> list[dict[str, Any]] | None:
        """Every item of an ARM collection, following ``nextLink``."""
        return self._list(self._arm, f"{self.arm_endpoint}{path}", "nextLink", call, account)

    def _list(
        self, client: PipelineClient, url: str, next_key: str, call: str, account: str, optional: bool = False
    ) -> list[Any] | None:
        items: list[Any] = []
        next_url: str | None = url
        while next_url:
            page = self._send(client, HttpRequest("GET", next_url), call, account, optional)
            if page is None:
                return None
            items.extend(page.get("value") or [])
            next_url = page.get(next_key)
        return items

    def arm_query(self, path: str, body: dict[str, Any], call: str, account: str = "") -> list[dict[str, Any]] | None:
        """Every row of an Azure Resource Graph query, following ``$skipToken``."""
        rows: list[dict[str, Any]] = []
        request_body = dict(body)
        while True:
            request = HttpRequest("POST", f"{self.arm_endpoint}{path}", json=request_body)
            page = self._send(self._arm, request, call, account)
            if page is None:
                return None
            data = page.get("data")
            rows.extend(data if isinstance(data, list) else [])
            token = page.get("$skipToken")
            if not token:
                return rows
            request_body = {**body, "options": {"$skipToken": token}}

    def graph_batch(self, paths: list[str], call: str, account: str = "") -> dict[str, list[Any] | None]:
        """GET many Graph paths in ``$batch`` requests of 20, BATCH_WORKERS at a time; each path's
        items (None where refused). A request throttled inside a batch (429) is sent again after
        its Retry-After."""
        results: dict[str, list[Any] | None] = {}
        pending = list(paths)
        for attempt in range(4):
            may_retry = attempt < 3
            with ThreadPoolExecutor(max_workers=BATCH_WORKERS) as pool:
                chunks = list(_chunks(pending, BATCH_SIZE))
                outcomes = list(pool.map(self._batch, chunks, [call] * len(chunks), [account] * len(chunks),
                                         [may_retry] * len(chunks)))  # fmt: skip
            throttled = [path for done, retry, _ in outcomes for path in retry]
            for done, _, _ in outcomes:
                results.update(done)
            if not throttled:
                break
            time.sleep(min(max(wait for _, _, wait in outcomes), 30))
            pending = throttled
        return results

    def _batch(
        self, chunk: list[str], call: str, account: str, may_retry: bool
    ) -> tuple[dict[str, list[Any] | None], list[str], float]:
        body = {"requests": [{"id": str(n), "method": "GET", "url": path} for n, path in enumerate(chunk)]}
        request = HttpRequest("POST", f"{self.graph_endpoint}/v1.0/$batch", json=body)
        answer = self._send(self._graph, request, f"{call} ($batch)", account)
        if answer is None:
            return dict.fromkeys(chunk), [], 0.0
        done: dict[str, list[Any] | None] = {}
        throttled: list[str] = []
        wait = 0.0
        for response in answer.get("responses") or []:
            path, status = chunk[int(response["id"])], int(response.get("status", 500))
            if status == 429 and may_retry:
                throttled.append(path)
                wait = max(wait, float((response.get("headers") or {}).get("Retry-After", 1)))
            elif status >= 400:
                self._gap(call, account, _error_message(json.dumps(response.get("body") or {})), str(status))
                done[path] = None
            else:
                done[path] = (response.get("body") or {}).get("value") or []
        return done, throttled, wait


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _error_message(text: str) -> str:
    try:
        error = json.loads(text).get("error") or {}
    except (ValueError, AttributeError):
        return text[:300]
    return f"{error.get('code', '')}: {error.get('message', '')}".strip(": ")[:300]
