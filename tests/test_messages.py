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
