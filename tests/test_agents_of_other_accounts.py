"""An identity's agents are all known only where every account whose agents may run as it was read:
its own, a repository of agent manifests (a manifest names any identity it runs as), another
subscription of its Azure tenant, another GCP project. With such a source failed, an identity that
the unread agents share stays unknown for NHI-PRIV-008 and NHI-AGENT-007: it passed, and a diff
called the failure resolved."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from scanner.model import Inventory
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

REPOSITORY = "github.com/acme/agent-configs"
STAGING = "9c3a7e51-2d4b-4f86-8e1a-6b5c4d3e2f10"  # an Azure subscription of the demo's tenant
TRIAGE_ROLE = "arn:aws:iam::111122223333:role/bedrock-support-triage"  # also run by a manifest's agent
IT_AUTOMATION = "azure:sp:00000003-5555-4666-8777-00000000005c"  # run by agents of two subscriptions


def _with_a_failed_source(inventory: Inventory, account: str, keep_record: bool = True) -> Inventory:
    """As a failed source leaves it: no agent of the account read, its source failed (and, where
    the account was never listed, no record of it)."""
    sources = [dataclasses.replace(s, status="failed") if s.account == account else s for s in inventory.sources]
    agents = [a for a in inventory.agents if a.account != account]
    accounts = [a for a in inventory.accounts if keep_record or a.uid != account]
    return dataclasses.replace(inventory, sources=sources, agents=agents, accounts=accounts)


def _with_a_repository(inventory: Inventory, folder: Path) -> Inventory:
    """The demo without its repository, and the manifests read from ``folder`` in its place."""
    read = collect(SourceSpec("manifests", str(folder)))
    return dataclasses.replace(
        inventory,
        accounts=[a for a in inventory.accounts if a.uid != REPOSITORY] + read.accounts,
        sources=[s for s in inventory.sources if s.account != REPOSITORY] + read.sources,
        agents=[a for a in inventory.agents if a.account != REPOSITORY] + read.agents,
        grants=[g for g in inventory.grants if not g.identity_uid.startswith(REPOSITORY)] + read.grants,
    )


def _status(result, control_id: str, uid: str) -> str:
    found = [f.status for f in result.findings if f.control_id == control_id and f.resource.uid == uid]
    return found[0] if found else "pass"


@pytest.mark.parametrize(
    ("failed", "keep_record", "shared"),
    [(REPOSITORY, True, TRIAGE_ROLE), (STAGING, True, IT_AUTOMATION), (STAGING, False, IT_AUTOMATION)],
    ids=["manifests", "azure", "azure subscription never listed"],
)
def test_an_identity_whose_agents_a_failed_source_may_hold_is_unknown_not_passing(
    catalogs, failed: str, keep_record: bool, shared: str
) -> None:
    whole = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions(allow_partial=True))
    assert _status(whole, "NHI-PRIV-008", shared) == "fail", "two agents share it"
    inventory = _with_a_failed_source(collect(SourceSpec("demo")), failed, keep_record)
    partial = run_scan(inventory, catalogs, ScanOptions())
    (finding,) = [f for f in partial.findings if f.control_id == "NHI-PRIV-008" and f.resource.uid == shared]
    assert finding.status == "unknown"
    assert "agents of account" in finding.message


def test_a_manifest_that_could_not_be_parsed_leaves_the_agents_it_may_declare_unknown(catalogs, tmp_path) -> None:
    """The repository's other files were read (a partial source, not a failed one): a role the
    unparsed manifest's agent may share with a Bedrock agent is unknown for NHI-PRIV-008."""
    (tmp_path / "repo").mkdir()
    (tmp_path / "repo" / "refund-bot.nhiscan.yaml").write_text("name: refund-bot\nruns_as: [unclosed\n")
    result = run_scan(_with_a_repository(collect(SourceSpec("demo")), tmp_path / "repo"), catalogs, ScanOptions())
    assert _status(result, "NHI-PRIV-008", TRIAGE_ROLE) == "unknown"


def test_a_file_whose_credentials_were_not_all_searched_hides_no_agent(catalogs, tmp_path) -> None:
    """Its agent and tools are read; only its credentials are unknown: no other identity's agents
    become unknown (one such file made NHI-PRIV-008 unknown on every identity of the estate)."""
    (tmp_path / "repo").mkdir()
    server = {"type": "local", "command": ["npx", "-y", "@acme/tool@1.0.0"], "environment": {"A": "x" * 140_000}}
    (tmp_path / "repo" / "opencode.json").write_text(json.dumps({"mcp": {"db": server}}))
    inventory = _with_a_repository(collect(SourceSpec("demo")), tmp_path / "repo")
    assert [s.status for s in inventory.sources if s.name == "manifests"] == ["partial"]
    finops = "arn:aws:iam::111122223333:role/bedrock-finops-analyst"  # run by one agent: it passes
    assert _status(run_scan(inventory, catalogs, ScanOptions()), "NHI-PRIV-008", finops) == "pass"


def test_a_bedrock_agent_of_another_aws_account_never_runs_as_a_role_of_this_one(catalogs) -> None:
    """Its service role is passed in its own account: a failed AWS account leaves the other's roles
    judged."""
    inventory = _with_a_failed_source(collect(SourceSpec("demo")), "444455556666")
    result = run_scan(inventory, catalogs, ScanOptions())
    assert _status(result, "NHI-PRIV-008", TRIAGE_ROLE) == "fail"
