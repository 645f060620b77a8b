"""Failure messages: the template compiled once reads exactly as the template filled in part by
part, "never used" included, whatever the order of literal text and placeholders."""

from __future__ import annotations

from dataclasses import replace

import pytest

from scanner.engine.context import EvalContext
from scanner.engine.controls import compile_control
from scanner.engine.evaluate import evaluate
from scanner.engine.messages import fast_failure_message, message
from scanner.scan import ScanOptions, select_controls

from .conftest import make_inventory

INVENTORY = {
    "identities": [{"uid": "u1", "name": "ci", "owner": "team", "attributes": {"team": "payments"}}],
    "credentials": [
        {"uid": "k1", "identity_uid": "u1", "created": "-400d", "attributes": {"display_id": "AKIA…1"}},
        {"uid": "k2", "identity_uid": "u1", "created": "-400d", "last_used": "-200d"},
        {"uid": "k3", "identity_uid": "u1", "created": "-400d", "unknown": ["last_used"]},
    ],
}
TEMPLATES = [
    "{name} was last used {days_since_used} days ago",
    "last used {days_since_used} days ago, created {age_days} days ago, last used {days_since_used} days ago",
    "{days_since_used}{age_days} last used {days_since_used}",
    "{name}: {identity_uid} ({attributes.display_id}) {kind} {days_since_rotated}",
    "plain text only",
]


@pytest.mark.parametrize("template", TEMPLATES)
def test_a_compiled_template_reads_as_the_template_filled_in_part_by_part(catalogs, template: str) -> None:
    inventory = make_inventory(INVENTORY)
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    base = next(c for c in select_controls(catalogs, ScanOptions()) if c.id == "NHI-CRED-001").control
    compiled = compile_control(replace(base, message=template, where=None, require={"field": "age_days", "lt": 0}))
    findings = evaluate([compiled], ctx).findings
    assert [f.status for f in findings] == ["fail"] * 3
    fast = fast_failure_message(compiled, {"age_days"})
    for finding, record in zip(findings, inventory.credentials, strict=True):
        expected = message(compiled, record, finding.resource, "fail", finding.evidence, ctx)
        assert finding.message == expected
        built = fast(record, finding.resource, finding.evidence, ctx) if fast else None
        assert built in (None, expected)
    assert any(f.message.endswith("never used") or "never used," in f.message for f in findings) == (
        "last used {" in template
    )


def test_a_relation_names_the_records_that_decide_it(catalogs) -> None:
    """Evidence and messages name the related records that make a control fail: for 'none of the
    tools is unpinned', the unpinned ones (not the pinned one beside them); for 'every runtime
    identity keeps sessions short', the one that does not (before: none, so 'runs as none')."""
    from scanner.scan import run_scan

    inventory = make_inventory(
        {
            "identities": [{"uid": "role-1", "name": "finops-role", "provider": "aws", "kind": "role",
                            "attributes": {"max_session_seconds": 43200}}],
            "agents": [{"uid": "agent-1", "name": "finops", "runs_as": "role-1"}],
            "grants": [
                {"uid": "t1", "identity_uid": "agent-1", "kind": "tool", "name": "pinned-tool",
                 "attributes": {"transport": "stdio", "command": "npx", "package": "a@1.2.3", "package_pinned": True}},
                {"uid": "t2", "identity_uid": "agent-1", "kind": "tool", "name": "loose-tool",
                 "attributes": {"transport": "stdio", "command": "npx", "package": "b", "package_pinned": False}},
            ],
        }
    )  # fmt: skip
    found = {f.control_id: f for f in run_scan(inventory, catalogs, ScanOptions()).findings}
    assert found["NHI-AGENT-011"].status == "fail"
    assert found["NHI-AGENT-011"].evidence["tools"] == ["loose-tool"]
    assert found["NHI-AGENT-011"].message.endswith("launches unpinned packages: loose-tool")
    assert found["NHI-AGENT-018"].status == "fail"
    assert found["NHI-AGENT-018"].message.startswith("finops runs as finops-role,")


def test_a_failure_whose_other_part_was_not_collected_says_so_in_words(catalogs) -> None:
    """NHI-AGENT-006 fails on an auto-approved tool that sends mail, whatever the runtime identity's
    grants (not read here); its message names both parts (before: 'through send_email not collected')."""
    from scanner.scan import run_scan

    inventory = make_inventory(
        {
            "identities": [{"uid": "role-1", "name": "helpdesk-role", "provider": "aws", "kind": "role",
                            "unknown": ["grants"]}],
            "agents": [{"uid": "agent-1", "name": "helpdesk", "runs_as": "role-1"}],
            "grants": [{"uid": "t1", "identity_uid": "agent-1", "kind": "tool", "name": "send_email",
                        "attributes": {"auto_approved": True}}],
        }
    )  # fmt: skip
    found = {f.control_id: f for f in run_scan(inventory, catalogs, ScanOptions()).findings}
    assert found["NHI-AGENT-006"].status == "fail"
    assert found["NHI-AGENT-006"].message == (
        "helpdesk can act without a human in the loop "
        "(tools without approval: send_email; runtime grants that change things: not collected)"
    )
    assert found["NHI-AGENT-006"].evidence["not_collected"] == ["grants of helpdesk-role"]
