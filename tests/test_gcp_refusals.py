"""Whatever one call of the gcp source is refused, no result that fails with every call answered
passes: what the refused call would have shown is unknown (or its records absent, with the call a
named gap), never a known "nothing". Every call the seeded organisation's scan makes is refused in
turn (PERMISSION_DENIED with Google's ErrorInfo), through the real Google clients, on both paths
(Cloud Asset Inventory, and project by project)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan

from .gcp_estate import DEV
from .test_gcp_source import fake_gcp, scan  # noqa: F401  (fixture)


def statuses(inventory: Inventory, catalogs: Any) -> dict[tuple[str, str], str]:
    result = run_scan(inventory, catalogs, ScanOptions(keep_passed=True))
    return {(f.control_id, f.resource.uid): f.status for f in result.findings}


def refusals(requests: list[str]) -> list[tuple[str, set[str], set[str]]]:
    """(call, gRPC methods to deny, REST path patterns to deny) for each call a scan made; REST
    paths were recorded with every project, folder and organisation as X."""
    found = []
    for request in sorted(requests):
        kind, name = request.split(" ", 1)
        if name == "/token":
            continue
        if kind == "grpc":
            found.append((request, {name}, set()))
        else:
            pattern = "^" + re.escape(name).replace("X", "[^/:]+") + "$"
            found.append((request, set(), {pattern}))
    return found


@pytest.mark.parametrize("assets", [True, False], ids=["asset-inventory", "project-by-project"])
def test_no_refused_call_turns_a_failure_into_a_pass(fake_gcp, catalogs, assets: bool) -> None:  # noqa: F811
    # the seeded transient faults (429s and 503s to send) are used up by a scan: each scan gets them anew
    transient = fake_gcp.state.exhausted.copy(), fake_gcp.state.failing.copy()
    seeded = set(fake_gcp.state.deny)  # refusals the estate itself has
    inventory, _ = scan(fake_gcp, assets=assets)
    failing = {key for key, status in statuses(inventory, catalogs).items() if status == "fail"}
    calls = refusals(list(fake_gcp.state.requests))
    assert len(calls) > 5, calls
    passed_when_refused: dict[str, list[tuple[str, str]]] = {}
    for call, methods, patterns in calls:
        fake_gcp.state.deny, fake_gcp.state.deny_matching = seeded | methods, patterns
        fake_gcp.state.exhausted, fake_gcp.state.failing = transient[0].copy(), transient[1].copy()
        refused, _ = scan(fake_gcp, assets=assets)
        now = statuses(refused, catalogs)
        turned = sorted(key for key in failing if now.get(key) == "pass")
        if turned:
            passed_when_refused[call] = turned
    assert not passed_when_refused


def test_a_project_whose_accounts_were_not_listed_does_not_pass_for_public_access(fake_gcp, catalogs) -> None:  # noqa: F811
    """The public bindings of a project include those on its accounts' own policies: with
    serviceAccounts.list refused none of those was read, and NHI-PRIV-015 passed."""
    fake_gcp.state.deny.clear()
    etl = fake_gcp.state.accounts[DEV][0]["email"]
    fake_gcp.state.projects[DEV]["policy"] = {"bindings": []}
    fake_gcp.state.account_policies[etl] = {
        "bindings": [{"role": "roles/iam.serviceAccountTokenCreator", "members": ["allUsers"]}]
    }
    answered, _ = scan(fake_gcp, assets=False, projects=(DEV,))
    assert statuses(answered, catalogs)[("NHI-PRIV-015", DEV)] == "fail"

    fake_gcp.state.deny.add("ListServiceAccounts")
    refused, _ = scan(fake_gcp, assets=False, projects=(DEV,))
    assert statuses(refused, catalogs)[("NHI-PRIV-015", DEV)] == "unknown"
