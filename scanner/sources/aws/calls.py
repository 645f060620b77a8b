"""API calls for one AWS account: clients per region, pagination, and every failure turned into a gap.

Whatever a call ends in — AWS refusing it (AccessDenied, a missing API), throttling that outlasts
the retries, an endpoint that cannot be reached or never answers, a response that is not an AWS
document at all (an HTML 500 from a proxy: botocore's ``ResponseParserError``) — it is recorded as
a SourceError naming the IAM action and region, and the caller gets None: the rest of the scan goes
on and the account is reported as read partially.

Time is bounded three ways: botocore's timeouts and attempts (``CLIENT_CONFIG``) bound one call;
an endpoint that timed out or could not be reached is not called again in this account (each
further call there is a gap at once); and the account's deadline turns every call after it into a
gap without calling.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as EndpointUnreachable
from botocore.parsers import ResponseParserError

from scanner.model import SourceError
from scanner.sources.aws.answers import checked

# One call: at most 3 attempts (botocore's adaptive mode also slows the client after throttling).
# An endpoint that accepts and never answers costs 24 s (3 attempts of 8 s; a bulk read 2 of 30 s)
# once per account; one that refuses connections about a second.
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "total_max_attempts": 3},
    max_pool_connections=32,
    connect_timeout=3,
    read_timeout=8,
    user_agent_extra="nhiscan",
)
# The bulk reads (every identity with its policies in 1,000-item pages, the credential report of
# every user) take AWS seconds to assemble: they get more time to answer, and fewer attempts.
BULK_CONFIG = CLIENT_CONFIG.merge(Config(read_timeout=30, retries={"mode": "adaptive", "total_max_attempts": 2}))
BULK_OPERATIONS = frozenset({"get_account_authorization_details", "get_credential_report"})
# Throttling that outlasts botocore's attempts is retried here, after these pauses (seconds).
THROTTLE_PAUSES = (1.0, 2.0, 4.0)
THROTTLING = {
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "TooManyRequestsException",
    "RequestLimitExceeded",
    "RequestThrottled",
    "RequestThrottledException",
    "SlowDown",
}
# Codes with which AWS answers in a region the account has not enabled: the region is skipped.
REGION_DISABLED = {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "OptInRequired"}
# Errors that botocore raises and that are not ClientError or BotoCoreError.
OTHER_FAILURES = (ResponseParserError,)
ACCOUNT_DEADLINE_SECONDS = 900.0
T = TypeVar("T")


class AwsCalls:
    def __init__(
        self,
        session: boto3.Session,
        account: str,
        default_region: str,
        partition: str = "aws",
        deadline_seconds: float = ACCOUNT_DEADLINE_SECONDS,
    ) -> None:
        self.session = session
        self.account = account
        self.default_region = default_region
        self.partition = partition
        self.deadline_seconds = deadline_seconds
        self.deadline = time.monotonic() + deadline_seconds
        self.errors: list[SourceError] = []
        self.skipped_regions: set[str] = set()
        self.unreachable: dict[tuple[str, str], str] = {}  # (service, region) -> why
        self._clients: dict[tuple[str, str, bool], Any] = {}
        self._lock = threading.Lock()
        self._regions_lock = threading.Lock()
        self._enabled: set[str] | None = None
        self._regions_asked = False

    def enabled_regions(self) -> set[str] | None:
        """The regions enabled in this account (``DescribeRegions`` asked as the account, once: an
        opt-in region one account enabled another may not have); None when they could not be listed."""
        with self._regions_lock:
            if not self._regions_asked:
                listed = self.call("ec2", "describe_regions")
                self._enabled = None if listed is None else {r["RegionName"] for r in listed.get("Regions") or []}
                self._regions_asked = True
            return self._enabled

    def client(self, service: str, region: str | None = None, bulk: bool = False) -> Any:
        key = (service, region or self.default_region, bulk)
        with self._lock:
            if key not in self._clients:
                config = BULK_CONFIG if bulk else CLIENT_CONFIG
                self._clients[key] = checked(self.session.client(service, region_name=key[1], config=config))
            return self._clients[key]

    def call(self, service: str, operation: str, region: str | None = None, **kwargs: Any) -> dict[str, Any] | None:
        response, _ = self.attempt(service, operation, region, frozenset(), **kwargs)
        return response

    def attempt(
        self, service: str, operation: str, region: str | None, expected: frozenset[str], **kwargs: Any
    ) -> tuple[dict[str, Any] | None, str]:
        """The response, or None and the error code: codes in ``expected`` (say ReportInProgress)
        come back to the caller unrecorded, every other failure is recorded as a gap."""
        return self._run(service, operation, region, expected, lambda client: getattr(client, operation)(**kwargs))

    def pages(self, service: str, operation: str, region: str | None = None, **kwargs: Any) -> list[Any] | None:
        """Every page of a paginated call, or None when a page was refused."""
        pages, _ = self._run(
            service, operation, region, frozenset(), lambda client: list(self._pages(client, operation, kwargs))
        )
        return pages

    def _run(
        self, service: str, operation: str, region: str | None, expected: frozenset[str], produce: Callable[[Any], T]
    ) -> tuple[T | None, str]:
        client = self.client(service, region, operation in BULK_OPERATIONS)
        if self._not_calling(service, client, operation, region):
            return None, "NotCalled"
        for pause in (*THROTTLE_PAUSES, None):
            try:
                return produce(client), ""
            except ClientError as error:
                code = _code(error)
                if code in expected:
                    return None, code
                if code in THROTTLING and pause is not None and time.monotonic() + pause < self.deadline:
                    time.sleep(pause)  # a paginated call starts over: its pages are not kept
                    continue
                self._record(service, client, operation, region, error)
                return None, code
            except (BotoCoreError, *OTHER_FAILURES) as error:
                self._record(service, client, operation, region, error)
                return None, type(error).__name__
        raise AssertionError("unreachable: the last pass returns")

    def _pages(self, client: Any, operation: str, kwargs: dict[str, Any]) -> Iterator[Any]:
        for page in client.get_paginator(operation).paginate(**kwargs):
            if time.monotonic() > self.deadline:
                raise DeadlineExceeded(seconds=self.deadline_seconds)
            yield page

    def paginate(
        self, service: str, operation: str, key: str, region: str | None = None, **kwargs: Any
    ) -> list[Any] | None:
        """Every item under ``key`` across all pages, or None when a page was refused."""
        pages = self.pages(service, operation, region, **kwargs)
        return None if pages is None else [item for page in pages for item in page.get(key) or []]

    def call_name(self, service: str, client: Any, operation: str, region: str | None) -> str:
        api = client.meta.method_to_api_mapping.get(operation, operation)
        prefix = client.meta.service_model.signing_name if service != "bedrock-agent" else "bedrock"
        return f"{prefix}:{api}" + (f" in {region}" if region else "")

    def _not_calling(self, service: str, client: Any, operation: str, region: str | None) -> bool:
        """True (and the gap recorded) when the deadline has passed or the endpoint is known dead."""
        why = self.unreachable.get((service, region or self.default_region))
        if why is None and time.monotonic() > self.deadline:
            why = f"not called: the account's deadline of {self.deadline_seconds:.0f} s had passed"
            code = "DeadlineExceeded"
        elif why is None:
            return False
        else:
            why, code = f"not called: {why}", "EndpointUnreachable"
        self.add(SourceError(call=self.call_name(service, client, operation, region), message=why, code=code))
        return True

    def _record(self, service: str, client: Any, operation: str, region: str | None, error: Exception) -> None:
        code = _code(error) if isinstance(error, ClientError) else type(error).__name__
        # AWS answers a region the account has not enabled with these codes, but also a token that
        # region refuses: the region is passed over only where the account's regions say it is off
        if code in REGION_DISABLED and region is not None and region not in (self.enabled_regions() or {region}):
            with self._lock:
                self.skipped_regions.add(region)
            return
        message = str(error).splitlines()[0][:300] if str(error) else type(error).__name__
        if isinstance(error, EndpointUnreachable | HTTPClientError):
            endpoint = (service, region or self.default_region)
            with self._lock:
                self.unreachable.setdefault(endpoint, f"{service} in {endpoint[1]} did not answer earlier ({message})")
        self.add(SourceError(call=self.call_name(service, client, operation, region), message=message, code=code))

    def add(self, error: SourceError) -> None:
        with self._lock:
            self.errors.append(error)


class DeadlineExceeded(BotoCoreError):
    fmt = "stopped paging: the account's deadline of {seconds:.0f} s had passed"


def _code(error: Exception) -> str:
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", ""))
    return ""
