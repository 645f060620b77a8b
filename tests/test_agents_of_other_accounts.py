"""An identity's agents are all known only where every account whose agents may run as it was read:
its own, a repository of agent manifests (a manifest names any identity it runs as), another
subscription of its Azure tenant, another GCP project. With such a source failed, an identity that
the unread agents share stays unknown for NHI-PRIV-008 and NHI-AGENT-007: it passed, and a diff
called the failure resolved."""

from __future__ import annotations

import dataclasses

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

REPOSITORY = "github.com/acme/agent-configs"
STAGING = "9c3a7e51-2d4b-4f86-8e1a-6b5c4d3e2f10"  # an Azure subscription of the demo's tenant
TRIAGE_ROLE = "arn:aws:iam::111122223333:role/bedrock-support-triage"  # also run by a manifest's agent
IT_AUTOMATION = "azure:sp:00000003-5555-4666-8777-00000000005c"  # run by agents of two subscriptions


def _with_a_failed_source(inventory: Inventory, account: str, status: str = "failed") -> Inventory:
    """As a failed source leaves it: no agent of the account read, its source failed (or, for a
    repository of manifests, read in part: a manifest could not be parsed)."""
    sources = [dataclasses.replace(s, status=status) if s.account == account else s for s in inventory.sources]
    agents = [a for a in inventory.agents if a.account != account]
    return dataclasses.replace(inventory, sources=sources, agents=agents)


def _status(result, control_id: str, uid: str) -> str:
    found = [f.status for f in result.findings if f.control_id == control_id and f.resource.uid == uid]
    return found[0] if found else "pass"


@pytest.mark.parametrize(
    ("failed", "status", "shared"),
    [(REPOSITORY, "failed", TRIAGE_ROLE), (REPOSITORY, "partial", TRIAGE_ROLE), (STAGING, "failed", IT_AUTOMATION)],
    ids=["manifests failed", "manifests read in part", "azure"],
)
def test_an_identity_whose_agents_a_failed_source_may_hold_is_unknown_not_passing(
    catalogs, failed: str, status: str, shared: str
) -> None:
    whole = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions(allow_partial=True))
    assert _status(whole, "NHI-PRIV-008", shared) == "fail", "two agents share it"
    inventory = _with_a_failed_source(collect(SourceSpec("demo")), failed, status)
    partial = run_scan(inventory, catalogs, ScanOptions())
    (finding,) = [f for f in partial.findings if f.control_id == "NHI-PRIV-008" and f.resource.uid == shared]
    assert finding.status == "unknown"
    assert "agents of account" in finding.message


def test_a_bedrock_agent_of_another_aws_account_never_runs_as_a_role_of_this_one(catalogs) -> None:
    """Its service role is passed in its own account: a failed AWS account leaves the other's roles
    judged."""
    inventory = _with_a_failed_source(collect(SourceSpec("demo")), "444455556666")
    result = run_scan(inventory, catalogs, ScanOptions())
    assert _status(result, "NHI-PRIV-008", TRIAGE_ROLE) == "fail"
