"""A scan group's merged report is of one run: the latest scan of each shard (of each scope, for
scans without a shard), so that a group name used every week or a shard run twice never counts a
finding twice, never keeps a failure the latest run fixed, and says which shard a run is missing
instead of mixing in another run's. Its trend is one point per run, never one per shard."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import MetaData, Table, select

from scanner.history.merge import merge_group
from scanner.history.store import HistoryStore
from scanner.model import SEVERITY_RANK, ScanResult, SourceError
from scanner.reports.json_results import render
from scanner.scan import gate
from scanner.sharding import Shard
from scanner.sources import SourceSpec, collect

from .test_history import _demo_part

AWS, REST = {"aws"}, {"azure", "gcp", "manifest"}


@pytest.fixture(scope="module")
def whole():
    return collect(SourceSpec("demo"))


def _fixed(result: ScanResult, catalogs, whole, providers: set[str]) -> tuple[ScanResult, str]:
    """The same part scanned again after one failing identity was removed: that failure is fixed."""
    failing = next(f for f in result.findings if f.status == "fail" and f.resource.type == "identity")
    smaller = dataclasses.replace(whole, identities=[i for i in whole.identities if i.uid != failing.resource.uid])
    again = _demo_part(smaller, catalogs, providers)
    assert failing.fingerprint not in {f.fingerprint for f in again.findings}
    return again, failing.fingerprint


def _agrees(merged: ScanResult | dict) -> int:
    """The merged report's figures agree with each other: its controls' failing counts, its
    failing findings and its trend's last point (the severity table). Returns the failures."""
    document = merged if isinstance(merged, dict) else json.loads(render(merged))
    failing = [f for f in document["findings"] if f["status"] == "fail"]
    counted = sum(c["counts"].get("fail", 0) for c in document["controls"])
    assert counted == len(failing), "counts and findings disagree"
    if document["trend"]:
        assert document["trend"][-1]["failing"] == len(failing)
        assert sum(document["trend"][-1]["failing_by_severity"].values()) == len(failing)
    return len(failing)


def _save(store: HistoryStore, result: ScanResult, shard: str | None, run: str | None, group: str = "weekly") -> None:
    store.save(result, render(result), group=group, shard=Shard.parse(shard), run=run)


def test_a_reused_group_merges_only_its_latest_scan(cli, catalogs, whole, db_url: str, tmp_path: Path) -> None:
    """docs/history.md's own configuration stores every scan in group 'weekly': the merged report
    had added up all of them (714 failing results beside a severity table of 358), kept a failure
    the latest scan had fixed and gated on the first scan's fail_on."""
    store = HistoryStore(db_url)
    before = _demo_part(whole, catalogs, AWS | REST)
    _save(store, before, None, None)
    latest, fixed = _fixed(before, catalogs, whole, AWS | REST)
    latest.scan.fail_on, latest.gate = "critical", gate(latest, "critical")  # it gates on critical only
    _save(store, latest, None, None)
    out = tmp_path / "merged"
    assert cli("report", "--scan-group", "weekly", "--db", db_url, "--format", "json", "-o", str(out)).exit_code == 0
    merged = json.loads((out / "results.json").read_text())
    assert _agrees(merged) == sum(1 for f in latest.findings if f.status == "fail")
    assert {f["fingerprint"] for f in merged["findings"]} == {f.fingerprint for f in latest.findings}
    assert fixed not in {f["fingerprint"] for f in merged["findings"]}, "the fix is shown"
    assert {c["id"]: c["counts"] for c in merged["controls"]} == {c.id: c.counts for c in latest.controls}
    assert merged["score"] == latest.score
    assert merged["gate"]["fail_on"] == "critical" and merged["scan"]["fail_on"] == "critical"


def test_a_shard_run_again_replaces_its_earlier_scan(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    first = _demo_part(whole, catalogs, AWS)
    _save(store, first, "1/2", "r1")
    _save(store, _demo_part(whole, catalogs, REST), "2/2", "r1")
    rerun = _demo_part(whole, catalogs, REST)
    _save(store, rerun, "2/2", "r1")
    merged = merge_group(store, catalogs, "weekly")
    assert _agrees(merged) == sum(1 for p in (first, rerun) for f in p.findings if f.status == "fail")
    for control in merged.controls:
        parts = [c for p in (first, rerun) for c in p.controls if c.id == control.id]
        assert control.counts == {k: sum(c.counts.get(k, 0) for c in parts) for k in control.counts}
    assert not merged.gate["incomplete_sources"]


def test_a_shard_the_latest_run_lacks_is_named_not_taken_from_the_run_before(catalogs, whole, db_url: str) -> None:
    """Run w48 stored shard 1 of 2 only: shard 2's latest scan is of w47, a week older. Mixing it in
    silently would report last week's failures as this week's; it is a named gap instead."""
    store = HistoryStore(db_url)
    _save(store, _demo_part(whole, catalogs, AWS), "1/2", "w47")
    stale = _demo_part(whole, catalogs, REST)
    _save(store, stale, "2/2", "w47")
    latest = _demo_part(whole, catalogs, AWS)
    _save(store, latest, "1/2", "w48")
    merged = merge_group(store, catalogs, "weekly")
    assert {f.fingerprint for f in merged.findings} == {f.fingerprint for f in latest.findings}
    assert _agrees(merged) == sum(1 for f in latest.findings if f.status == "fail")
    gap = next(s for s in merged.scan.sources if s.name == "shard")
    assert (gap.account, gap.status) == ("2/2", "failed")
    assert "w48" in gap.errors[0].message and "w47" in gap.errors[0].message
    assert merged.gate["incomplete_sources"] == ["shard:2/2"]
    assert not merged.gate["passed"] or merged.gate["incomplete_sources"], "never a silent pass"
    earlier = merge_group(store, catalogs, "weekly", run="w47")
    assert not earlier.gate["incomplete_sources"], "an earlier run can be merged by its key"


def test_the_merged_trend_is_one_point_per_run(cli, catalogs, whole, db_url: str, tmp_path: Path) -> None:
    """The merged results.json's trend had been the group's scans: the two shards of one run drawn
    as two successive scans, [(66.1, 358), (None, 0)]."""
    store = HistoryStore(db_url)
    week1 = [_demo_part(whole, catalogs, AWS), _demo_part(whole, catalogs, REST)]
    _save(store, week1[0], "1/2", "w47")
    _save(store, week1[1], "2/2", "w47")
    fixed, _ = _fixed(week1[1], catalogs, whole, REST)
    week2 = [_demo_part(whole, catalogs, AWS), fixed]
    _save(store, week2[0], "1/2", "w48")
    _save(store, week2[1], "2/2", "w48")
    out = tmp_path / "merged"
    assert cli("report", "--scan-group", "weekly", "--db", db_url, "--format", "json", "-o", str(out)).exit_code == 0
    merged = json.loads((out / "results.json").read_text())
    failing = _agrees(merged)
    assert [p["failing"] for p in merged["trend"]] == [
        sum(1 for p in week1 for f in p.findings if f.status == "fail"),
        failing,
    ]
    assert merged["trend"][-1]["score"] == merged["score"]
    failing_then, failing_now = ({f.fingerprint for p in week for f in p.findings if f.status == "fail"}
                                 for week in (week1, week2))  # fmt: skip
    assert (merged["trend"][-1]["new"], merged["trend"][-1]["resolved"]) == (0, len(failing_then - failing_now))
    assert failing_then - failing_now, "the identity removed had failed"


def test_shards_stored_without_a_run_key_are_one_run_and_one_trend_point(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    _save(store, _demo_part(whole, catalogs, AWS), "1/2", None, group="2026-w48")
    _save(store, _demo_part(whole, catalogs, REST), "2/2", None, group="2026-w48")
    merged = merge_group(store, catalogs, "2026-w48")
    assert len(merged.trend) == 1 and merged.trend[0].score == merged.score
    assert _agrees(merged) and not merged.gate["incomplete_sources"]


def test_a_shard_never_stored_is_named(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    _save(store, _demo_part(whole, catalogs, AWS), "1/3", "r1")
    _save(store, _demo_part(whole, catalogs, REST), "3/3", "r1")
    merged = merge_group(store, catalogs, "weekly")
    assert merged.gate["incomplete_sources"] == ["shard:2/3"]
    assert "no scan of shard 2/3" in merged.scan.sources[-1].errors[0].message


def test_scans_stored_before_shards_were_recorded_are_unsharded(catalogs, whole, db_url: str, tmp_path: Path) -> None:
    """A history at revision 0005 holds no shard: its scans of a group are merged per scope, as
    before, after the upgrade."""
    donor = HistoryStore(f"sqlite:///{tmp_path / 'donor.db'}")
    parts = [_demo_part(whole, catalogs, AWS), _demo_part(whole, catalogs, REST)]
    for part in parts:
        donor.save(part, render(part), group="weekly")
    with donor.engine.connect() as connection:
        rows = [
            dict(r._mapping) for r in connection.execute(select(Table("scans", MetaData(), autoload_with=connection)))
        ]
    old = HistoryStore(db_url, migrate=False)
    old.migrate("0005")
    with old.engine.begin() as connection:
        table = Table("scans", MetaData(), autoload_with=connection)
        for row in rows:
            connection.execute(table.insert().values({k: v for k, v in row.items() if k in table.c}))
    merged = merge_group(HistoryStore(db_url), catalogs, "weekly")
    assert {f.fingerprint for f in merged.findings} == {f.fingerprint for p in parts for f in p.findings}
    assert _agrees(merged) and not merged.gate["incomplete_sources"]


def test_a_sharded_scan_into_a_fixed_group_keeps_its_own_trend(cli, db_url: str, tmp_path: Path) -> None:
    """With a fixed group and a run key, a shard's trend is the same shard in the group's earlier
    runs (before, a shard's scans in its own group were never its past: no trend, no new failures)."""
    for week in ("w47", "w48"):
        outcome = cli("scan", "demo", "--shard", "1/1", "--scan-group", "weekly", "--scan-run", week, "--db", db_url,
                      "--format", "json", "-q", "--output-dir", str(tmp_path / week))  # fmt: skip
        assert outcome.exit_code == 1, outcome.output
    latest = json.loads((tmp_path / "w48" / "results.json").read_text())
    assert len(latest["trend"]) == 2 and latest["trend"][-1]["new"] == 0
    (row, _) = HistoryStore(db_url).listing("weekly")
    assert (row["shard"], row["scan_run"]) == ("1/1", "w48")


def test_a_run_with_an_unread_account_scores_no_higher_than_with_it_read(catalogs, whole, db_url: str) -> None:
    """An account whose source failed earns nothing in the posture score (its failures would
    otherwise vanish from it and raise it): a scan group's merged report scores it so too. Before,
    the demo's run without its development account merged to 67.7 against 65.5 with it read."""
    lost = "444455556666"
    partial = dataclasses.replace(
        whole,
        identities=[i for i in whole.identities if i.account != lost],
        agents=[a for a in whole.agents if a.account != lost],
        log_sources=[s for s in whole.log_sources if s.account != lost],
        sources=[
            dataclasses.replace(
                s, status="failed", errors=[SourceError("iam:GetAccountAuthorizationDetails", "denied")]
            )
            if s.account == lost
            else s
            for s in whole.sources
        ],
    )
    store = HistoryStore(db_url)
    for group, estate in (("read", whole), ("lost", partial)):
        _save(store, _demo_part(estate, catalogs, AWS), "1/2", "r1", group=group)
        _save(store, _demo_part(estate, catalogs, REST), "2/2", "r1", group=group)
    read, lost_run = merge_group(store, catalogs, "read"), merge_group(store, catalogs, "lost")
    assert read.score is not None and lost_run.score is not None
    assert lost_run.score < read.score, "losing an account never raises the score"


@pytest.mark.parametrize("accepted", [(True, True), (True, False)], ids=["both shards", "one shard"])
def test_a_partial_read_is_accepted_in_the_merged_gate_only_when_every_shard_accepted_it(
    catalogs, whole, accepted: tuple[bool, bool], tmp_path: Path
) -> None:
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    for (shard, providers), allowed in zip((("1/2", AWS), ("2/2", REST)), accepted, strict=True):
        part = _demo_part(whole, catalogs, providers)
        part.scan.sources[0] = dataclasses.replace(part.scan.sources[0], status="partial")
        part.scan.fail_on = "none"
        part.gate = gate(part, "none", allowed)
        _save(store, part, shard, "r1")
    merged = merge_group(store, catalogs, "weekly")
    assert merged.gate["incomplete_sources"]
    assert merged.gate["passed"] is all(accepted) and merged.gate["allow_partial"] is all(accepted)


def test_a_run_whose_shards_judged_a_control_differently_resolves_none_of_its_failures(
    catalogs, whole, db_url: str
) -> None:
    """Run r2's AWS shard raised max_age_days to 100 years: the merged report's definition of that
    control is the run's mixed one, equal to no shard's, so the key-age failures gone since run r1
    are not resolved (they read resolved when a disagreement was recorded as no definition), and
    the merged results.json is valid."""
    from scanner.diff import diff_results
    from scanner.results_io import checked_document

    rotation = "NHI-CRED-001"
    store = HistoryStore(db_url)
    aws_only = _demo_part(whole, catalogs, AWS)
    _save(store, aws_only, "1/2", "r1")
    _save(store, _demo_part(whole, catalogs, REST), "2/2", "r1")
    relaxed = _demo_part(whole, catalogs, AWS, params={rotation: {"max_age_days": 36500}})
    _save(store, relaxed, "1/2", "r2")
    _save(store, _demo_part(whole, catalogs, REST), "2/2", "r2")
    before, after = merge_group(store, catalogs, "weekly", run="r1"), merge_group(store, catalogs, "weekly", run="r2")
    definition = {c.id: c.definition for c in after.controls}[rotation]
    assert definition not in {c.definition for r in (before, relaxed, aws_only) for c in r.controls if c.id == rotation}
    drift = diff_results(before, after)
    gone = [u for u in drift.no_longer_assessed if u.finding.control_id == rotation]
    assert gone and {u.reason for u in gone} == {"control_changed"}
    assert rotation not in {f.control_id for f in drift.resolved_failures}
    checked_document(json.loads(render(after)), Path("merged.json"))  # raises when it breaks the schema


def test_a_record_one_shard_saw_fail_stays_failing_when_a_later_shard_could_not_judge_it(
    catalogs, whole, db_url: str
) -> None:
    """A tenant-wide record is read by more than one shard (an Entra service principal, linked by
    every shard whose subscriptions grant it a role), and each shard judges it on its own part of
    the evidence. When one saw it fail and a later one could not judge it, the merged report keeps
    the failure, counted once, and its gate counts it. Before, the latest shard's copy won: the
    failure became unknown, which no gate blocks on."""
    first = _demo_part(whole, catalogs, AWS)
    failing = next(f for f in first.findings if f.status == "fail" and f.resource.type == "credential")
    credential = next(c for c in whole.credentials if c.uid == failing.resource.uid)
    holder = next(i for i in whole.identities if i.uid == credential.identity_uid)
    not_read = ["created", "expires", "last_used", "last_rotated", "active", "managed_by_provider"]
    # the second shard: the rest of the estate, and that credential's holder seen from its side
    # (none of the holder's grants, the credential's dates not read)
    seen_from_the_rest = dataclasses.replace(
        whole,
        accounts=[a for a in whole.accounts if a.provider != "aws" or a.uid == holder.account],
        identities=[i for i in whole.identities if i.provider != "aws" or i is holder],
        credentials=[dataclasses.replace(c, unknown=not_read) if c is credential else c for c in whole.credentials],
        grants=[g for g in whole.grants if g.identity_uid != holder.uid],
        agents=[a for a in whole.agents if a.provider != "aws"],
        log_sources=[s for s in whole.log_sources if s.provider != "aws"],
    )
    later = _demo_part(seen_from_the_rest, catalogs, AWS | REST)
    assert {f.status for f in later.findings if f.fingerprint == failing.fingerprint} == {"unknown"}
    assert later.scan.finished >= first.scan.finished
    store = HistoryStore(db_url)
    _save(store, first, "1/2", "r1")
    _save(store, later, "2/2", "r1")
    merged = merge_group(store, catalogs, "weekly")
    assert [f.status for f in merged.findings if f.fingerprint == failing.fingerprint] == ["fail"]
    _agrees(merged)
    control = next(c for c in merged.controls if c.id == failing.control_id)
    separate = sum(c.counts["unknown"] for r in (first, later) for c in r.controls if c.id == failing.control_id)
    assert control.counts["unknown"] == separate - 1, "the unknown copy is not counted beside the failure"
    assert merged.gate["blocking_findings"] == sum(
        1 for f in merged.findings if f.status == "fail" and SEVERITY_RANK[f.severity] >= SEVERITY_RANK["high"]
    ), "the gate counts the kept failure"


@pytest.mark.parametrize("waived_in", ["later", "earlier"])
def test_whether_a_failure_two_shards_hold_is_waived_the_latest_shard_s_waivers_say(
    catalogs, whole, tmp_path: Path, waived_in: str
) -> None:
    """Failing and waived are one failure both shards saw; a waiver added (or lapsed) since the
    earlier shard ran is the latest shard's to apply. Before, failing always won: a new waiver
    listed under waivers.applied left its finding failing and the merged gate blocking on it."""
    from scanner.history.merge import merge_results

    part = _demo_part(whole, catalogs, AWS)
    failing = next(f for f in part.findings if f.status == "fail" and f.resource.type == "identity")
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f'waivers:\n  - control: {failing.control_id}\n    resource: "{failing.resource.uid}"\n'
        "    owner: alice@example.com\n    reason: accepted until the migration\n    expires: 2027-03-01\n"
    )
    with_waiver = {"waivers": waivers}
    earlier = _demo_part(whole, catalogs, AWS, **({} if waived_in == "later" else with_waiver))
    later = _demo_part(whole, catalogs, AWS | REST, **(with_waiver if waived_in == "later" else {}))
    merged = merge_results([earlier, later], catalogs, "weekly")
    (kept,) = [f for f in merged.findings if f.fingerprint == failing.fingerprint]
    assert kept.status == ("waived" if waived_in == "later" else "fail")
    assert _agrees(merged)
    control = next(c for c in merged.controls if c.id == failing.control_id)
    assert control.counts["waived"] == (1 if waived_in == "later" else 0)


def test_a_waiver_one_shard_applied_is_never_listed_as_matching_nothing(catalogs, whole, tmp_path: Path) -> None:
    """Both shards load one waivers file; a waiver of an AWS identity matches nothing in the shard
    of the other providers. The merged report listed it as applied and as matching nothing too."""
    from scanner.history.merge import merge_results

    failing = next(
        f for f in _demo_part(whole, catalogs, AWS).findings if f.status == "fail" and f.resource.type == "identity"
    )
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        f'waivers:\n  - control: {failing.control_id}\n    resource: "{failing.resource.uid}"\n'
        "    owner: alice@example.com\n    reason: accepted until the migration\n    expires: 2027-03-01\n"
        '  - control: NHI-PRIV-001\n    resource: "arn:aws:iam::000000000000:role/gone"\n'
        "    owner: alice@example.com\n    reason: the role was deleted\n    expires: 2027-03-01\n"
    )
    aws, rest = (_demo_part(whole, catalogs, part, waivers=waivers) for part in (AWS, REST))
    assert [w.resource for w in rest.waivers.unmatched] == [failing.resource.uid, "arn:aws:iam::000000000000:role/gone"]
    merged = merge_results([aws, rest], catalogs, "weekly")
    assert [w.resource for w in merged.waivers.applied] == [failing.resource.uid]
    assert [w.resource for w in merged.waivers.unmatched] == ["arn:aws:iam::000000000000:role/gone"]


@pytest.mark.parametrize("failed_first", [True, False], ids=["failed shard stored first", "failed shard stored last"])
def test_a_tenant_one_shard_failed_to_read_stays_failed_whichever_shard_finished_last(
    catalogs, whole, db_url: str, failed_first: bool
) -> None:
    """Every Azure shard reads the tenant, and a refused subscription listing is a failure of the
    tenant's reading. The merged report kept the latest scan's copy of each source: when the shard
    that read it completely finished last, the failure vanished and the merged gate passed."""
    store = HistoryStore(db_url)
    tenant = next(s for s in whole.sources if s.name == "azure")
    refused = SourceError("arm:subscriptions", "403 AuthorizationFailed")
    aws, rest = _demo_part(whole, catalogs, AWS), _demo_part(whole, catalogs, REST)
    for part in (aws, rest):
        part.scan.fail_on, part.gate = "none", gate(part, "none")
    aws.scan.sources.append(dataclasses.replace(tenant))  # shard 1 read the tenant completely
    rest.scan.sources = [dataclasses.replace(s, status="failed", errors=[refused]) if s == tenant else s
                         for s in rest.scan.sources]  # fmt: skip
    first, last = (rest, aws) if failed_first else (aws, rest)
    last.scan.finished = first.scan.finished + timedelta(minutes=5)
    for part in (first, last):
        _save(store, part, "2/2" if part is rest else "1/2", "r1")
    merged = merge_group(store, catalogs, "weekly")
    kept = [s for s in merged.scan.sources if (s.name, s.account) == (tenant.name, tenant.account)]
    assert [(s.status, s.errors) for s in kept] == [("failed", [refused])]
    assert merged.gate["incomplete_sources"] == [f"azure:{tenant.account}"]
    assert not merged.gate["passed"]


def test_accounts_only_a_superseded_scan_read_are_named_failed_not_dropped(
    cli, catalogs, whole, db_url: str, tmp_path: Path
) -> None:
    """A scan of every account, then a newer one of the AWS accounts alone, into one group: the
    newer scan supersedes the older, and the older scan's other accounts, their failures with
    them, left the merged report without a word while its gate passed."""
    store = HistoryStore(db_url)
    everything = _demo_part(whole, catalogs, AWS | REST)
    _save(store, everything, None, None)
    newer = _demo_part(whole, catalogs, AWS)
    newer.scan.fail_on, newer.gate = "none", gate(newer, "none")
    _save(store, newer, None, None)
    merged = merge_group(store, catalogs, "weekly")
    unread = {f"{s.name}:{s.account}" for s in everything.scan.sources if s.name != "aws"}
    assert set(merged.gate["incomplete_sources"]) == unread
    assert not merged.gate["passed"]
    for source in (s for s in merged.scan.sources if f"{s.name}:{s.account}" in unread):
        assert source.status == "failed"
        assert f"read only by scan {everything.scan.id}" in source.errors[0].message
    assert {f.fingerprint for f in merged.findings} == {f.fingerprint for f in newer.findings}
    out = tmp_path / "merged"
    assert cli("report", "--scan-group", "weekly", "--db", db_url, "--format", "json,md", "-o", str(out)).exit_code == 0
    assert set(json.loads((out / "results.json").read_text())["gate"]["incomplete_sources"]) == unread
    assert "❌ failed" in (out / "summary.md").read_text().splitlines()[2]


def test_a_newer_scan_of_every_account_leaves_nothing_out(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    _save(store, _demo_part(whole, catalogs, AWS), None, None)
    _save(store, _demo_part(whole, catalogs, AWS | REST), None, None)
    assert not merge_group(store, catalogs, "weekly").gate["incomplete_sources"]


def test_a_merged_report_of_shards_gated_on_a_baseline_says_their_known_failures_remain(
    cli, db_url: str, tmp_path: Path
) -> None:
    """Each shard scanned with ``--baseline`` says "no new failures … N known failures remain"; the
    merged report named no baseline, so its verdict read "No unwaived failures at or above high
    severity" over the same known, unwaived failures."""
    base = tmp_path / "base"
    assert cli("scan", "demo", "--format", "json", "-o", str(base), "--no-history", "-q").exit_code == 1
    baseline = str(base / "results.json")
    out = tmp_path / "shard"
    scanned = cli("scan", "demo", "--format", "json", "-o", str(out), "--baseline", baseline, "--db", db_url,
                  "--scan-group", "gated", "-q")  # fmt: skip
    assert scanned.exit_code == 0, scanned.output
    merged = tmp_path / "merged"
    assert (
        cli("report", "--scan-group", "gated", "--db", db_url, "--format", "json,md", "-o", str(merged)).exit_code == 0
    )
    document = json.loads((merged / "results.json").read_text())
    known = [f for f in document["findings"] if f["status"] == "fail" and f["new"] is False]
    assert known and document["scan"]["baseline"] == baseline
    verdict = (merged / "summary.md").read_text()
    assert "No unwaived failures" not in verdict
    assert "No new failures at or above high severity since the baseline (" in verdict
    assert "known failures remain" in verdict
