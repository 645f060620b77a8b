"""Typed REST calls to Microsoft Graph and Azure Resource Manager over azure-core's pipeline.

A few REST calls with ``$select``, ``$top``, paging and ``$batch`` do the whole job, where
msgraph-sdk would add about 420 MB of generated async code. azure-core gives the parts that matter:
bearer tokens from any azure-identity credential for the cloud's audiences, retries that honour
``Retry-After`` (429 and 5xx, also for the read-only POSTs: ``$batch`` and Resource Graph
queries), connect and read timeouts, and transport. A refused or failed call is recorded as a gap
naming the call; the caller gets None and the scan goes on. A credential that cannot produce a
token stops the source: nothing could be read with it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from azure.core import PipelineClient
from azure.core.credentials import TokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, ServiceRequestError, ServiceResponseError
from azure.core.pipeline.policies import (
    BearerTokenCredentialPolicy,
    HeadersPolicy,
    RetryPolicy,
    UserAgentPolicy,
)
from azure.core.pipeline.transport import RequestsTransport
from azure.core.rest import HttpRequest, HttpResponse

from scanner.model import SourceError
from scanner.sources.azure.clouds import AzureCloud, resolve_cloud

BATCH_SIZE = 20  # Graph's limit per $batch request
BATCH_WORKERS = 8
# headers go with each request inside a $batch, not with the batch: advanced queries (an OData
# cast such as transitiveMembers/microsoft.graph.servicePrincipal) need ConsistencyLevel there
BATCHED_HEADERS = {"ConsistencyLevel": "eventual"}
THROTTLED_RESENDS = 4  # times one request throttled inside $batch is sent again
MAX_BATCH_ROUNDS = 1000  # rounds of $batch (pages of the longest collection), a guard against endless nextLinks
CONNECT_TIMEOUT, READ_TIMEOUT = 10, 60  # seconds, per attempt
OPERATION_TIMEOUT = 180  # seconds for one call with its retries
RETRIES = 4
READ_ONLY_POSTS = frozenset({"HEAD", "GET", "PUT", "DELETE", "OPTIONS", "TRACE", "POST"})
# 403/400 answers that mean "the tenant has no licence for this", not "you may not": only these are
# hidden by `optional` calls (sign-in activity needs Entra ID P1, PIM eligibility P2)
LICENCE_ERRORS = {"Authentication_RequestFromNonPremiumTenantOrB2CTenant", "AadPremiumLicenseRequired"}
RESOURCE_GRAPH_SUBSCRIPTIONS = 1000  # subscriptions per Resource Graph query (documented limit)
REPEATED_LINK = "the service gave a next page link it had given before: the list was not read to its end"


class AzureCalls:
    def __init__(self, credential: TokenCredential, cloud: AzureCloud | None = None) -> None:
        self.cloud = cloud or resolve_cloud()
        self.graph_endpoint, self.arm_endpoint = self.cloud.graph, self.cloud.arm
        self._graph = _client(credential, self.graph_endpoint, self.cloud.graph_scope)
        self._arm = _client(credential, self.arm_endpoint, self.cloud.arm_scope)
        self.errors: dict[str, list[SourceError]] = {}  # account (tenant or subscription) -> failed calls
        self.unlicensed: set[str] = set()  # optional calls the tenant's licence does not cover
        self._lock = threading.Lock()
        self._resource_graph_pause = 0.0  # monotonic time before which no Resource Graph query is sent
        self._unreachable: dict[int, str] = {}  # id of a client whose endpoint did not answer -> why
        # service principals looked up by object id (a later shard's), by uid: what a stand-in says of each
        self.principals_looked_up: dict[str, dict[str, Any]] = {}

    def _send(
        self, client: PipelineClient, request: HttpRequest, call: str, account: str, optional: bool = False
    ) -> Any | None:
        response = self._response(client, request, call, account)
        if response is None:
            return None
        if response.status_code >= 400:
            code, message = _error(response.text())
            if optional and code in LICENCE_ERRORS:
                with self._lock:
                    self.unlicensed.add(call)
            else:
                self._gap(call, account, message, str(response.status_code))
            return None
        try:
            return response.json() if response.text() else {}
        except ValueError:
            self._gap(call, account, f"answer is not JSON: {response.text()[:120]!r}", str(response.status_code))
            return None

    def _response(self, client: PipelineClient, request: HttpRequest, call: str, account: str) -> HttpResponse | None:
        if id(client) in self._unreachable:
            self._gap(call, account, f"not called: {self._unreachable[id(client)]}", "unreachable")
            return None
        try:
            return client.send_request(request, retry_on_methods=READ_ONLY_POSTS)
        except ClientAuthenticationError:
            raise  # the credential cannot produce a token: nothing can be read with it
        except (ServiceRequestError, ServiceResponseError) as error:
            # connection refused or timed out after its retries: one dead endpoint costs one call's time
            with self._lock:
                self._unreachable.setdefault(id(client), f"{urlsplit(request.url).netloc} did not answer")
            self._gap(call, account, _first_line(error), "unreachable")
            return None
        except AzureError as error:
            self._gap(call, account, _first_line(error), "failed")
            return None

    def _gap(self, call: str, account: str, message: str, code: str) -> None:
        with self._lock:
            self.errors.setdefault(account, []).append(SourceError(call=call, message=message, code=code))

    def gap(self, call: str, account: str, message: str, code: str) -> None:
        """Records a gap found while reading an answer (a malformed value, an unlinkable record)."""
        self._gap(call, account, message, code)

    def move_gaps(self, old: str, new: str) -> None:
        """Files the gaps recorded before the tenant id was known under the tenant."""
        with self._lock:
            moved = self.errors.pop(old, [])
            if moved:
                self.errors.setdefault(new, [])[:0] = moved

    def graph_list(
        self, path: str, call: str, account: str = "", optional: bool = False
    ) -> list[dict[str, Any]] | None:
        """Every item of a Graph collection, following ``@odata.nextLink``. An ``optional`` list that
        the tenant's licence does not cover is None without being a gap; any other failure is one."""
        return self._list(self._graph, f"{self.graph_endpoint}{path}", "@odata.nextLink", call, account, optional)

    def arm_list(self, path: str, call: str, account: str = "") -> list[dict[str, Any]] | None:
        """Every item of an ARM collection, following ``nextLink``."""
        return self._list(self._arm, f"{self.arm_endpoint}{path}", "nextLink", call, account)

    def _list(
        self, client: PipelineClient, url: str, next_key: str, call: str, account: str, optional: bool = False
    ) -> list[Any] | None:
        items: list[Any] = []
        next_url: str | None = url
        links_seen: set[str] = set()
        while next_url:
            if next_url in links_seen:  # a service repeating a page would be read for ever
                self._gap(call, account, REPEATED_LINK, "pagination")
                return None
            links_seen.add(next_url)
            page = self._send(client, HttpRequest("GET", next_url), call, account, optional)
            if page is None:
                return None
            listed = _listed(page, "value")
            if listed is None:
                self._gap(call, account, _NOT_A_PAGE.format("value", _shown(page)), "malformed")
                return None
            items.extend(listed)
            next_url = page.get(next_key)
        return items

    def directory_objects(
        self, ids: list[str], types: list[str], call: str, account: str
    ) -> list[dict[str, Any]] | None:
        """The directory objects of these ids and types (``directoryObjects/getByIds``, 1,000 ids a
        request); ids of other types or of deleted objects are simply not returned."""
        found: list[dict[str, Any]] = []
        for chunk in _chunks(ids, 1000):
            request = HttpRequest(
                "POST", f"{self.graph_endpoint}/v1.0/directoryObjects/getByIds", json={"ids": chunk, "types": types}
            )
            page = self._send(self._graph, request, call, account)
            if page is None:
                return None
            listed = _listed(page, "value")
            if listed is None:
                self._gap(call, account, _NOT_A_PAGE.format("value", _shown(page)), "malformed")
                return None
            found += [item for item in listed if isinstance(item, dict)]
        return found

    def resource_graph(
        self, query: str, subscriptions: list[str], call: str, tenant: str
    ) -> dict[str, list[dict[str, Any]] | None]:
        """Rows of an Azure Resource Graph query for many subscriptions, up to 1,000 a query, each
        query's pages followed through ``$skipToken``; rows by subscription (None where refused).
        The query must project ``subscriptionId``. Waits as the throttling headers ask."""
        found: dict[str, list[dict[str, Any]] | None] = {}
        for chunk in _chunks(subscriptions, RESOURCE_GRAPH_SUBSCRIPTIONS):
            rows = self._resource_graph_query(query, chunk, call, tenant)
            for subscription in chunk:
                found[subscription] = None if rows is None else []
            for row in rows or []:
                listed = found.get(str(row.get("subscriptionId")))
                if listed is not None:
                    listed.append(row)
        return found

    def _resource_graph_query(
        self, query: str, subscriptions: list[str], call: str, tenant: str
    ) -> list[dict[str, Any]] | None:
        url = f"{self.arm_endpoint}/providers/Microsoft.ResourceGraph/resources?api-version=2022-10-01"
        body: dict[str, Any] = {"subscriptions": subscriptions, "query": query, "options": {"$top": 1000}}
        rows: list[dict[str, Any]] = []
        tokens_seen: set[str] = set()
        while True:
            time.sleep(max(0.0, self._resource_graph_pause - time.monotonic()))
            response = self._response(self._arm, HttpRequest("POST", url, json=body), call, tenant)
            if response is None:
                return None
            self._note_quota(response)
            if response.status_code >= 400:
                message = _error(response.text())[1]
                for subscription in subscriptions:
                    self._gap(call, subscription, message, str(response.status_code))
                return None
            try:
                page = response.json()
            except ValueError:
                page = response.text()
            data = _listed(page, "data")
            if data is None:
                for subscription in subscriptions:
                    self._gap(call, subscription, _NOT_A_PAGE.format("data", _shown(page)), "malformed")
                return None
            rows.extend(data)
            token = page.get("$skipToken")
            if not token:
                return rows
            if str(token) in tokens_seen:
                for subscription in subscriptions:
                    self._gap(call, subscription, REPEATED_LINK, "pagination")
                return None
            tokens_seen.add(str(token))
            body = {**body, "options": {"$top": 1000, "$skipToken": token}}

    def _note_quota(self, response: HttpResponse) -> None:
        remaining = response.headers.get("x-ms-user-quota-remaining")
        resets = response.headers.get("x-ms-user-quota-resets-after")
        if remaining is not None and resets and remaining.strip() in ("0", "-1"):
            self._resource_graph_pause = time.monotonic() + min(_duration(resets), 60.0)

    def graph_batch(
        self, paths: list[str], call: str, account: str = "", version: str = "v1.0"
    ) -> dict[str, list[Any] | None]:
        """Every item of many Graph collections (of Graph ``version``), fetched in ``$batch``
        requests of 20, BATCH_WORKERS at a time. Each response's ``@odata.nextLink`` is followed in
        a later round, so a collection longer than one page loses nothing; a request throttled
        inside a batch (429, or a 5xx) is sent again after its Retry-After, up to THROTTLED_RESENDS
        times. A collection that fails is None and a gap."""
        results: dict[str, list[Any] | None] = {path: [] for path in paths}
        pending = [_Pending(path, path) for path in paths]
        for _ in range(MAX_BATCH_ROUNDS):
            if not pending:
                return results
            chunks = list(_chunks(pending, BATCH_SIZE))
            with ThreadPoolExecutor(max_workers=BATCH_WORKERS) as pool:
                outcomes = list(pool.map(lambda chunk: self._batch(chunk, call, account, version), chunks))
            pending, wait = [], 0.0
            for pages, follow, retry_after in outcomes:
                for collection, items in pages:
                    listed = results.get(collection)
                    if items is None:
                        results[collection] = None
                    elif listed is not None:
                        listed.extend(items)
                wait = max(wait, retry_after)
                for entry in follow:
                    if results.get(entry.collection) is None:
                        continue
                    if entry.resends > THROTTLED_RESENDS:
                        results[entry.collection] = None
                        self._gap(call, account, f"{entry.collection}: still throttled after retries", "429")
                    else:
                        pending.append(entry)
            time.sleep(min(wait, 30.0))
        for entry in pending:
            results[entry.collection] = None
            self._gap(call, account, f"{entry.collection}: more than {MAX_BATCH_ROUNDS} pages", "paging")
        return results

    def _batch(
        self, chunk: list[_Pending], call: str, account: str, version: str
    ) -> tuple[list[tuple[str, list[Any] | None]], list[_Pending], float]:
        """(pages read, requests to send next: further pages and throttled ones, seconds to wait)."""
        body = {"requests": [{"id": str(n), "method": "GET", "url": entry.url, "headers": BATCHED_HEADERS}
                             for n, entry in enumerate(chunk)]}  # fmt: skip
        request = HttpRequest("POST", f"{self.graph_endpoint}/{version}/$batch", json=body)
        answer = self._send(self._graph, request, f"{call} ($batch)", account)
        if answer is None:
            return [(entry.collection, None) for entry in chunk], [], 0.0
        if _listed(answer, "responses") is None:  # no batch's answer: not a throttled one to send again
            self._gap(f"{call} ($batch)", account, _NOT_A_PAGE.format("responses", _shown(answer)), "malformed")
            return [(entry.collection, None) for entry in chunk], [], 0.0
        pages: list[tuple[str, list[Any] | None]] = []
        follow: list[_Pending] = []
        wait = 0.0
        answered: set[int] = set()
        for response in answer.get("responses") or []:
            index = int(response.get("id", -1))
            if not 0 <= index < len(chunk):
                continue
            answered.add(index)
            entry = chunk[index]
            status = int(response.get("status", 500))
            payload = response.get("body") or {}
            if status == 429 or status in (500, 502, 503, 504):
                follow.append(_Pending(entry.collection, entry.url, entry.resends + 1))
                wait = max(wait, _retry_after(response.get("headers") or {}))
            elif status >= 400:
                self._gap(call, account, f"{entry.collection}: {_error(json.dumps(payload))[1]}", str(status))
                pages.append((entry.collection, None))
            elif (listed := _listed(payload, "value")) is None:
                message = _NOT_A_PAGE.format("value", _shown(payload))
                self._gap(call, account, f"{entry.collection}: {message}", "malformed")
                pages.append((entry.collection, None))
            else:
                pages.append((entry.collection, listed))
                next_link = payload.get("@odata.nextLink")
                if next_link:
                    follow.append(_Pending(entry.collection, _batch_url(str(next_link))))
        follow += [_Pending(e.collection, e.url, e.resends + 1) for i, e in enumerate(chunk) if i not in answered]
        return pages, follow, wait


@dataclass(frozen=True, slots=True)
class _Pending:
    collection: str  # the path first asked for, which the items are filed under
    url: str  # this request's url relative to the version (/v1.0): the first page or a nextLink
    resends: int = 0


class _BoundedRetryPolicy(RetryPolicy):
    """azure-core's retries, but a ``Retry-After`` longer than what is left of the call's time is not
    waited for: the throttled answer is the call's, a gap. azure-core sleeps whatever it is asked
    (an hour, if a throttled service says so) and only then finds the call's time spent, and fails
    it as a host that did not answer, which passed over every later call to that host."""

    def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
        settings = super().configure_retries(options)
        settings["started"] = time.monotonic()
        return settings

    def increment(self, settings: dict[str, Any], response: Any = None, error: Any = None) -> bool:
        if error is None and response is not None:
            wait = self.get_retry_after(response)
            budget = settings.get("timeout") or OPERATION_TIMEOUT
            if wait is not None and time.monotonic() - settings["started"] + wait > budget:
                return False
        return bool(super().increment(settings, response=response, error=error))


def _client(credential: TokenCredential, endpoint: str, scope: str) -> PipelineClient:
    policies = [
        HeadersPolicy({"Accept": "application/json", "ConsistencyLevel": "eventual"}),
        UserAgentPolicy(base_user_agent="nhiscan"),
        _BoundedRetryPolicy(
            retry_total=RETRIES,
            retry_status=RETRIES,
            retry_backoff_factor=0.5,
            retry_backoff_max=30,
            timeout=OPERATION_TIMEOUT,
        ),
        BearerTokenCredentialPolicy(credential, scope),
    ]
    transport = RequestsTransport(connection_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)
    return PipelineClient(base_url=endpoint, policies=policies, transport=transport)


# a 2xx answer that is no page of a collection (a proxy's or a gateway's body, an empty one): read as
# an empty list, it would have said the tenant holds nothing there, and every control passed on it
_NOT_A_PAGE = "the answer is no page of a collection (no '{}' list): {}"


def _listed(page: Any, key: str) -> list[Any] | None:
    """A collection page's items (Graph and ARM always send ``value``, an empty list too; Resource
    Graph ``data``), or None where the answer holds none."""
    items = page.get(key) if isinstance(page, dict) else None
    return items if isinstance(items, list) else None


def _shown(page: Any) -> str:
    return repr(page if isinstance(page, str) else json.dumps(page))[:120]


def _batch_url(next_link: str) -> str:
    """A nextLink (absolute, on whichever Graph host answered) as a $batch request url."""
    parts = urlsplit(next_link)
    path = parts.path
    for version in ("/v1.0", "/beta"):
        if path.startswith(version + "/"):
            path = path[len(version) :]
    return f"{path}?{parts.query}" if parts.query else path


def _retry_after(headers: dict[str, Any]) -> float:
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), 1)
    try:
        return max(float(value), 0.0)
    except (TypeError, ValueError):
        return 1.0


def _duration(text: str) -> float:
    """hh:mm:ss (Resource Graph's x-ms-user-quota-resets-after) in seconds."""
    try:
        hours, minutes, seconds = (float(part) for part in text.split(":"))
    except ValueError:
        return 5.0
    return hours * 3600 + minutes * 60 + seconds


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _first_line(error: Exception) -> str:
    lines = str(error).strip().splitlines()
    return (lines[0] if lines else type(error).__name__)[:300]


def _error(text: str) -> tuple[str, str]:
    """(code, "code: message") of a Graph or ARM error body."""
    try:
        error = json.loads(text).get("error") or {}
    except (ValueError, AttributeError):
        return "", text[:300]
    if not isinstance(error, dict):
        return "", str(error)[:300]
    code = str(error.get("code") or "")
    return code, f"{code}: {error.get('message', '')}".strip(": ")[:300]
