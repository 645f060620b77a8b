"""A merged report judges the waivers at its own date, the latest shard's, as one scan of the whole
estate on that date would: a waiver that ended between the shards' dates waives nothing, but the
failure it waived stays waived where another waiver in force covers it (one behind it, or the
same waiver renewed by a second entry with a later expiry). Before, such a failure failed and
blocked the merged gate while a scan on that date waived it; a renewed entry was taken for the
same waiver as the lapsed one and dropped from every list."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from scanner.history.merge import merge_results
from scanner.model import Inventory, ScanResult
from scanner.sources import SourceSpec, collect

from .test_history import _demo_part

AWS, REST = {"aws"}, {"azure", "gcp", "manifest"}
BETWEEN, LATER = "2026-11-05", "2027-03-01"  # the first waiver ends between the shards' dates


@pytest.fixture(scope="module")
def whole() -> Inventory:
    return collect(SourceSpec("demo"))


def _waivers(tmp_path: Path, control: str, entries: list[tuple[str, str, str]]) -> Path:
    """A waivers file of ``control``'s results: (resource pattern, owner, expiry) each."""
    path = tmp_path / "waivers.yaml"
    path.write_text("waivers:\n" + "".join(
        f'  - control: {control}\n    resource: "{resource}"\n    owner: {owner}\n    reason: accepted\n'
        f"    expires: {expires}\n"
        for resource, owner, expires in entries
    ))  # fmt: skip
    return path


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _status(result: ScanResult, fingerprint: str) -> tuple[str, str | None]:
    finding = next(f for f in result.findings if f.fingerprint == fingerprint)
    return finding.status, finding.waiver.owner if finding.waiver else None


@pytest.mark.parametrize("second", ["behind it", "renewed"])
def test_a_failure_a_lapsed_waiver_waived_stays_waived_by_another_in_force(
    catalogs, whole, tmp_path: Path, second: str
) -> None:
    failing = next(
        f for f in _demo_part(whole, catalogs, AWS).findings
        if f.status == "fail" and f.resource.type == "identity" and f.severity in ("critical", "high")
    )  # fmt: skip
    uid = failing.resource.uid
    other = uid[:-2] + "*" if second == "behind it" else uid
    entries = [(uid, "first@example.com", BETWEEN), (other, "second@example.com", LATER)]
    waivers = _waivers(tmp_path, failing.control_id, entries)
    # the shard read later in the month judges the first waiver lapsed; the earlier one, which
    # finished last (its copy of the failure is the one kept), in force
    later_day = _demo_part(whole, catalogs, REST | AWS, waivers=waivers, as_of=_day("2026-11-06"))
    earlier_day = _demo_part(whole, catalogs, AWS, waivers=waivers, as_of=_day("2026-11-02"))
    earlier_day.scan.finished = later_day.scan.finished + timedelta(minutes=1)
    assert _status(earlier_day, failing.fingerprint) == ("waived", "first@example.com")
    assert _status(later_day, failing.fingerprint) == ("waived", "second@example.com")
    merged = merge_results([later_day, earlier_day], catalogs, "weekly")
    at_once = _demo_part(whole, catalogs, REST | AWS, waivers=waivers, as_of=_day("2026-11-06"))
    assert merged.scan.as_of.date() == at_once.scan.as_of.date()
    assert _status(merged, failing.fingerprint) == _status(at_once, failing.fingerprint) == (
        "waived", "second@example.com"
    )  # fmt: skip
    assert merged.gate["blocking_findings"] == at_once.gate["blocking_findings"]
    assert [w.owner for w in merged.waivers.applied] == ["second@example.com"]
    assert [w.owner for w in merged.waivers.expired] == ["first@example.com"]
    assert not merged.waivers.unmatched
    control = next(c for c in merged.controls if c.id == failing.control_id)
    assert control.counts["waived"] == sum(
        1 for f in merged.findings if f.control_id == failing.control_id and f.status == "waived"
    )


def test_a_failure_whose_waiver_lapsed_between_shards_blocks_a_merged_gate_against_a_baseline(
    catalogs, whole, tmp_path: Path
) -> None:
    """Reader: shards gated with --baseline, where the baseline had a critical failure waived. A
    scan on the merged report's date fails it as new (its waiver has expired) and blocks; the
    merged report turned it back to a failure but kept the shard's "not new" (which, for a waived
    result, said only that the baseline had it), and passed the gate, JUnit and SARIF with it."""
    from scanner.reports.json_results import render

    failing = next(
        f for f in _demo_part(whole, catalogs, AWS).findings
        if f.status == "fail" and f.resource.type == "identity" and f.severity in ("critical", "high")
    )  # fmt: skip
    waivers = _waivers(tmp_path, failing.control_id, [(failing.resource.uid, "first@example.com", BETWEEN)])
    baseline = tmp_path / "baseline.json"
    baseline.write_text(render(_demo_part(whole, catalogs, AWS, waivers=waivers, as_of=_day("2026-11-01"))))
    options = {"waivers": waivers, "baseline": baseline, "fail_on": failing.severity}
    later_day = _demo_part(whole, catalogs, REST, as_of=_day("2026-11-10"), **options)
    earlier_day = _demo_part(whole, catalogs, AWS, as_of=_day("2026-11-02"), **options)
    earlier_day.scan.finished = later_day.scan.finished + timedelta(minutes=1)
    assert _status(earlier_day, failing.fingerprint) == ("waived", "first@example.com")
    merged = merge_results([later_day, earlier_day], catalogs, "weekly")
    at_once = _demo_part(whole, catalogs, REST | AWS, as_of=_day("2026-11-10"), **options)
    kept = next(f for f in merged.findings if f.fingerprint == failing.fingerprint)
    alone = next(f for f in at_once.findings if f.fingerprint == failing.fingerprint)
    assert (kept.status, kept.new) == (alone.status, alone.new) == ("fail", True)
    assert not merged.gate["passed"] and not at_once.gate["passed"]
    assert merged.gate["blocking_findings"] == at_once.gate["blocking_findings"] >= 1
