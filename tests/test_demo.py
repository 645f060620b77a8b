"""The demo organisation: its fixture is reproducible and its results never change."""

from __future__ import annotations

import importlib.util
import json
import os
from collections import Counter
from pathlib import Path

import pytest

from scanner.inventory_io import load_inventory
from scanner.model import Inventory
from scanner.reports.json_results import results_dict
from scanner.resources import demo_inventory_file
from scanner.scan import ScanOptions, run_scan
from scanner.serialize import from_dict
from scanner.sources import SourceSpec, collect

from .conftest import REPO_ROOT

GOLDEN = Path(__file__).parent / "golden" / "demo-results.json"


def demo_result(catalogs):
    return run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())


def stable_view(result) -> dict:
    """Everything in the results but the scan id, wall-clock times and the inventory (the demo
    fixture itself, checked on its own)."""
    data = results_dict(result)
    data["scan"] = {k: v for k, v in data["scan"].items() if k not in ("id", "started", "finished")}
    data.pop("tool")
    data.pop("inventory")
    return data


def test_results_carry_the_evaluated_inventory_with_agent_tools_only(catalogs) -> None:
    inventory = load_inventory(demo_inventory_file())
    recorded = from_dict(Inventory, results_dict(demo_result(catalogs))["inventory"])
    for key in ("accounts", "identities", "credentials", "agents", "log_sources", "sources", "collected_at"):
        assert getattr(recorded, key) == getattr(inventory, key), key
    assert recorded.grants == [g for g in inventory.grants if g.kind == "tool"]


def test_the_fixture_is_what_the_builder_produces() -> None:
    spec = importlib.util.spec_from_file_location("build_demo", REPO_ROOT / "fixtures" / "build_demo.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    assert builder.render() == demo_inventory_file().read_text(encoding="utf-8")


def test_the_demo_is_a_realistic_multi_cloud_estate() -> None:
    inventory = collect(SourceSpec("demo"))
    accounts = Counter((a.provider, a.kind) for a in inventory.accounts)
    assert accounts[("aws", "account")] == 2
    assert accounts[("azure", "tenant")] == 1 and accounts[("azure", "subscription")] == 2
    assert accounts[("gcp", "project")] == 2
    assert 270 <= len(inventory.identities) <= 330
    assert 10 <= len(inventory.agents) <= 16
    assert all(any(g.identity_uid == a.uid and g.kind == "tool" for g in inventory.grants) for a in inventory.agents)


def test_the_demo_has_mixed_posture(catalogs) -> None:
    result = demo_result(catalogs)
    compared_with_a_baseline = {"NHI-AGENT-015"}  # nothing to judge without --baseline
    for control in result.controls:
        if control.id in compared_with_a_baseline:
            continue
        assert control.counts["fail"] + control.counts["pass"] + control.counts["unknown"] > 0, control.id
    failing = [c for c in result.controls if c.counts["fail"]]
    passing = [c for c in result.controls if c.counts["pass"]]
    assert len(failing) >= 30 and len(passing) >= 30
    assert 50 < result.score < 90


def test_demo_results_match_the_golden_file(catalogs) -> None:
    actual = stable_view(demo_result(catalogs))
    if os.environ.get("NHISCAN_UPDATE_GOLDEN"):
        GOLDEN.write_text(json.dumps(actual, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert actual["score"] == expected["score"]
    assert {c["id"]: c["counts"] for c in actual["controls"]} == {c["id"]: c["counts"] for c in expected["controls"]}
    assert actual == expected


@pytest.mark.parametrize(
    ("control_id", "resource_fragment"),
    [
        ("NHI-CRED-010", "444455556666:root"),
        ("NHI-PRIV-001", "user/terraform-runner"),
        ("NHI-PRIV-004", "role/vendor-audit-readonly"),
        ("NHI-PRIV-005", "role/github-actions-deploy"),
        ("NHI-PRIV-009", "role/dev-data-refresh"),
        ("NHI-AGENT-001", "agent/DEVOPSCOP1"),
        ("NHI-AGENT-004", "agent/FINOPS0001"),
        ("NHI-SECRET-001", "claude_desktop_config.json"),
        ("NHI-AGENT-010", ".vscode/mcp.json"),
        ("NHI-LOG-004", "6f1c2a9e"),
    ],
)
def test_seeded_weaknesses_are_found(catalogs, control_id: str, resource_fragment: str) -> None:
    failing = [
        f.resource.uid for f in demo_result(catalogs).findings if f.control_id == control_id and f.status == "fail"
    ]
    assert any(resource_fragment in uid for uid in failing), failing


def test_well_configured_resources_pass(catalogs) -> None:
    findings = demo_result(catalogs).findings
    flagged = {f.resource.uid for f in findings if f.status == "fail"}
    assert "arn:aws:iam::111122223333:role/github-actions-release" not in flagged
    assert "arn:aws:iam::111122223333:role/cost-vendor-access" not in flagged
    kb_search = "arn:aws:bedrock:us-east-1:111122223333:agent/KBSEARCH01"
    assert kb_search not in flagged


def test_the_example_waivers_apply_expire_and_miss_as_documented(catalogs) -> None:
    options = ScanOptions(waivers=REPO_ROOT / "docs" / "examples" / "waivers.yaml")
    result = run_scan(collect(SourceSpec("demo")), catalogs, options)
    assert [w.ticket for w in result.waivers.applied] == ["SEC-1042"]
    assert [w.ticket for w in result.waivers.expired] == ["SEC-0977"]
    assert [w.control for w in result.waivers.unmatched] == ["NHI-AGENT-*"]
    waived = [f for f in result.findings if f.status == "waived"]
    assert [f.resource.uid.split("#")[0] for f in waived] == ["arn:aws:iam::111122223333:user/legacy-backup"]
    vendor = next(f for f in result.findings if f.resource.uid.endswith("role/vendor-audit-readonly"))
    assert vendor.status == "fail", "an expired waiver no longer applies"
