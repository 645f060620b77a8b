"""A failure is new only where the older scan judged that resource for that control: one in an
account the older scan failed to read, or of a control it did not run, is newly assessed, and a
record it could not have seen is not seen before, never "added". Before, a diff of a scan that
failed to read one account against one that read it called all 47 of its failures new, its 59
records added, and the history's listing counted them new: the mirror of "no longer assessed",
which never called such failures resolved."""

from __future__ import annotations

import dataclasses
import json

import pytest

from scanner.diff import diff_results, side_of
from scanner.history.store import trend_point
from scanner.model import Inventory
from scanner.reports.json_results import render
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .test_history_comparable import FAILED, _account_not_read


@pytest.fixture(scope="module")
def whole() -> Inventory:
    return collect(SourceSpec("demo"))


def test_failures_in_an_account_the_older_scan_could_not_read_are_newly_assessed(whole, catalogs) -> None:
    old = run_scan(_account_not_read(whole), catalogs, ScanOptions(allow_partial=True))
    new = run_scan(whole, catalogs, ScanOptions())
    drift = diff_results(old, new)
    assert not drift.new_failures and not drift.added
    assert drift.newly_assessed and drift.not_seen_before
    assert {u.reason for u in drift.newly_assessed} == {"source_incomplete"}
    assert {u.source.label for u in drift.newly_assessed if u.source} == {f"aws:{FAILED}"}
    assert {u.finding.resource.account for u in drift.newly_assessed} == {FAILED}
    assert trend_point(new, side_of(old)).new == 0, "the history counts none of them new"


def test_a_failure_on_a_record_created_since_in_an_account_read_both_times_is_new(whole, catalogs) -> None:
    older = dataclasses.replace(whole, identities=whole.identities[1:])
    old, new = run_scan(older, catalogs, ScanOptions()), run_scan(whole, catalogs, ScanOptions())
    drift = diff_results(old, new)
    created = whole.identities[0].uid
    assert [r.uid for r in drift.added] == [created] and not drift.not_seen_before
    assert {f.resource.uid for f in drift.new_failures} == {
        f.resource.uid for f in new.findings if f.status == "fail" and f.resource.uid == created
    }
    assert not drift.newly_assessed


def test_failures_of_a_control_the_older_scan_did_not_run_are_newly_assessed(whole, catalogs) -> None:
    old = run_scan(whole, catalogs, ScanOptions(disabled_controls=("NHI-CRED-001",)))
    new = run_scan(whole, catalogs, ScanOptions())
    drift = diff_results(old, new)
    assert not drift.new_failures
    assert {(u.finding.control_id, u.reason) for u in drift.newly_assessed} == {
        ("NHI-CRED-001", "control_not_evaluated")
    }


def test_the_diff_gate_does_not_pass_on_failures_the_older_scan_did_not_judge(whole, catalogs, cli, tmp_path) -> None:
    old = run_scan(_account_not_read(whole), catalogs, ScanOptions(allow_partial=True))
    new = run_scan(whole, catalogs, ScanOptions())
    (tmp_path / "old.json").write_text(render(old))
    (tmp_path / "new.json").write_text(render(new))
    drift = tmp_path / "drift.json"
    outcome = cli("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "high", "-o", str(drift))
    assert outcome.exit_code == 1
    assert "did not judge (newly assessed: not known to be new)" in outcome.output
    document = json.loads(drift.read_text())
    assert document["new_failures"] == [] and document["newly_assessed"] and document["not_seen_before"]
    assert cli("diff", str(tmp_path / "old.json"), str(tmp_path / "new.json"), "--fail-on", "none").exit_code == 0
