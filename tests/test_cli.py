"""The command-line contract: outputs, summaries and exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.loading import schema_errors

from .conftest import REPO_ROOT


def test_scan_demo_writes_reports_and_fails_the_default_gate(cli, tmp_path: Path) -> None:
    result = cli("scan", "demo", "--output-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "Posture score" in result.output and "Gate (fail on high): failed" in result.output
    for name in ("report.html", "results.json", "inventory.json"):
        assert (tmp_path / name).is_file()
    assert schema_errors(json.loads((tmp_path / "results.json").read_text()), "results") is None
    assert not list(tmp_path.glob(".*.tmp")), "no temporary files are left behind"


def test_the_gate_passes_when_nothing_reaches_the_threshold(cli, tmp_path: Path) -> None:
    assert cli("scan", "demo", "--fail-on", "none", "--quiet", "--output-dir", str(tmp_path)).exit_code == 0


def test_quiet_prints_nothing(cli, tmp_path: Path) -> None:
    result = cli("scan", "demo", "--quiet", "--fail-on", "none", "--output-dir", str(tmp_path))
    assert result.output == ""


def test_a_partially_read_source_exits_3_unless_allowed(cli, tmp_path: Path) -> None:
    snapshot = tmp_path / "partial.json"
    data = {
        "schema_version": "1.0",
        "collected_at": "2026-01-01T00:00:00Z",
        "accounts": [{"uid": "111111111111", "provider": "aws"}],
        "sources": [
            {
                "name": "aws",
                "account": "111111111111",
                "status": "partial",
                "errors": [{"call": "iam:GenerateCredentialReport", "message": "AccessDenied"}],
            }
        ],
    }
    snapshot.write_text(json.dumps(data))
    out = tmp_path / "out"
    partial = cli("scan", f"inventory:{snapshot}", "--output-dir", str(out))
    assert partial.exit_code == 3
    assert "iam:GenerateCredentialReport" in partial.output
    results = json.loads((out / "results.json").read_text())
    assert results["scan"]["sources"][0]["status"] == "partial", "reports are still written"
    cov = next(f for f in results["findings"] if f["control_id"] == "NHI-COV-001")
    assert cov["status"] == "fail"
    allowed = cli("scan", f"inventory:{snapshot}", "--allow-partial", "--output-dir", str(out))
    assert allowed.exit_code == 1, "the coverage control still fails the high-severity gate"
    # below the gate, accepting the partial read accepts no estate: it holds no identity
    allowed = cli("scan", f"inventory:{snapshot}", "--allow-partial", "--fail-on", "critical", "--output-dir", str(out))
    assert allowed.exit_code == 3
    gate_of = json.loads((out / "results.json").read_text())["gate"]
    assert gate_of["nothing_assessed"] is True and gate_of["passed"] is False


def test_a_quiet_scan_of_many_sources_not_read_completely_names_ten_in_one_short_line(cli, tmp_path: Path) -> None:
    """Exit 3 says which sources were not read completely, failed or partial, without calling a
    failed read partial; past ten it counts the rest (the reports list every one)."""
    accounts = [f"{index:012d}" for index in range(25)]
    snapshot = tmp_path / "many.json"
    data = {
        "schema_version": "1.0",
        "collected_at": "2026-01-01T00:00:00Z",
        "accounts": [{"uid": uid, "provider": "aws"} for uid in accounts],
        "sources": [
            {
                "name": "aws",
                "account": uid,
                "status": "failed" if index < 12 else "partial",
                "errors": [{"call": "iam:GenerateCredentialReport", "message": "AccessDenied"}],
            }
            for index, uid in enumerate(accounts)
        ],
    }
    snapshot.write_text(json.dumps(data))
    out = tmp_path / "out"
    result = cli("scan", f"inventory:{snapshot}", "-q", "--no-history", "--format", "json", "--output-dir", str(out))
    assert result.exit_code == 3
    (line,) = result.output.strip().splitlines()
    named = ", ".join(f"aws:{uid}" for uid in accounts[:10])
    assert line == (
        f"nhiscan: error: not read completely (12 failed, 13 partial): {named} and 15 more "
        "(--allow-partial accepts a partial read)"
    )
    written = json.loads((out / "results.json").read_text())
    assert written["gate"]["incomplete_sources"] == [f"aws:{uid}" for uid in accounts]


def test_inventory_then_scan_of_the_snapshot_gives_the_same_results(cli, tmp_path: Path) -> None:
    snapshot = tmp_path / "snap.json"
    assert cli("inventory", "demo", "-o", str(snapshot)).exit_code == 0
    cli("scan", "demo", "-q", "--no-history", "--output-dir", str(tmp_path / "a"))
    cli("scan", f"inventory:{snapshot}", "-q", "--no-history", "--output-dir", str(tmp_path / "b"))

    def comparable(path: Path) -> dict:
        data = json.loads(path.read_text())
        data.pop("scan")
        return data

    assert comparable(tmp_path / "a" / "results.json") == comparable(tmp_path / "b" / "results.json")


def test_as_of_re_evaluates_an_archived_inventory(cli, tmp_path: Path) -> None:
    cli("scan", "demo", "-q", "--as-of", "2027-06-01", "--output-dir", str(tmp_path))
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["scan"]["as_of"] == "2027-06-01T00:00:00Z"
    assert cli("scan", "demo", "--as-of", "next week").exit_code == 2


def test_framework_scope_limits_controls_and_postures(cli, tmp_path: Path) -> None:
    cli("scan", "demo", "-q", "--framework", "cis-aws-foundations", "--output-dir", str(tmp_path))
    results = json.loads((tmp_path / "results.json").read_text())
    assert [f["id"] for f in results["frameworks"]] == ["cis-aws-foundations"]
    assert all("cis-aws-foundations" in c["frameworks"] for c in results["controls"])
    deciding = {"direct", "partial"}
    assert all(
        any(m["framework"] == "cis-aws-foundations" and m["relationship"] in deciding for m in c["mappings"])
        for c in results["controls"]
    ), "a supporting mapping decides nothing: it does not put a control in a framework's scan"


def test_a_scan_limited_to_a_framework_no_control_decides_has_no_score(cli, tmp_path: Path) -> None:
    """NIST AI 600-1: the controls map to it as supporting evidence only, so none of its items is
    assessed; a scan limited to it is scored on nothing, not on that evidence (it read 78.2, C)."""
    outcome = cli("scan", "demo", "-q", "--framework", "nist-ai-600-1", "--no-history", "--format", "json",
                  "--output-dir", str(tmp_path))  # fmt: skip
    assert outcome.exit_code == 3
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["score"] is None and results["gate"]["nothing_assessed"] is True


def test_include_passed_lists_passing_findings(cli, tmp_path: Path) -> None:
    cli("scan", "demo", "-q", "--include-passed", "--format", "json", "--output-dir", str(tmp_path))
    statuses = {f["status"] for f in json.loads((tmp_path / "results.json").read_text())["findings"]}
    assert statuses == {"fail", "pass", "unknown"}


def test_extra_controls_directory_adds_controls_and_frameworks(cli, tmp_path: Path) -> None:
    controls = tmp_path / "org-controls"
    (controls / "frameworks").mkdir(parents=True)
    (controls / "frameworks" / "acme-policy.yaml").write_text(
        "id: acme-policy\nname: Acme identity policy\nversion: '2026'\nitems:\n"
        "  - {id: AC-1, title: Service users are tagged with a cost centre}\n"
    )
    (controls / "ACME-001.yaml").write_text(
        "id: ACME-001\ntitle: Service users carry a cost-centre tag\nseverity: low\nresource: identity\n"
        "where: {field: kind, equals: user}\nrequire: {field: tags.cost-centre, exists: true}\n"
        "frameworks:\n"
        "  acme-policy@2026: [{item: AC-1, relationship: direct, rationale: The item asks for this very tag.}]\n"
        "  nist-csf-2.0@2.0: [{item: ID.AM-02, relationship: supporting, rationale: Tags help inventory services.}]\n"
        "rationale: Costs of identities are charged back to the team that owns them.\n"
        "remediation: Add the cost-centre tag to the user.\n"
        "tests:\n"
        "  - {name: untagged fails, expect: fail, inventory: {identities: [{uid: u1}]}}\n"
        "  - {name: tagged passes, expect: pass, inventory: {identities: [{uid: u1, tags: {cost-centre: '42'}}]}}\n"
    )
    assert cli("controls", "validate", str(controls)).exit_code == 0
    cli(
        "scan",
        "demo",
        "-q",
        "--controls",
        str(controls),
        "--framework",
        "acme-policy",
        "--output-dir",
        str(tmp_path / "out"),
    )
    results = json.loads((tmp_path / "out" / "results.json").read_text())
    assert [c["id"] for c in results["controls"]] == ["ACME-001"]
    assert results["frameworks"][0]["items"][0]["status"] == "fail"


def test_controls_list_show_and_validate_the_bundled_set(cli) -> None:
    listing = cli("controls", "list")
    assert listing.exit_code == 0 and "NHI-CRED-001" in listing.output
    shown = cli("controls", "show", "NHI-AGENT-004")
    assert shown.exit_code == 0 and "secrets_read" in shown.output and "ASI02" in shown.output
    told = [line for line in shown.output.splitlines() if line.startswith(("rationale: ", "remediation: "))]
    assert len(told) == 2 and not any(line.rstrip().endswith("?") for line in told), "no stray '?' for the last newline"
    validated = cli("controls", "validate", str(REPO_ROOT / "controls"))
    assert validated.exit_code == 0 and "test cases passed" in validated.output
    assert cli("controls", "show", "NOPE-1").exit_code == 2


def test_frameworks_list_and_show_coverage(cli) -> None:
    assert "owasp-asi-top10-2026" in cli("frameworks", "list").output
    shown = cli("frameworks", "show", "csa-maestro")
    assert "Layer 1" in shown.output and "not assessable" in shown.output
    assert cli("frameworks", "show", "iso-27001").exit_code == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["scan"], "name at least one SOURCE"),
        (["scan", "nowhere"], "unknown source 'nowhere'"),
        (["scan", "demo:extra"], "takes no argument"),
        (["scan", "inventory"], "needs inventory:PATH"),
        (["scan", "demo", "--format", "docx"], "unknown format docx"),
        (["scan", "demo", "--framework", "iso-27001"], "unknown framework id iso-27001"),
        (["scan", "demo", "--fail-on", "severe"], "Invalid value for '--fail-on'"),
    ],
)
def test_usage_errors_exit_2_and_say_why(cli, args: list[str], message: str) -> None:
    result = cli(*args)
    assert result.exit_code == 2
    assert message in result.output


@pytest.mark.parametrize(
    "args",
    [
        ["scan", "demo", "--fail-on", "High"],
        ["scan", "demo", "--paper", "A5"],
        ["scan", "demo", "--no-such-option"],
        ["history", "--limit", "many"],
    ],
)
def test_a_usage_mistake_is_one_line(cli, args: list[str]) -> None:
    """click printed a block (Usage:, Try …, a blank line, Error: …) where every other mistake is
    one line."""
    result = cli(*args)
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and result.output.startswith("nhiscan: error: "), result.output
    assert "--help" in result.output


def test_inventory_of_a_partial_source_is_written_and_exits_3(cli, tmp_path: Path) -> None:
    snapshot = tmp_path / "partial.json"
    snapshot.write_text(
        json.dumps(
            {
                "schema_version": "1.0",
                "collected_at": "2026-01-01T00:00:00Z",
                "sources": [{"name": "gcp", "account": "p1", "status": "failed", "errors": []}],
            }
        )
    )
    out = tmp_path / "copy.json"
    assert cli("inventory", f"inventory:{snapshot}", "-o", str(out)).exit_code == 3
    assert json.loads(out.read_text())["sources"][0]["status"] == "failed"
    # nothing at all was read: exit 3 even when a partial read is allowed, as a scan does
    assert cli("inventory", f"inventory:{snapshot}", "-o", str(out), "--allow-partial").exit_code == 3


def test_an_inventory_of_nothing_exits_3_with_one_line(cli, tmp_path: Path) -> None:
    empty = tmp_path / "repo"
    empty.mkdir()
    outcome = cli("inventory", f"manifests:{empty}", "-o", str(tmp_path / "inv.json"))
    assert outcome.exit_code == 3
    assert "nhiscan: error: the sources held no identities, credentials or agents" in outcome.output


def test_report_refuses_a_scan_and_a_scan_group_together(cli, tmp_path: Path) -> None:
    """Either one scan or a whole group is rendered; given both, the scan id was silently ignored."""
    outcome = cli("report", "deadbeef", "--scan-group", "2026-w48", "-o", str(tmp_path / "out"))
    assert outcome.exit_code == 2 and "not both" in outcome.output
