"""The gate does not lie: what every output says about a scan agrees with its exit code.

Each case is an edit of the demo estate (as a user's inventory file would be): an estate where only
nhiscan's own coverage control could decide anything, a partial read, a framework-limited scan of
an estate the framework is not about, an account that could not be read.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from scanner.inventory_io import inventory_from_data, inventory_to_json
from scanner.scan import Catalogs, ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

PROD = "111122223333"  # the demo's AWS production account
SANDBOX = "444455556666"  # its other AWS account
EVERY_IDENTITY_FIELD = ["owner", "last_used", "created", "tags", "attributes", "interactive", "grants", "credentials",
                        "trust"]  # fmt: skip


@pytest.fixture(scope="module")
def demo_data() -> dict[str, Any]:
    return json.loads(inventory_to_json(collect(SourceSpec("demo"))))


def one_account(data: dict[str, Any], account: str) -> dict[str, Any]:
    """Every record of one account, as a scan of that account alone would read it."""
    kept = copy.deepcopy(data)
    kept["accounts"] = [a for a in kept["accounts"] if a["uid"] == account]
    kept["sources"] = [s for s in kept["sources"] if s["account"] == account]
    for name in ("identities", "agents", "log_sources"):
        kept[name] = [r for r in kept[name] if r["account"] == account]
    holders = {r["uid"] for r in kept["identities"] + kept["agents"]}
    for name in ("credentials", "grants"):
        kept[name] = [r for r in kept[name] if r["identity_uid"] in holders]
    return kept


def without_account(data: dict[str, Any], account: str, status: str = "failed") -> dict[str, Any]:
    """The estate with nothing read from one account: its source failed (AccessDenied)."""
    kept = copy.deepcopy(data)
    gone = one_account(data, account)
    for name in ("accounts", "identities", "credentials", "grants", "agents", "log_sources"):
        uids = {r["uid"] for r in gone[name]}
        kept[name] = [r for r in kept[name] if r["uid"] not in uids]
    for source in kept["sources"]:
        if source["account"] == account:
            source["status"] = status
            source["errors"] = [{"call": "sts:AssumeRole", "message": "AccessDenied"}]
    return kept


def clean(data: dict[str, Any], catalogs: Catalogs) -> dict[str, Any]:
    """Only the identities no control fails or finds unknown, and none of their credentials or agents."""
    result = run_scan(inventory_from_data(copy.deepcopy(data), Path("<test>")), catalogs, ScanOptions())
    flawed = {f.resource.uid for f in result.findings}
    kept = copy.deepcopy(data)
    kept["identities"] = [i for i in kept["identities"] if i["uid"] not in flawed]
    holders = {i["uid"] for i in kept["identities"]}
    kept["grants"] = [g for g in kept["grants"] if g["identity_uid"] in holders]
    kept["credentials"], kept["agents"] = [], []
    return kept


Cli = Callable[..., Result]


def scan(cli: Cli, tmp_path: Path, data: dict[str, Any], *args: str) -> tuple[Result, Path]:
    snapshot, out = tmp_path / "inventory.json", tmp_path / "out"
    snapshot.write_text(json.dumps(data))
    formats = "json,md,junit,html"
    outcome = cli("scan", f"inventory:{snapshot}", "-q", "--format", formats, "--output-dir", str(out), *args)
    return outcome, out


def results_of(out: Path) -> dict[str, Any]:
    return json.loads((out / "results.json").read_text())


def assert_nothing_assessed(outcome: Result, out: Path) -> None:
    """Exit 3, a gate that did not pass, no score, and the summary saying so (never a tick)."""
    results = results_of(out)
    assert outcome.exit_code == 3
    assert results["gate"]["nothing_assessed"] is True and results["gate"]["passed"] is False
    assert results["score"] is None
    summary = (out / "summary.md").read_text()
    assert "Nothing was assessed" in summary and "✅" not in summary


class TestOnlyTheCoverageControlDecided:
    """Every identity's evidence is missing; NHI-COV-001 passes on the account record alone."""

    @pytest.fixture
    def data(self, demo_data: dict[str, Any], catalogs: Catalogs) -> dict[str, Any]:
        data = clean(one_account(demo_data, PROD), catalogs)
        data["grants"] = []
        for identity in data["identities"]:
            identity["unknown"] = EVERY_IDENTITY_FIELD
            identity["attributes"].pop("trust", None)
        for log_source in data["log_sources"]:
            log_source["unknown"] = ["enabled", "covers", "retention_days"]
        return data

    def test_nothing_was_assessed_and_the_scan_exits_3(self, cli: Cli, tmp_path: Path, data: dict[str, Any]) -> None:
        outcome, out = scan(cli, tmp_path, data, "--no-history")
        results = results_of(out)
        coverage = next(c for c in results["controls"] if c["id"] == "NHI-COV-001")
        assert coverage["counts"].get("pass") == 1, "the account itself was read completely"
        assert_nothing_assessed(outcome, out)

    def test_an_accounts_logging_failing_below_the_gate_is_no_assessment_of_its_identities(
        self, cli: Cli, tmp_path: Path, data: dict[str, Any]
    ) -> None:
        """A trail retaining 30 days fails NHI-LOG-008 (low) on the account: below a critical gate
        it made the scan pass, exit 0, with a score, though no identity was judged."""
        for log_source in data["log_sources"]:
            log_source["unknown"] = []
            log_source["retention_days"] = 30
        outcome, out = scan(cli, tmp_path, data, "--no-history", "--fail-on", "critical")
        results = results_of(out)
        assert [f for f in results["findings"] if f["status"] == "fail"], "the account-level failure is listed"
        assert results["score"] is None
        assert_nothing_assessed(outcome, out)
        outcome, out = scan(cli, tmp_path, data, "--no-history", "--fail-on", "low")
        assert outcome.exit_code == 1, "at or above the gate it speaks for itself"

    def test_a_failed_coverage_control_still_speaks_for_itself(
        self, cli: Cli, tmp_path: Path, data: dict[str, Any]
    ) -> None:
        data["sources"][0]["status"] = "partial"
        data["sources"][0]["errors"] = [{"call": "iam:GetAccountAuthorizationDetails", "message": "AccessDenied"}]
        outcome, out = scan(cli, tmp_path, data, "--no-history", "--allow-partial")
        assert outcome.exit_code == 1, "the partial read fails NHI-COV-001 (high): a finding, not nothing"
        assert results_of(out)["gate"]["nothing_assessed"] is False


class TestAnEstateOfAccountsAlone:
    """The sources held accounts and their logging but no identity, credential or agent (a wrong
    export path, an account whose IAM could not be listed). An account's own failure below the gate
    (its logging) made the scan look assessed: it passed, exit 0, with a score. One that blocks the
    gate fails it."""

    @pytest.fixture
    def data(self, demo_data: dict[str, Any]) -> dict[str, Any]:
        data = one_account(demo_data, PROD)
        for name in ("identities", "credentials", "grants", "agents"):
            data[name] = []
        for log_source in data["log_sources"]:
            log_source["retention_days"] = 30  # NHI-LOG-008 (low) fails on each
        return data

    def test_it_is_nothing_assessed_when_what_failed_on_the_account_is_below_the_gate(
        self, cli: Cli, tmp_path: Path, data: dict[str, Any]
    ) -> None:
        outcome, out = scan(cli, tmp_path, data, "--no-history", "--fail-on", "critical")
        results = results_of(out)
        assert [f for f in results["findings"] if f["status"] == "fail"], "an account-level failure is there"
        assert_nothing_assessed(outcome, out)

    def test_a_failure_that_blocks_the_gate_speaks_for_itself(
        self, cli: Cli, tmp_path: Path, data: dict[str, Any]
    ) -> None:
        """A trails export scanned alone: its logging failing at or above the gate fails the gate
        (exit 1, naming the failures), though no score is given."""
        outcome, out = scan(cli, tmp_path, data, "--no-history", "--fail-on", "low")
        results = results_of(out)
        assert outcome.exit_code == 1
        assert results["gate"]["nothing_assessed"] is False and results["gate"]["blocking_findings"] > 0
        assert results["score"] is None


class TestAPartialRead:
    """The account's records were all read, but one call was refused: exit 3 without --allow-partial,
    and no output may then say the gate passed."""

    @pytest.fixture
    def data(self, demo_data: dict[str, Any], catalogs: Catalogs) -> dict[str, Any]:
        data = clean(one_account(demo_data, PROD), catalogs)
        data["sources"][0]["status"] = "partial"
        data["sources"][0]["errors"] = [{"call": "iam:GetAccountAuthorizationDetails", "message": "AccessDenied"}]
        return data

    def test_every_output_and_the_history_say_the_gate_did_not_pass(
        self, cli: Cli, tmp_path: Path, data: dict[str, Any]
    ) -> None:
        outcome, out = scan(cli, tmp_path, data, "--fail-on", "critical")
        assert outcome.exit_code == 3
        gate = results_of(out)["gate"]
        assert gate["passed"] is False and gate["allow_partial"] is False
        assert gate["incomplete_sources"] == [f"aws:{PROD}"] and gate["blocking_findings"] == 0
        summary = (out / "summary.md").read_text()
        assert "✅" not in summary and f"aws:{PROD} not read completely" in summary
        junit_gate = (out / "junit.xml").read_text().split('name="gate"')[1]
        assert "<failure" in junit_gate and "not read completely" in junit_gate
        html = (out / "report.html").read_text()
        assert "passed." not in html and f"aws:{PROD} not read completely" in html
        listed = cli("history", "--format", "json")
        assert [row["passed"] for row in json.loads(listed.output)] == [False]

    def test_a_report_rendered_again_agrees(self, cli: Cli, tmp_path: Path, data: dict[str, Any]) -> None:
        _, out = scan(cli, tmp_path, data, "--fail-on", "critical", "--no-history")
        again = tmp_path / "again"
        cli("report", str(out / "results.json"), "--format", "md", "-q", "-o", str(again))
        summary = (again / "summary.md").read_text()
        assert "✅" not in summary and f"aws:{PROD} not read completely" in summary

    def test_allow_partial_accepts_the_read_and_says_so(self, cli: Cli, tmp_path: Path, data: dict[str, Any]) -> None:
        outcome, out = scan(cli, tmp_path, data, "--fail-on", "critical", "--allow-partial", "--no-history")
        assert outcome.exit_code == 0
        gate = results_of(out)["gate"]
        assert gate["passed"] is True and gate["allow_partial"] is True
        summary = (out / "summary.md").read_text()
        assert "✅ passed" in summary and f"aws:{PROD} not read completely (accepted with --allow-partial)" in summary


class TestAFrameworkLimitedScan:
    """``--framework ID`` judges the estate on that framework's scope only."""

    def test_a_framework_whose_providers_are_absent_assesses_nothing(
        self, cli: Cli, tmp_path: Path, demo_data: dict[str, Any]
    ) -> None:
        outcome, out = scan(cli, tmp_path, one_account(demo_data, PROD), "--framework", "cis-gcp-foundations",
                            "--no-history")  # fmt: skip
        assert outcome.exit_code == 3, "a CIS GCP gate neither fails nor passes an AWS-only estate"
        results = results_of(out)
        assert results["score"] is None and results["gate"]["nothing_assessed"] is True
        assert results["gate"]["blocking_findings"] == 0 and results["findings"] == []
        assert [(f["id"], f["in_scope"], f["score"]) for f in results["frameworks"]] == [
            ("cis-gcp-foundations", False, None)
        ]

    def test_only_the_frameworks_providers_are_gated_and_scored(self, catalogs: Catalogs) -> None:
        estate = collect(SourceSpec("demo"))
        limited = run_scan(estate, catalogs, ScanOptions(frameworks=["cis-aws-foundations"]))
        assert limited.findings and {f.resource.provider for f in limited.findings} == {"aws"}
        assert all(key.startswith("aws/") for c in limited.controls for key in c.evaluated_by_scope)
        assert limited.gate["blocking_findings"] == sum(
            1 for f in limited.findings if f.status == "fail" and f.severity in ("critical", "high")
        )
        everything = run_scan(estate, catalogs, ScanOptions())
        assert limited.score != everything.score


class TestAnAccountThatCouldNotBeRead:
    """Its controls earn nothing: a scan that saw less never scores better for it."""

    def test_the_posture_score_does_not_rise(self, demo_data: dict[str, Any], catalogs: Catalogs) -> None:
        def score(data: dict[str, Any]) -> float | None:
            inventory = inventory_from_data(copy.deepcopy(data), Path("<test>"))
            return run_scan(inventory, catalogs, ScanOptions(allow_partial=True)).score

        whole, unread = score(demo_data), score(without_account(demo_data, SANDBOX))
        assert whole is not None and unread is not None
        assert unread <= whole, f"{whole} with the account read, {unread} without it"

    def test_its_results_count_as_unknown_in_the_score_only(
        self, demo_data: dict[str, Any], catalogs: Catalogs
    ) -> None:
        from scanner.frameworks import weighted_score

        inventory = inventory_from_data(without_account(demo_data, SANDBOX), Path("<test>"))
        result = run_scan(inventory, catalogs, ScanOptions(allow_partial=True))
        assert result.score is not None and result.score < weighted_score(result.controls)
        assert all(f.resource.account != SANDBOX for f in result.findings if f.control_id != "NHI-COV-001"), (
            "no finding is made up for a resource nobody read"
        )


def test_ocsf_renders_an_unknown_result_as_a_compliance_finding_not_a_detection(
    demo_result: Any, tmp_path: Path
) -> None:
    from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding

    from scanner.reports import write_reports

    write_reports(demo_result, ["ocsf"], tmp_path)
    events = [json.loads(line) for line in (tmp_path / "findings.ocsf.jsonl").read_text().splitlines()]
    unknown = [e for e in events if e["status_code"] == "unknown"]
    assert unknown and len(unknown) == sum(1 for f in demo_result.findings if f.status == "unknown")
    for event in unknown:
        ComplianceFinding.model_validate(event)
        assert (event["class_uid"], event["type_uid"]) == (2003, 200301)
        assert event["compliance"]["status_id"] == 2, "OCSF: the check did not yield a result for missing information"
        assert event["compliance"]["status"] == "Warning" and event["compliance"]["status_detail"] == event["message"]
    assert all(e["class_uid"] == 2004 for e in events if e["status_code"] != "unknown")
