"""Whatever one call of the azure source is refused, no result that fails with every call answered
passes: what the refused call would have shown is unknown (or its records absent, with the call a
named gap), never a known "nothing". Every path the seeded tenant's scan requests is refused in
turn (403 with Graph's or ARM's body), through azure-core's real pipeline."""

from __future__ import annotations

import re
from typing import Any

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan

from .test_azure_source import scan_tenant

_ID = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=/|$)")


def statuses(inventory: Inventory, catalogs: Any) -> dict[tuple[str, str], str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {(f.control_id, f.resource.uid): f.status for f in result.findings}


def refusable_paths(fake: Any) -> list[str]:
    """The paths a complete scan asked for, one per shape (ids of one kind of object alike are one
    shape: refusing the first stands for the rest), sign-in and token endpoints aside."""
    shapes: dict[str, str] = {}
    for request in fake.state.requests:
        path = request.split(" ", 1)[1]
        if path.endswith(("/token", "/openid-configuration")):
            continue
        shapes.setdefault(_ID.sub("/ID", path), path)
    return sorted(shapes.values())


def test_no_refused_call_turns_a_failure_into_a_pass(fake_azure, catalogs) -> None:
    inventory, _ = scan_tenant(fake_azure)
    complete = statuses(inventory, catalogs)
    failing = {key for key, status in complete.items() if status == "fail"}
    paths = refusable_paths(fake_azure)
    seeded = set(fake_azure.state.deny)  # refusals the tenant itself has
    assert len(paths) > 10, paths
    passed_when_refused: dict[str, list[tuple[str, str]]] = {}
    for path in paths:
        fake_azure.state.deny = seeded | {path}
        refused, _ = scan_tenant(fake_azure)
        now = statuses(refused, catalogs)
        turned = sorted(key for key in failing if now.get(key) == "pass")
        if turned:
            passed_when_refused[path] = turned
    fake_azure.state.deny = seeded
    assert not passed_when_refused
