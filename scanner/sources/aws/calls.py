"""API calls for one AWS account: clients per region, pagination, and refusals turned into gaps.

A call AWS refuses (AccessDenied, a missing API, a region not enabled) is recorded as a
SourceError naming the IAM action and region, and the caller gets None: the rest of the scan
goes on and the account is reported as read partially. Throttling is retried by botocore's
adaptive mode before it ever reaches here.
"""

from __future__ import annotations

import threading
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from scanner.model import SourceError

CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    max_pool_connections=32,
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="nhiscan",
)
# Codes with which AWS answers in a region the account has not enabled: the region is skipped.
REGION_DISABLED = {"UnrecognizedClientException", "InvalidClientTokenId", "AuthFailure", "OptInRequired"}


class AwsCalls:
    def __init__(self, session: boto3.Session, account: str, default_region: str) -> None:
        self.session = session
        self.account = account
        self.default_region = default_region
        self.errors: list[SourceError] = []
        self.skipped_regions: set[str] = set()
        self._clients: dict[tuple[str, str], Any] = {}
        self._lock = threading.Lock()

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.default_region)
        with self._lock:
            if key not in self._clients:
                self._clients[key] = self.session.client(service, region_name=key[1], config=CLIENT_CONFIG)
            return self._clients[key]

    def call(self, service: str, operation: str, region: str | None = None, **kwargs: Any) -> dict[str, Any] | None:
        client = self.client(service, region)
        try:
            response: dict[str, Any] = getattr(client, operation)(**kwargs)
        except (ClientError, BotoCoreError) as error:
            self._record(service, client, operation, region, error)
            return None
        return response

    def pages(self, service: str, operation: str, region: str | None = None, **kwargs: Any) -> list[Any] | None:
        """Every page of a paginated call, or None when a page was refused."""
        client = self.client(service, region)
        try:
            return list(client.get_paginator(operation).paginate(**kwargs))
        except (ClientError, BotoCoreError) as error:
            self._record(service, client, operation, region, error)
            return None

    def paginate(
        self, service: str, operation: str, key: str, region: str | None = None, **kwargs: Any
    ) -> list[Any] | None:
        """Every item under ``key`` across all pages, or None when a page was refused."""
        pages = self.pages(service, operation, region, **kwargs)
        return None if pages is None else [item for page in pages for item in page.get(key) or []]

    def _record(self, service: str, client: Any, operation: str, region: str | None, error: Exception) -> None:
        code = error.response.get("Error", {}).get("Code", "") if isinstance(error, ClientError) else ""
        if code in REGION_DISABLED and region is not None:
            with self._lock:
                self.skipped_regions.add(region)
            return
        api = client.meta.method_to_api_mapping.get(operation, operation)
        prefix = client.meta.service_model.signing_name if service != "bedrock-agent" else "bedrock"
        where = f" in {region}" if region else ""
        message = str(error).splitlines()[0][:300]
        with self._lock:
            self.errors.append(SourceError(call=f"{prefix}:{api}{where}", message=message, code=code))
