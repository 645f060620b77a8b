"""A waiver accepts a failure for a limited time: a baseline does not make that acceptance permanent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner import streamed_json
from scanner.model import ScanResult
from scanner.reports.json_results import render
from scanner.reports.view import gate_verdict
from scanner.results_file import streamed_baseline
from scanner.scan import ScanOptions, run_scan

from .conftest import make_inventory

LEGACY = "arn:aws:iam::111111111111:user/legacy"
FRESH = "arn:aws:iam::111111111111:user/fresh"
INVENTORY = {
    "identities": [{"uid": uid, "owner": "team"} for uid in (LEGACY, FRESH)],
    "credentials": [
        {"uid": f"{uid}#key", "identity_uid": uid, "created": "-300d", "last_used": "-1d"} for uid in (LEGACY, FRESH)
    ],
}
# the fixture's collection time is 2026-01-01; NHI-CRED-001 (keys rotated in time) is high


def waivers_file(tmp_path: Path, expires: str, name: str = "waivers.yaml") -> Path:
    path = tmp_path / name
    path.write_text(
        f'waivers:\n  - control: NHI-CRED-001\n    resource: "{LEGACY}#key"\n    owner: alice@example.com\n'
        f"    reason: vendor cannot rotate yet\n    expires: {expires}\n"
    )
    return path


def scan(catalogs, **options) -> ScanResult:
    return run_scan(make_inventory(INVENTORY), catalogs, ScanOptions(**options))


def legacy_key(result: ScanResult):
    return next(f for f in result.findings if f.control_id == "NHI-CRED-001" and f.resource.uid == f"{LEGACY}#key")


@pytest.fixture(params=["read line by line, as a large one is", "re-serialised by another tool, read whole"])
def baseline_waiving_the_legacy_key(request, catalogs, tmp_path: Path, monkeypatch) -> Path:
    """A baseline in which the legacy key's failure was waived and the fresh key's failed."""
    earlier = scan(catalogs, waivers=waivers_file(tmp_path, "2026-03-01", "then.yaml"))
    assert legacy_key(earlier).status == "waived"
    path = tmp_path / "baseline.json"
    text = render(earlier)
    if request.param.startswith("read line by line"):
        monkeypatch.setattr(streamed_json, "STREAM_FROM_BYTES", 0)
        path.write_text(text)
        assert streamed_baseline(path) is not None
    else:
        path.write_text(json.dumps(json.loads(text), indent=2))
    return path


def test_a_failure_waived_in_the_baseline_blocks_once_its_waiver_expires(
    catalogs, tmp_path, baseline_waiving_the_legacy_key
) -> None:
    result = scan(catalogs, waivers=waivers_file(tmp_path, "2026-01-01"), baseline=baseline_waiving_the_legacy_key)
    finding = legacy_key(result)
    assert (finding.status, finding.new) == ("fail", True)
    assert not result.gate["passed"] and result.gate["blocking_findings"] == 1
    verdict = gate_verdict(result)
    assert verdict.startswith("1 new failure at or above high severity since the baseline")
    assert "1 of them because its waiver expired" in verdict
    assert "1 known failure remains" in verdict  # the fresh key, which failed then too


def test_a_failure_waived_in_the_baseline_blocks_once_its_waiver_is_removed(
    catalogs, baseline_waiving_the_legacy_key
) -> None:
    result = scan(catalogs, baseline=baseline_waiving_the_legacy_key)
    assert (legacy_key(result).status, legacy_key(result).new) == ("fail", True)
    assert not result.gate["passed"] and result.gate["blocking_findings"] == 1
    assert gate_verdict(result).startswith("1 new failure at or above high severity since the baseline")


def test_a_failure_still_waived_is_not_new_and_does_not_block(
    catalogs, tmp_path, baseline_waiving_the_legacy_key
) -> None:
    result = scan(catalogs, waivers=waivers_file(tmp_path, "2026-02-01"), baseline=baseline_waiving_the_legacy_key)
    assert (legacy_key(result).status, legacy_key(result).new) == ("waived", False)
    assert result.gate["passed"]
    assert gate_verdict(result).startswith("No new failures at or above high severity since the baseline")


def test_a_failure_the_baseline_failed_unwaived_stays_known(catalogs, tmp_path) -> None:
    """Known debt stays known: only a failure the baseline accepted for a time comes back as new."""
    path = tmp_path / "baseline.json"
    path.write_text(render(scan(catalogs)))
    result = scan(catalogs, waivers=waivers_file(tmp_path, "2026-01-01"), baseline=path)
    assert (legacy_key(result).status, legacy_key(result).new) == ("fail", False)
    assert result.gate["passed"]
