"""Evaluating controls: statuses, derived ages, evidence, fingerprints, scope and scoring."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from scanner.engine.context import EvalContext
from scanner.engine.controls import compile_control
from scanner.engine.evaluate import evaluate
from scanner.errors import InputError
from scanner.fingerprints import fingerprint
from scanner.frameworks import control_score, grade, weighted_score
from scanner.model import ControlSummary
from scanner.scan import ScanOptions, run_scan, select_controls

from .conftest import make_inventory

OLD_KEY = {
    "identities": [{"uid": "arn:aws:iam::111111111111:user/ci", "owner": "team"}],
    "credentials": [
        {
            "uid": "k1",
            "identity_uid": "arn:aws:iam::111111111111:user/ci",
            "created": "-100d",
            "last_used": "-1d",
            "attributes": {"display_id": "AKIA…WXYZ"},
        }
    ],
}


def control(catalogs, control_id: str):
    return next(c for c in select_controls(catalogs, ScanOptions()) if c.id == control_id)


def test_ages_are_computed_against_the_collection_time_not_the_clock(catalogs) -> None:
    inventory = make_inventory(OLD_KEY)
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    [finding] = evaluate([control(catalogs, "NHI-CRED-001")], ctx).findings
    assert finding.status == "fail"
    assert finding.evidence == {"days_since_rotated": 100}
    assert finding.message == "access_key AKIA…WXYZ of ci was last rotated 100 days ago (limit 90)"


def test_as_of_moves_the_evaluation_date(catalogs) -> None:
    inventory = make_inventory(OLD_KEY)
    earlier = inventory.collected_at - timedelta(days=30)
    result = run_scan(inventory, catalogs, ScanOptions(as_of=earlier))
    assert result.scan.as_of == earlier
    assert not [f for f in result.findings if f.control_id == "NHI-CRED-001"]


def test_passing_results_are_counted_and_listed_only_on_request(catalogs) -> None:
    inventory = make_inventory({**OLD_KEY, "credentials": [{**OLD_KEY["credentials"][0], "created": "-10d"}]})
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    compiled = [control(catalogs, "NHI-CRED-001")]
    quiet = evaluate(compiled, ctx)
    assert quiet.findings == [] and quiet.counts["NHI-CRED-001"]["pass"] == 1
    assert [f.status for f in evaluate(compiled, ctx, keep_passed=True).findings] == ["pass"]


def test_fingerprints_depend_on_control_and_resource_only() -> None:
    assert fingerprint("NHI-CRED-001", "k1") == fingerprint("NHI-CRED-001", "k1")
    assert fingerprint("NHI-CRED-001", "k1") != fingerprint("NHI-CRED-002", "k1")
    assert len(fingerprint("A", "b")) == 32


def test_unknown_results_name_what_was_not_collected(catalogs) -> None:
    inventory = make_inventory(
        {
            "identities": [{"uid": "u1"}],
            "credentials": [{"uid": "k1", "identity_uid": "u1", "created": "-60d", "unknown": ["last_used"]}],
        }
    )
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    [finding] = evaluate([control(catalogs, "NHI-CRED-003")], ctx).findings
    assert finding.status == "unknown"
    assert finding.evidence["not_collected"] == ["last_used"]
    assert "last_used not collected" in finding.message


def test_relation_evidence_names_the_offending_records(catalogs) -> None:
    inventory = make_inventory(
        {
            "identities": [{"uid": "r1", "kind": "role", "owner": "x"}],
            "grants": [
                {"identity_uid": "r1", "name": "AdministratorAccess", "actions": ["*"]},
                {"identity_uid": "r1", "name": "ReadOnly", "actions": ["s3:GetObject"]},
            ],
        }
    )
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    [finding] = evaluate([control(catalogs, "NHI-PRIV-001")], ctx).findings
    assert finding.evidence == {
        "grants": ["AdministratorAccess"],
        "classified_as": "unknown: no trust policy was recorded",
    }


def test_evidence_that_reads_alike_is_shared_only_with_values_of_the_same_type(catalogs) -> None:
    """1, 1.0 and true compare equal in Python, and 0.0 and -0.0, but each finding's evidence shows
    its own record's value (before, the first three identities below all showed the first one's 1)."""
    inventory = make_inventory(
        {
            "identities": [
                {"uid": "u1", "attributes": {"mfa": 1}},
                {"uid": "u2", "attributes": {"mfa": True}},
                {"uid": "u3", "attributes": {"mfa": 1.0}},
                {"uid": "u4", "attributes": {"mfa": 1}},
                {"uid": "u5", "attributes": {"mfa": 0.0}},
                {"uid": "u6", "attributes": {"mfa": -0.0}},
            ]
        }
    )
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities)
    base = control(catalogs, "NHI-OWN-001").control
    compiled = compile_control(replace(base, where=None, require={"field": "attributes.mfa", "equals": "enforced"}))
    findings = evaluate([compiled], ctx).findings
    shown = [(f.resource.uid, repr(f.evidence["attributes.mfa"])) for f in findings]
    assert shown == [("u1", "1"), ("u2", "True"), ("u3", "1.0"), ("u4", "1"), ("u5", "0.0"), ("u6", "-0.0")]
    assert findings[0].evidence is findings[3].evidence, "evidence of the same values and types is still shared"


def test_framework_filter_keeps_only_mapped_controls(catalogs) -> None:
    chosen = select_controls(catalogs, ScanOptions(frameworks=["cis-gcp-foundations"]))
    assert chosen and all("cis-gcp-foundations" in c.control.frameworks for c in chosen)


def test_disabled_controls_and_parameter_overrides(catalogs) -> None:
    options = ScanOptions(params={"NHI-CRED-001": {"max_age_days": 200}}, disabled_controls=["NHI-OWN-001"])
    chosen = {c.id: c for c in select_controls(catalogs, options)}
    assert "NHI-OWN-001" not in chosen
    assert chosen["NHI-CRED-001"].params["max_age_days"] == 200
    assert chosen["NHI-CRED-001"].title.endswith("within 200 days")


def test_scores_weight_controls_by_severity() -> None:
    def summary(severity: str, passed: int, failed: int) -> ControlSummary:
        return ControlSummary(
            "C", "t", severity, "identity", {}, "r", "m", {"pass": passed, "fail": failed, "waived": 0, "unknown": 0}
        )

    assert control_score({"pass": 3, "fail": 1}) == 0.75
    assert control_score({"pass": 3, "fail": 0, "unknown": 1}) == 0.75, "an unknown result earns nothing"
    assert control_score({"pass": 0, "fail": 0, "unknown": 4}) == 0.0
    assert control_score({"pass": 0, "fail": 0, "waived": 2}) is None
    critical_fail = summary("critical", 0, 1)
    low_pass = summary("low", 1, 0)
    assert weighted_score([critical_fail, low_pass]) == round(100 * 1 / 11, 1)
    assert weighted_score([replace(critical_fail, counts={"pass": 0, "fail": 0})]) is None
    assert [grade(s) for s in (95, 85, 75, 65, 10, None)] == ["A", "B", "C", "D", "F", "n/a"]


def test_gate_counts_unwaived_failures_at_or_above_the_threshold(catalogs) -> None:
    inventory = make_inventory(OLD_KEY)
    high = run_scan(inventory, catalogs, ScanOptions(fail_on="high"))
    assert not high.gate["passed"] and high.gate["blocking_by_severity"] == {"high": 1}
    critical = run_scan(inventory, catalogs, ScanOptions(fail_on="critical"))
    assert critical.gate["passed"]
    assert run_scan(inventory, catalogs, ScanOptions(fail_on="none")).gate["passed"]


def test_a_scan_whose_critical_controls_are_all_unknown_does_not_grade_a(catalogs) -> None:
    """Third-party Azure exports: an application list and a service-principal list hold no grants,
    owners or sign-ins, so every critical control is unknown; three results pass and three fail.
    What the scan could not show earns nothing: the score is not the 90 (A) that the three passes
    of a coverage check and a key count made of it before."""
    from scanner.sources import SourceSpec, collect

    from .conftest import SHARED

    azure = SHARED / "realworld" / "azure" / "azure-cli-recording-graph-list-applications-passwordCredentials.json"
    result = run_scan(collect(SourceSpec("file", str(azure))), catalogs, ScanOptions())
    critical = [c for c in result.controls if c.severity == "critical" and any(c.counts.values())]
    assert critical and all(c.counts["unknown"] and not (c.counts["pass"] or c.counts["fail"]) for c in critical)
    assert result.score is not None and result.score < 50
    assert grade(result.score) == "F"


@pytest.mark.parametrize(
    ("control_id", "params", "refusal"),
    [
        ("NHI-CRED-001", {"max_age_days": float("inf")}, "must be a number of 0 or more"),
        ("NHI-CRED-001", {"max_age_days": -1}, "must be a number of 0 or more"),
        ("NHI-CRED-001", {"max_age_days": True}, "must be a number of 0 or more"),
        ("NHI-PRIV-010", {"services": []}, "must be a list of at least one entry"),
        ("NHI-PRIV-010", {"services": [1]}, "must list what its default lists"),
    ],
)
def test_a_parameter_that_would_switch_its_control_off_is_refused(
    catalogs, control_id: str, params: dict, refusal: str
) -> None:
    """``services: []`` left NHI-PRIV-010 judging nothing and ``max_age_days: .inf`` passed every
    key, while the reports said no control was disabled: controls.disabled is the way, and it is named."""
    with pytest.raises(InputError, match=refusal):
        select_controls(catalogs, ScanOptions(params={control_id: params}))


def test_a_parameter_the_title_does_not_name_is_said_after_it_when_set(catalogs) -> None:
    """``services: [example.amazonaws.com]`` narrowed NHI-PRIV-010 to no role of the estate, and no
    report said why its failures were gone: the title names a value it holds (max_age_days), not
    the services list."""
    narrowed = {"NHI-PRIV-010": {"services": ["example.amazonaws.com"]}, "NHI-CRED-001": {"max_age_days": 120}}
    titles = {c.id: c.title for c in select_controls(catalogs, ScanOptions(params=narrowed))}
    assert titles["NHI-PRIV-010"].endswith("(confused deputy) (services: example.amazonaws.com)")
    assert "120 days" in titles["NHI-CRED-001"] and "max_age_days" not in titles["NHI-CRED-001"]
    defaults = {c.id: c.title for c in select_controls(catalogs, ScanOptions())}
    assert defaults["NHI-PRIV-010"].endswith("(confused deputy)"), "the default is not said twice"
