"""Controls nhiscan.yaml turns off are named in every report. A pull request that added a control
to ``controls.disabled`` turned a leaked token's failing scan into a pass, and nothing in
results.json, summary.md, the HTML or the terminal said a control had been switched off: only the
number of controls evaluated dropped."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from xml.etree import ElementTree

import jsonschema

from scanner.reports.view import results_line
from scanner.results_io import load_results

from .test_ci_outputs import SARIF_SCHEMA

TOKEN = "ghp_R8x2Kq9ZmT4vLp7WnB3cYd6FhJ1sGe5AoU0i"
DISABLED = ["NHI-AGENT-005", "NHI-SECRET-001"]


def test_disabled_controls_are_named_in_results_json_the_summaries_and_the_terminal(cli, tmp_path: Path) -> None:
    repository = tmp_path / "repo"
    repository.mkdir()
    (repository / ".mcp.json").write_text(
        json.dumps({"mcpServers": {"gh": {"command": "npx", "env": {"GITHUB_TOKEN": TOKEN}}}})
    )
    (tmp_path / "nhiscan.yaml").write_text(
        f'sources: ["manifests:{repository}"]\ncontrols:\n  disabled: [NHI-SECRET-001, NHI-AGENT-005]\n'
    )
    out = tmp_path / "out"
    outcome = cli("scan", "--config", str(tmp_path / "nhiscan.yaml"), "--format", "json,md,html,sarif,junit", "-o",
                  str(out), "--no-history")  # fmt: skip
    named = "2 disabled by the configuration (NHI-AGENT-005, NHI-SECRET-001)"
    assert named in outcome.output
    results = json.loads((out / "results.json").read_text())
    assert results["scan"]["disabled_controls"] == DISABLED
    assert named in (out / "summary.md").read_text()
    assert named in (out / "report.html").read_text()
    assert not {c["id"] for c in results["controls"]} & set(DISABLED)
    sarif = json.loads((out / "results.sarif").read_text())
    jsonschema.Draft4Validator(json.loads(SARIF_SCHEMA.read_text())).validate(sarif)
    (run,) = sarif["runs"]
    notes = run["invocations"][0]["toolConfigurationNotifications"]
    assert [(n["associatedRule"]["id"], n["message"]["text"]) for n in notes] == [
        (c, f"{c} disabled by the configuration: not evaluated") for c in DISABLED
    ]
    cases = ElementTree.parse(out / "junit.xml").getroot().iter("testcase")
    skipped = {case.get("name"): case.find("skipped") for case in cases if case.get("classname") == "nhiscan.disabled"}
    assert sorted(skipped) == DISABLED and all(s is not None for s in skipped.values()), "skipped, never passing"


def test_a_scan_that_disables_nothing_says_nothing_of_it(demo_result) -> None:
    assert demo_result.scan.disabled_controls == []
    assert "disabled" not in results_line(demo_result)


def test_older_results_without_the_field_are_read(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    cli("scan", "demo", "--format", "json", "-o", str(out), "--no-history", "-q")
    document = json.loads((out / "results.json").read_text())
    document["schema_version"] = "1.5"
    del document["scan"]["disabled_controls"]
    older = tmp_path / "older.json"
    older.write_text(json.dumps(document))
    assert load_results(older).scan.disabled_controls is None, "not recorded is not 'none disabled'"
    again = tmp_path / "again"
    assert cli("report", str(older), "--format", "json,md", "-o", str(again)).exit_code == 0
    assert json.loads((again / "results.json").read_text())["scan"]["disabled_controls"] is None
    assert "disabled" not in (again / "summary.md").read_text()


def _shards(catalogs, whole, disabled_in_first: list[str] | None, second_recorded: bool = True):
    from scanner.reports import ReportSettings
    from scanner.scan import ScanOptions, run_scan

    first = run_scan(whole, catalogs, ScanOptions(disabled_controls=disabled_in_first or []))
    second = run_scan(whole, catalogs, ScanOptions())
    if not second_recorded:
        second.scan.disabled_controls = None  # stored before 1.6
    return [first, second], ReportSettings(formats=("sarif", "junit"))


def test_a_control_one_shard_turned_off_and_another_evaluated_is_named_as_off_in_part_of_the_scan(catalogs) -> None:
    """It was named both among the controls evaluated and as disabled, twice in junit.xml (failing and
    skipped), with a SARIF note saying it was not evaluated beside its results."""
    from scanner.history.merge import merge_results
    from scanner.reports import junit, sarif
    from scanner.sources import SourceSpec, collect

    results, settings = _shards(catalogs, collect(SourceSpec("demo")), DISABLED)
    merged = merge_results(results, catalogs, "g")
    assert merged.scan.disabled_controls == DISABLED
    line = results_line(merged)
    assert "disabled by the configuration" not in line
    assert "2 disabled in part of the scan (NHI-AGENT-005, NHI-SECRET-001)" in line
    (run,) = json.loads(sarif.render(merged, settings))["runs"]
    notes = [n["message"]["text"] for n in run["invocations"][0]["toolConfigurationNotifications"]]
    assert notes == [f"{c} disabled by the configuration in part of the scan" for c in DISABLED]
    cases = list(ElementTree.fromstring(junit.render(merged, settings).split("\n", 1)[1]).iter("testcase"))
    named = [case.get("name", "").split(" ", 1)[0] for case in cases]
    assert all(named.count(c) == 1 for c in DISABLED), "one case each"
    for case in cases:
        if case.get("name", "").split(" ", 1)[0] in DISABLED:
            assert case.findtext("system-err") == "disabled by the configuration in part of the scan"


def test_a_shard_stored_before_1_6_does_not_hide_what_the_others_turned_off(catalogs) -> None:
    from scanner.history.merge import merge_results
    from scanner.model import Inventory
    from scanner.sources import SourceSpec, collect

    whole = collect(SourceSpec("demo"))
    results, _ = _shards(catalogs, whole, DISABLED, second_recorded=False)
    assert merge_results(results, catalogs, "g").scan.disabled_controls == DISABLED
    older_only, _ = _shards(catalogs, Inventory(collected_at=whole.collected_at), None, second_recorded=False)
    older_only[0].scan.disabled_controls = None
    assert merge_results(older_only, catalogs, "g").scan.disabled_controls is None


def _old_key_inventory():
    from datetime import UTC, datetime

    from scanner.model import Credential, Identity, Inventory

    user = Identity("arn:aws:iam::111122223333:user/ci", "aws", "111122223333", "user", "ci")
    key = Credential(
        "AKIAEXAMPLEOLDKEY001", "arn:aws:iam::111122223333:user/ci", "access_key",
        created=datetime(2020, 1, 1, tzinfo=UTC), last_rotated=datetime(2020, 1, 1, tzinfo=UTC),
    )  # fmt: skip
    return Inventory(collected_at=datetime(2026, 12, 1, tzinfo=UTC), identities=[user], credentials=[key])


def test_an_item_a_disabled_control_decides_is_unknown_never_passing(catalogs) -> None:
    """A key six years old failed NIST CSF PR.AA-01 and OWASP NHI7 through NHI-CRED-001; with the
    control turned off both read pass (NHI7 not applicable) and OWASP NHI Top 10 scored 100, while
    only the scope line said a control was off. The item names the control it lacks."""
    from scanner.scan import ScanOptions, run_scan

    def items(result) -> dict[tuple[str, str], object]:
        return {(f.id, i.id): i for f in result.frameworks for i in f.items}

    full = run_scan(_old_key_inventory(), catalogs, ScanOptions())
    off = run_scan(_old_key_inventory(), catalogs, ScanOptions(disabled_controls=["NHI-CRED-001"]))
    decided_by_it = [k for k, item in items(full).items() if "NHI-CRED-001" in item.controls and item.status == "fail"]
    assert ("nist-csf-2.0", "PR.AA-01") in decided_by_it and ("owasp-nhi-top10-2025", "NHI7:2025") in decided_by_it
    for key in decided_by_it:
        item = items(off)[key]
        assert item.status in ("unknown", "fail"), (key, item.status)  # another control may still fail it
        if item.status == "unknown":
            assert item.reason == "NHI-CRED-001 disabled by the configuration"
    scores = {f.id: f.score for f in off.frameworks}
    assert scores["owasp-nhi-top10-2025"] != 100.0


def test_a_control_one_shard_turned_off_leaves_only_that_shards_providers_items_unknown(catalogs) -> None:
    """The AWS shard turned NHI-CRED-001 off, the GCP shard ran it: CIS GCP 1.8 keeps the GCP
    shard's result (it became unknown, blamed on a control the GCP shard ran)."""
    import dataclasses
    from datetime import timedelta

    from scanner.history.merge import merge_results
    from scanner.model import Inventory
    from scanner.scan import ScanOptions, run_scan
    from scanner.sources import SourceSpec, collect

    def only(inventory: Inventory, provider: str) -> Inventory:
        ids = {i.uid for i in inventory.identities if i.provider == provider}
        return dataclasses.replace(
            inventory,
            accounts=[a for a in inventory.accounts if a.provider == provider],
            identities=[i for i in inventory.identities if i.provider == provider],
            credentials=[c for c in inventory.credentials if c.identity_uid in ids],
            grants=[g for g in inventory.grants if g.identity_uid in ids],
            agents=[a for a in inventory.agents if a.provider == provider],
            log_sources=[s for s in inventory.log_sources if s.provider == provider],
            sources=[s for s in inventory.sources if s.name == provider],
        )

    demo = collect(SourceSpec("demo"))
    aws = run_scan(only(demo, "aws"), catalogs, ScanOptions(disabled_controls=["NHI-CRED-001"]))
    young = only(demo, "gcp")
    for key in young.credentials:  # rotated ten days ago: NHI-CRED-001 passes on each
        key.created = key.last_rotated = young.collected_at - timedelta(days=10)
    gcp = run_scan(young, catalogs, ScanOptions())
    alone = {i.id: i.status for f in gcp.frameworks if f.id == "cis-gcp-foundations" for i in f.items}
    merged = merge_results([aws, gcp], catalogs, "g")
    items = {(f.id, i.id): i for f in merged.frameworks for i in f.items}
    assert items[("cis-gcp-foundations", "1.8")].status == alone["1.8"] == "pass"
    assert items[("cis-aws-foundations", "2.12")].status == "unknown"
    assert items[("cis-aws-foundations", "2.12")].reason == "NHI-CRED-001 disabled by the configuration"


def _part(whole, providers: set[str]):
    """The demo estate's records of some providers, as one shard of a sharded scan reads them."""
    import dataclasses

    holders = {r.uid for r in (*whole.identities, *whole.agents) if r.provider in providers}
    accounts = {a.uid for a in whole.accounts if a.provider in providers}
    return dataclasses.replace(
        whole,
        accounts=[a for a in whole.accounts if a.uid in accounts],
        identities=[i for i in whole.identities if i.uid in holders],
        agents=[a for a in whole.agents if a.uid in holders],
        credentials=[c for c in whole.credentials if c.identity_uid in holders],
        grants=[g for g in whole.grants if g.identity_uid in holders],
        log_sources=[s for s in whole.log_sources if s.account in accounts],
        sources=[s for s in whole.sources if s.account in accounts],
    )


def test_a_control_a_shard_limited_to_a_framework_did_not_run_is_not_evaluated_there(catalogs) -> None:
    """One shard scanned with --framework ran 12 controls: the merged report said every control was
    evaluated, counted the other shard's results alone, and a diff called the failures of the
    limited shard's resources under the controls it skipped resolved."""
    from scanner.diff import diff_results
    from scanner.history.merge import merge_results
    from scanner.scan import ScanOptions, run_scan
    from scanner.sources import SourceSpec, collect

    whole = collect(SourceSpec("demo"))
    clouds, rest = _part(whole, {"azure", "gcp"}), _part(whole, {"aws", "manifest"})
    full = merge_results(
        [run_scan(rest, catalogs, ScanOptions()), run_scan(clouds, catalogs, ScanOptions())], catalogs, "g"
    )
    limited_shard = run_scan(clouds, catalogs, ScanOptions(frameworks=["owasp-asi-top10-2026"]))
    limited = merge_results([run_scan(rest, catalogs, ScanOptions()), limited_shard], catalogs, "g")

    skipped = sorted({c.id for c in full.controls} - {c.id for c in limited_shard.controls})
    assert "NHI-PRIV-007" in skipped
    assert set(skipped) <= set(limited.scan.disabled_controls or ())
    assert "in part of the scan" in results_line(limited)
    privileged = next(c for c in limited.controls if c.id == "NHI-PRIV-007")
    assert privileged.limited_to == ["aws/*", "manifest/*"]

    drift = diff_results(full, limited)
    azure = [
        f for f in full.findings if f.status == "fail" and f.control_id in skipped and f.resource.provider == "azure"
    ]
    assert azure, "the limited shard's failures under the controls it did not run"
    assert {f.fingerprint for f in drift.resolved_failures}.isdisjoint(f.fingerprint for f in azure)
    unassessed = {u.finding.fingerprint: u.reason for u in drift.no_longer_assessed}
    assert {unassessed.get(f.fingerprint) for f in azure} == {"control_not_evaluated"}


def test_a_control_shards_judged_with_other_parameters_says_so_in_its_title(catalogs) -> None:
    """One shard rotated keys within 365 days, the other within 90: the merged report showed the
    latest shard's "within 90 days" over both shards' verdicts."""
    from scanner.history.merge import merge_results
    from scanner.scan import ScanOptions, run_scan
    from scanner.sources import SourceSpec, collect

    whole = collect(SourceSpec("demo"))
    relaxed = run_scan(
        _part(whole, {"azure", "gcp"}), catalogs, ScanOptions(params={"NHI-CRED-001": {"max_age_days": 365}})
    )
    default = run_scan(_part(whole, {"aws", "manifest"}), catalogs, ScanOptions())
    relaxed.scan.finished = default.scan.finished - timedelta(minutes=1)
    merged = merge_results([relaxed, default], catalogs, "g")
    (rotation,) = [c for c in merged.controls if c.id == "NHI-CRED-001"]
    assert rotation.title.endswith(
        "within 90 days (in part of the scan: Long-lived keys and secrets are rotated within 365 days)"
    )
    (same,) = [c for c in merged.controls if c.id == "NHI-OWN-001"]
    assert "in part of the scan" not in same.title


def test_shards_of_one_provider_limited_otherwise_leave_the_control_judged_nowhere_for_a_diff(catalogs) -> None:
    """Two AWS shards split by account, one limited to a framework: "aws/*" would admit the limited
    shard's resources too, and a diff called 75 of their failures resolved."""
    import dataclasses

    from scanner.diff import diff_results
    from scanner.history.merge import merge_results
    from scanner.scan import ScanOptions, run_scan
    from scanner.sources import SourceSpec, collect

    whole = collect(SourceSpec("demo"))
    aws = _part(whole, {"aws"})
    first, second = sorted({a.uid for a in aws.accounts})

    def of(account: str):
        return dataclasses.replace(
            aws,
            accounts=[a for a in aws.accounts if a.uid == account],
            identities=[i for i in aws.identities if i.account == account],
            agents=[a for a in aws.agents if a.account == account],
            sources=[s for s in aws.sources if s.account == account],
        )

    full = merge_results(
        [run_scan(of(first), catalogs, ScanOptions()), run_scan(of(second), catalogs, ScanOptions())], catalogs, "g"
    )
    limited_shard = run_scan(of(second), catalogs, ScanOptions(frameworks=["owasp-asi-top10-2026"]))
    limited = merge_results([run_scan(of(first), catalogs, ScanOptions()), limited_shard], catalogs, "g")
    skipped = {c.id for c in full.controls} - {c.id for c in limited_shard.controls}
    assert [c.limited_to for c in limited.controls if c.id in skipped] == [[] for _ in skipped]
    drift = diff_results(full, limited)
    gone = [f for f in full.findings if f.status == "fail" and f.control_id in skipped and f.resource.account == second]
    assert gone
    assert {f.fingerprint for f in drift.resolved_failures}.isdisjoint(f.fingerprint for f in gone)
