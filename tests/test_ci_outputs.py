"""Machine-readable outputs for pipelines: SARIF against the official schema, JUnit read by a JUnit
library, the Markdown summary, CSV that cannot inject formulas, OCSF events, and the CI script."""

from __future__ import annotations

import csv
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from junitparser import Failure, JUnitXml, Skipped
from py_ocsf_models.events.findings.compliance_finding import ComplianceFinding
from py_ocsf_models.events.findings.detection_finding import DetectionFinding

from scanner.model import ScanResult
from scanner.reports import write_reports
from scanner.reports.view import failing_by_severity
from scanner.scan import ScanOptions, run_scan
from scanner.sources.manifests.discover import candidates

from .conftest import REPO_ROOT, SHARED, make_inventory

REALWORLD = SHARED / "realworld"

SARIF_SCHEMA = REPO_ROOT / ".cache" / "test-schemas" / "sarif-2.1.0-rtm.5.json"
WAIVERS = REPO_ROOT / "docs" / "examples" / "waivers.yaml"


@pytest.fixture(scope="module")
def outputs(demo_result: ScanResult, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ci")
    write_reports(demo_result, ["json", "sarif", "junit", "md", "csv", "ocsf"], out)
    return out


def test_sarif_is_valid_against_the_official_schema(outputs: Path) -> None:
    assert SARIF_SCHEMA.exists(), "run scripts/fetch-test-schemas.sh"
    schema = json.loads(SARIF_SCHEMA.read_text())
    sarif = json.loads((outputs / "results.sarif").read_text())
    jsonschema.Draft4Validator(schema).validate(sarif)


def test_sarif_rules_results_and_locations(outputs: Path, demo_result: ScanResult) -> None:
    (run,) = json.loads((outputs / "results.sarif").read_text())["runs"]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [c.id for c in demo_result.controls]
    admin = next(r for r in rules if r["id"] == "NHI-PRIV-001")
    assert admin["defaultConfiguration"]["level"] == "error"
    assert admin["properties"]["security-severity"] == "9.5"
    assert "owasp-nhi-top10-2025/NHI5:2025" in admin["properties"]["tags"]
    results = run["results"]
    reported = [f for f in demo_result.findings if f.status in ("fail", "waived")]
    assert len(results) == len(reported)
    by_fingerprint = {r["partialFingerprints"]["nhiscan/v1"]: r for r in results}
    secret = next(f for f in reported if f.control_id == "NHI-SECRET-001")
    physical = by_fingerprint[secret.fingerprint]["locations"][0]["physicalLocation"]
    assert physical["artifactLocation"]["uri"] == secret.resource.location["file"]
    cloud = next(f for f in reported if f.resource.provider == "aws")
    location = by_fingerprint[cloud.fingerprint]["locations"][0]
    assert location["physicalLocation"]["artifactLocation"]["uri"] == f"cloud/aws/{cloud.resource.account}"
    assert location["logicalLocations"][1]["fullyQualifiedName"] == cloud.resource.uid
    waived = next(f for f in reported if f.status == "waived")
    assert by_fingerprint[waived.fingerprint]["suppressions"][0]["kind"] == "external"


def test_sarif_fingerprints_are_stable_across_scans(catalogs, demo_result: ScanResult, tmp_path: Path) -> None:
    from scanner.sources import SourceSpec, collect

    again = run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions(waivers=WAIVERS))
    write_reports(again, ["sarif"], tmp_path / "a")
    write_reports(demo_result, ["sarif"], tmp_path / "b")

    def prints(path: Path) -> list[str]:
        (run,) = json.loads(path.read_text())["runs"]
        return [r["partialFingerprints"]["nhiscan/v1"] for r in run["results"]]

    assert prints(tmp_path / "a" / "results.sarif") == prints(tmp_path / "b" / "results.sarif")


def test_junit_has_a_case_per_control_with_failures_listing_resources(outputs: Path, demo_result) -> None:
    xml = JUnitXml.fromfile(str(outputs / "junit.xml"))
    (suite,) = list(xml)
    cases = {case.name.split(" ", 1)[0]: case for case in suite}
    assert set(cases) == {c.id for c in demo_result.controls} | {"gate"}
    failing = {c.id for c in demo_result.controls if c.counts["fail"]}
    assert not demo_result.gate["passed"]
    assert {cid for cid, case in cases.items() if any(isinstance(r, Failure) for r in case.result)} == failing | {
        "gate"
    }
    assert suite.failures == len(failing) + 1
    (gate_failure,) = cases["gate"].result
    assert "unwaived failures at or above high severity" in gate_failure.text
    # a control with passes and unknowns and no failure was not shown to hold: skipped, never green
    partly = [c for c in demo_result.controls if c.counts["unknown"] and c.counts["pass"] and not c.counts["fail"]]
    assert partly
    for control in partly:
        (skipped,) = cases[control.id].result
        assert isinstance(skipped, Skipped)
        assert skipped.message == (
            f"{control.counts['unknown']} resource(s) could not be assessed (unknown); {control.counts['pass']} passed"
        )
    failure = next(r for r in cases["NHI-PRIV-001"].result if isinstance(r, Failure))
    assert "terraform-runner" in failure.text and failure.message.startswith("4 resource(s) fail")
    assert any(isinstance(r, Skipped) for r in cases["NHI-AGENT-015"].result), "nothing to judge without a baseline"


def test_the_summary_fits_a_pull_request_comment(outputs: Path, demo_result: ScanResult) -> None:
    summary = (outputs / "summary.md").read_text()
    assert f"{demo_result.gate['blocking_findings']} unwaived failures at or above high severity" in summary
    counts = failing_by_severity(demo_result.findings)
    assert "| " + " | ".join(str(counts[s]) for s in ("critical", "high", "medium", "low")) + " |" in summary
    assert "### Top failing controls" in summary and "`NHI-PRIV-001`" in summary
    assert "**expired** (2026-10-15)" in summary and "**matches nothing**" in summary
    assert len(summary) < 65_536, "GitHub's comment and step-summary limits"


def hostile_result(catalogs, names: list[str]) -> ScanResult:
    inventory = make_inventory({
        "identities": [{"uid": f"arn:aws:iam::111111111111:user/u{i}", "name": n} for i, n in enumerate(names)],
    })  # fmt: skip
    return run_scan(inventory, catalogs, ScanOptions())


FORMULAS = ['=HYPERLINK("http://x","click")', "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "plain-name"]


def test_csv_cells_cannot_run_as_formulas(catalogs, tmp_path: Path) -> None:
    result = hostile_result(catalogs, FORMULAS)
    write_reports(result, ["csv"], tmp_path)
    with open(tmp_path / "findings.csv", newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    assert len(rows) == len(result.findings)
    names = {row["resource_name"] for row in rows}
    assert names == {"'" + n for n in FORMULAS[:-1]} | {"plain-name"}
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_the_summary_escapes_hostile_names(catalogs, tmp_path: Path) -> None:
    result = hostile_result(catalogs, ["a|b <script>alert(1)</script> `x` [link](http://evil)"])
    write_reports(result, ["md"], tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    assert "<script>" not in summary and "[link](http" not in summary


def test_ocsf_events_are_detection_findings_and_unknown_results_compliance_findings(
    outputs: Path, demo_result: ScanResult
) -> None:
    lines = (outputs / "findings.ocsf.jsonl").read_text().splitlines()
    assert len(lines) == sum(1 for f in demo_result.findings if f.status in ("fail", "waived", "unknown"))
    for line in lines:
        event = json.loads(line)
        if event["status_code"] == "unknown":  # detected nothing: no result for missing information
            ComplianceFinding.model_validate(event)
            assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2003, 2, 200301)
            continue
        DetectionFinding.model_validate(event)
        assert (event["class_uid"], event["category_uid"], event["type_uid"]) == (2004, 2, 200401)
    severities = {json.loads(line)["severity_id"] for line in lines}
    assert severities == {2, 3, 4, 5}
    suppressed = [json.loads(line) for line in lines if json.loads(line)["status"] == "Suppressed"]
    assert suppressed and all(e["comment"].startswith("waived by ") for e in suppressed)


# ---------------------------------------------------------------------- the CI script and action

NHISCAN = shutil.which("nhiscan", path=str(Path(sys.executable).parent)) or shutil.which("nhiscan")


def run_ci_script(tmp_path: Path, **env: str) -> tuple[int, Path, Path]:
    summary, outputs = tmp_path / "step-summary.md", tmp_path / "github-output"
    environment = {**os.environ, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs), **env}
    environment["PATH"] = f"{Path(NHISCAN).parent}:{environment['PATH']}"
    completed = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "ci-scan.sh")], cwd=tmp_path, env=environment, capture_output=True,
        text=True, timeout=300, check=False,
    )  # fmt: skip
    return completed.returncode, summary, outputs


@pytest.mark.skipif(NHISCAN is None, reason="the console script is installed by scripts/test.sh")
def test_the_ci_script_gates_and_writes_the_step_summary(tmp_path: Path) -> None:
    status, summary, outputs = run_ci_script(tmp_path, NHISCAN_SOURCES="demo", NHISCAN_FORMATS="json,sarif,md")
    assert status == 1
    assert "## nhiscan" in summary.read_text() and "unwaived failures at or above high" in summary.read_text()
    assert outputs.read_text().splitlines() == [
        "exit-code=1", "output-dir=nhiscan-out", "sarif=nhiscan-out/results.sarif"
    ]  # fmt: skip
    assert (tmp_path / "nhiscan-out" / "results.sarif").exists()
    passing = tmp_path / "passing"
    passing.mkdir()
    assert run_ci_script(passing, NHISCAN_SOURCES="demo", NHISCAN_FAIL_ON="none")[0] == 0


def test_the_action_runs_the_ci_script_with_its_inputs() -> None:
    action = yaml.safe_load((REPO_ROOT / "action.yml").read_text())
    steps = {step.get("id") or step.get("name"): step for step in action["runs"]["steps"]}
    scan = steps["scan"]
    assert scan["run"] == 'bash "${{ github.action_path }}/scripts/ci-scan.sh"'
    assert scan["continue-on-error"] is True, "SARIF is uploaded before the gate fails the job"
    assert set(scan["env"]) == {"NHISCAN_SOURCES", "NHISCAN_FAIL_ON", "NHISCAN_FORMATS", "NHISCAN_OUTPUT_DIR",
                                "NHISCAN_ARGS"}  # fmt: skip
    assert {f"inputs.{name}" for name in action["inputs"]} >= {v.strip("${} ").strip() for v in scan["env"].values()}
    assert steps["Gate"]["run"] == 'exit "${{ steps.scan.outputs.exit-code }}"'
    hooks = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hooks[0]["entry"].startswith("nhiscan scan manifests:.")
    gitlab = yaml.safe_load((REPO_ROOT / "ci" / "gitlab" / "nhiscan.gitlab-ci.yml").read_text())
    assert gitlab[".nhiscan"]["artifacts"]["reports"]["junit"] == "$NHISCAN_OUTPUT_DIR/junit.xml"


def test_the_pre_commit_hook_runs_when_any_file_the_manifests_source_reads_changes() -> None:
    """Its files filter named mcp.json and four other names: a token pasted into Codex's, Gemini's,
    Continue's or a devcontainer's configuration was committed without the hook ever running."""
    (hook,) = yaml.safe_load((REPO_ROOT / ".pre-commit-hooks.yaml").read_text())
    runs_for = re.compile(hook["files"]).search  # as pre-commit matches it, against the staged path
    read = [c.relpath for root in (REPO_ROOT / "tests" / "data", REALWORLD / "agents") for c in candidates(root)]
    assert len(read) >= 10 and [path for path in read if not runs_for(path)] == []
    for path in (".codex/config.toml", ".gemini/settings.json", "opencode.json", ".zed/settings.json",
                 ".continue/config.yaml", ".devcontainer/devcontainer.json", ".vscode/settings.json",
                 "cline_mcp_settings.json", "goose/config.yaml", "goose/secrets.yaml", "a/b.nhiscan.yml"):  # fmt: skip
        assert runs_for(path), path
    assert not runs_for("README.md") and not runs_for("src/app.py")


def test_the_ci_script_without_sources_is_bad_usage_not_findings(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "NHISCAN_SOURCES"}
    completed = subprocess.run(
        ["bash", str(REPO_ROOT / "scripts" / "ci-scan.sh")], cwd=tmp_path, env=environment, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip
    assert completed.returncode == 2, "1 would tell CI the scan found problems"
    assert completed.stderr.startswith("nhiscan: error: set NHISCAN_SOURCES")
