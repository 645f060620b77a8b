"""A merged report of a scan group judges each account by the shard that read it. A shard can hold
an account by name only, reporting no read of it: the member account its organisation trail names.
Its results on that account (NHI-COV-001 unknown, logging judged on the organisation's trail
alone) neither outweigh the reader's result nor count beside it; where no shard that read the
account judged it, they stay. A failure both hold stays one failure, waived as the latest scan's
waivers say."""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from scanner.history.merge import merge_group, merge_results
from scanner.history.store import HistoryStore
from scanner.model import Finding, Inventory, LogSource, ScanResult
from scanner.reports.json_results import render
from scanner.scan import ScanOptions, run_scan
from scanner.sharding import Shard
from scanner.sources import SourceSpec, collect

from .test_history_group_runs import _agrees

NAMED, BY_NAME = "111122223333", "444455556666"  # the demo's AWS accounts: the second is held by name


@pytest.fixture(scope="module")
def whole() -> Inventory:
    return collect(SourceSpec("demo"))


def _organisation_trail(whole: Inventory) -> LogSource:
    """NAMED's trail, logging BY_NAME as an organisation trail does (where BY_NAME's own trail fails
    NHI-LOG-001)."""
    own = next(s for s in whole.log_sources if s.account == NAMED and s.kind == "cloudtrail")
    return dataclasses.replace(own, uid=own.uid + "-organisation", account=BY_NAME)


def _shards(
    whole: Inventory, first_trails: Sequence[LogSource] = (), second_trails: Sequence[LogSource] = ()
) -> tuple[Inventory, Inventory]:
    """The first shard reads NAMED and holds BY_NAME by name only (no source status names it, its
    identities and agents unknown); the second reads every other account. Each with the extra log
    sources given."""
    # named by its id, as the export readers name an account they hold by name only
    by_name = dataclasses.replace(
        next(a for a in whole.accounts if a.uid == BY_NAME), name=BY_NAME, unknown=["identities", "agents"]
    )
    in_first = {i.uid for i in whole.identities if i.account == NAMED}
    first = dataclasses.replace(
        whole,
        accounts=[a for a in whole.accounts if a.uid == NAMED] + [by_name],
        identities=[i for i in whole.identities if i.account == NAMED],
        credentials=[c for c in whole.credentials if c.identity_uid in in_first],
        grants=[g for g in whole.grants if g.identity_uid in in_first],
        agents=[a for a in whole.agents if a.account == NAMED],
        log_sources=[s for s in whole.log_sources if s.account == NAMED] + list(first_trails),
        sources=[s for s in whole.sources if s.account == NAMED],
    )
    second = dataclasses.replace(
        whole,
        accounts=[a for a in whole.accounts if a.uid != NAMED],
        identities=[i for i in whole.identities if i.account != NAMED],
        credentials=[c for c in whole.credentials if c.identity_uid not in in_first],
        grants=[g for g in whole.grants if g.identity_uid not in in_first],
        agents=[a for a in whole.agents if a.account != NAMED],
        log_sources=[s for s in whole.log_sources if s.account != NAMED] + list(second_trails),
        sources=[s for s in whole.sources if s.account != NAMED],
    )
    return first, second


def _on_by_name(result: ScanResult) -> dict[str, str]:
    return {f.control_id: f.status for f in result.findings if f.resource.uid == BY_NAME}


def _waivers(tmp_path: Path, *controls: str) -> Path:
    """A waivers file waiving BY_NAME's results of each of ``controls`` (patterns), in that order."""
    path = tmp_path / "waivers.yaml"
    entry = '  - control: "{}"\n    resource: "{}"\n    owner: a@example.com\n    reason: covered\n'
    entry += "    expires: 2027-03-01\n"
    path.write_text("waivers:\n" + "".join(entry.format(control, BY_NAME) for control in controls))
    return path


def _of(result: ScanResult, control_id: str) -> Finding:
    return next(f for f in result.findings if f.resource.uid == BY_NAME and f.control_id == control_id)


def _later(result: ScanResult, than: ScanResult) -> ScanResult:
    result.scan.finished = than.scan.finished + timedelta(minutes=1)
    return result


def test_an_account_one_shard_only_names_is_judged_by_the_shard_that_read_it(catalogs, whole, db_url: str) -> None:
    """The first shard passes BY_NAME's logging on the organisation's trail; the second, reading
    BY_NAME, fails it on its own trail. The merged counts of every account control are those of one
    scan of the whole estate. Before, the name-only copy was kept as the graver one beside the
    reader's pass (NHI-COV-001 counted 8 passes and 1 unknown for 8 accounts) and its passes were
    counted beside the reader's failures."""
    first, second = (run_scan(p, catalogs, ScanOptions()) for p in _shards(whole, [_organisation_trail(whole)]))
    assert _on_by_name(first)["NHI-COV-001"] == "unknown"
    assert {c.id: c.counts for c in first.controls if c.id == "NHI-LOG-001"} == {
        "NHI-LOG-001": {"fail": 0, "pass": 2, "waived": 0, "unknown": 0}
    }, "the name-only shard passes the account on the organisation's trail"
    store = HistoryStore(db_url)
    for result, shard in ((first, "1/2"), (second, "2/2")):
        store.save(result, render(result), group="weekly", shard=Shard.parse(shard), run="r1")
    merged = merge_group(store, catalogs, "weekly")
    assert _on_by_name(merged) == _on_by_name(second)
    coverage = next(c for c in merged.controls if c.id == "NHI-COV-001")
    assert coverage.counts == {**coverage.counts, "pass": len(whole.accounts), "unknown": 0, "fail": 0}
    at_once = run_scan(whole, catalogs, ScanOptions())
    for control in (c for c in merged.controls if c.resource == "account"):
        alone = next(c for c in at_once.controls if c.id == control.id)
        assert (control.counts, control.evaluated_by_scope) == (alone.counts, alone.evaluated_by_scope), control.id
    _agrees(merged)


def test_a_shard_that_read_the_account_but_holds_no_record_of_it_did_not_judge_it(catalogs, whole) -> None:
    """A source status can name an account a shard holds no record of (a live shard's report of
    its home account's gaps): that shard judged nothing of it, so the name-only shard's results stay.
    Before, they were left out and the account had no NHI-COV-001 result at all."""
    first_part, second_part = _shards(whole)
    second_part = dataclasses.replace(second_part, accounts=[a for a in second_part.accounts if a.uid != BY_NAME])
    first, second = (run_scan(p, catalogs, ScanOptions()) for p in (first_part, second_part))
    assert BY_NAME in {s.account for s in second.scan.sources} and not _on_by_name(second)
    merged = merge_results([first, second], catalogs, "weekly")
    assert _on_by_name(merged) == _on_by_name(first)
    assert _on_by_name(merged)["NHI-COV-001"] == "unknown"
    coverage = next(c for c in merged.controls if c.id == "NHI-COV-001")
    assert (coverage.counts["pass"], coverage.counts["unknown"]) == (len(whole.accounts) - 1, 1)
    _agrees(merged)


@pytest.mark.parametrize("waived_in", ["the name-only shard, run last", "the reader, run last"])
def test_a_failure_both_shards_hold_is_waived_as_the_latest_shard_s_waivers_say(
    catalogs, whole, tmp_path: Path, waived_in: str
) -> None:
    """Both shards fail BY_NAME's NHI-LOG-001 (the first sees no trail of it, the second its own
    failing trail). One failure: whichever shard ran last says whether it is waived. Before, the
    name-only copy was left out whatever it said: a waiver the latest scan no longer held kept a
    blocking failure out of the gate."""
    waivers = {"waivers": _waivers(tmp_path, "NHI-LOG-001")}
    name_only_waived = waived_in.startswith("the name-only")
    first_part, second_part = _shards(whole)
    first = run_scan(first_part, catalogs, ScanOptions(**(waivers if name_only_waived else {})))
    second = run_scan(second_part, catalogs, ScanOptions(**({} if name_only_waived else waivers)))
    assert (_on_by_name(first)["NHI-LOG-001"], _on_by_name(second)["NHI-LOG-001"]) == (
        ("waived", "fail") if name_only_waived else ("fail", "waived")
    )
    merged = merge_results([second, _later(first, second)], catalogs, "weekly")
    assert _on_by_name(merged)["NHI-LOG-001"] == ("waived" if name_only_waived else "fail")
    merged_reversed = merge_results([_later(second, first), first], catalogs, "weekly")
    assert _on_by_name(merged_reversed)["NHI-LOG-001"] == ("fail" if name_only_waived else "waived")
    for report in (merged, merged_reversed):
        _agrees(report)
        kept = _of(report, "NHI-LOG-001")
        # the account named and described as read, whichever shard ran last
        assert (kept.resource, kept.message) == (
            _of(second, "NHI-LOG-001").resource,
            _of(second, "NHI-LOG-001").message,
        )
        assert kept.resource.name != BY_NAME
        # applied by the shard that holds it: where the latest shard does not, the waiver covers the
        # kept failure all the same, and is never listed as matching nothing (to be deleted)
        assert [w.resource for w in report.waivers.applied] == [BY_NAME]
        assert not report.waivers.unmatched


def test_a_waiver_only_a_left_out_finding_applied_matches_nothing(catalogs, whole, tmp_path: Path) -> None:
    """The first shard waives its failure of BY_NAME's NHI-LOG-001; the second, reading BY_NAME,
    passes it (the organisation's trail logs it). The merged report holds no such finding, so the
    waiver waives nothing: it is listed as matching nothing, never as applied."""
    first_part, second_part = _shards(whole, second_trails=[_organisation_trail(whole)])
    first = run_scan(first_part, catalogs, ScanOptions(waivers=_waivers(tmp_path, "NHI-LOG-001")))
    second = run_scan(second_part, catalogs, ScanOptions())
    assert _on_by_name(first)["NHI-LOG-001"] == "waived" and "NHI-LOG-001" not in _on_by_name(second)
    merged = merge_results([first, second], catalogs, "weekly")
    assert "NHI-LOG-001" not in _on_by_name(merged)
    assert [w.resource for w in merged.waivers.unmatched] == [BY_NAME]
    assert not merged.waivers.applied
    log = next(c for c in merged.controls if c.id == "NHI-LOG-001")
    assert log.counts["waived"] == 0
    _agrees(merged)


def test_a_waiver_the_reader_s_unknown_result_matches_is_listed_so(catalogs, whole, tmp_path: Path) -> None:
    """The reader could not read BY_NAME's trails, so its NHI-LOG-001 is unknown; the name-only
    shard waived its failure. The merged report keeps the unknown result: the waiver waives nothing
    in it and matches only an unknown result (it is not to be deleted). Before, it was listed as
    matching nothing."""
    first_part, second_part = _shards(whole)
    second_part = dataclasses.replace(second_part, accounts=[
        dataclasses.replace(a, unknown=[*a.unknown, "log_sources"]) if a.uid == BY_NAME else a
        for a in second_part.accounts
    ])  # fmt: skip
    waivers = ScanOptions(waivers=_waivers(tmp_path, "NHI-LOG-001"))
    first, second = run_scan(first_part, catalogs, waivers), run_scan(second_part, catalogs, waivers)
    assert (_on_by_name(first)["NHI-LOG-001"], _on_by_name(second)["NHI-LOG-001"]) == ("waived", "unknown")
    merged = merge_results([first, second], catalogs, "weekly")
    assert _on_by_name(merged)["NHI-LOG-001"] == "unknown"
    assert not merged.waivers.applied
    assert [w.resource for w in merged.waivers.unknown_only] == [BY_NAME]
    assert [w.resource for w in merged.waivers.unmatched] == [BY_NAME]
    _agrees(merged)


@pytest.mark.parametrize(
    "reader_fails_one", [True, False], ids=["behind on a kept failure", "behind on a left-out one"]
)
def test_a_waiver_behind_another_is_listed_by_the_kept_failures_it_covers(
    catalogs, whole, tmp_path: Path, reader_fails_one: bool
) -> None:
    """Two waivers of BY_NAME's NHI-LOG-001, the second behind the first (a pattern): each finding
    names only its first waiver. Where the reader fails NHI-LOG-001 too (a single-region
    organisation trail), the kept failure is covered by both: both are applied (the second is first
    on the name-only shard's left-out NHI-LOG-002 too). Where the reader passes it, neither waives
    anything. Before, a waiver was listed by the findings naming it first: the second was listed as
    matching nothing in the first case, and as applied in the second."""
    second_pattern = "NHI-LOG-00[12]" if reader_fails_one else "NHI-LOG-00[1]"
    trail = _organisation_trail(whole)
    if reader_fails_one:
        trail = dataclasses.replace(trail, attributes={**trail.attributes, "multi_region": False})
    first_part, second_part = _shards(whole, second_trails=[trail])
    waivers = ScanOptions(waivers=_waivers(tmp_path, "NHI-LOG-001", second_pattern))
    first, second = run_scan(first_part, catalogs, waivers), run_scan(second_part, catalogs, waivers)
    assert _of(first, "NHI-LOG-001").status == "waived"
    assert _on_by_name(second).get("NHI-LOG-001") == ("waived" if reader_fails_one else None)
    merged = merge_results([first, second], catalogs, "weekly")
    assert _on_by_name(merged).get("NHI-LOG-001") == _on_by_name(second).get("NHI-LOG-001")
    both = ["NHI-LOG-001", second_pattern]
    listed = ([w.control for w in merged.waivers.applied], [w.control for w in merged.waivers.unmatched])
    assert listed == ((both, []) if reader_fails_one else ([], both))
    _agrees(merged)


def test_a_failure_both_hold_keeps_the_severity_the_latest_scan_judged_it_at(catalogs, whole) -> None:
    """The reader ran NHI-LOG-001 at low severity, the name-only shard (run last) at high: the kept
    failure is the reader's copy in the latest scan's severity, the control's in the merged report,
    and the gate counts it blocking. Before, the reader's copy came with its own (low) severity."""
    at_low = copy.deepcopy(catalogs)
    next(c for c in at_low.controls if c.id == "NHI-LOG-001").severity = "low"
    first_part, second_part = _shards(whole)
    first, second = run_scan(first_part, catalogs, ScanOptions()), run_scan(second_part, at_low, ScanOptions())
    assert (_of(first, "NHI-LOG-001").severity, _of(second, "NHI-LOG-001").severity) == ("high", "low")
    merged = merge_results([second, _later(first, second)], catalogs, "weekly")
    kept = _of(merged, "NHI-LOG-001")
    assert kept.resource == _of(second, "NHI-LOG-001").resource
    assert kept.severity == next(c for c in merged.controls if c.id == "NHI-LOG-001").severity == "high"
    failing_high = [f for f in merged.findings if f.status == "fail" and f.severity in ("high", "critical")]
    assert merged.gate["blocking_findings"] == len(failing_high)
