"""One report from a scan group: the shards of one run of a sharded scan, merged.

A group's run is the latest scan of each shard (see ``HistoryStore.group_runs``): a group name
used every week, or a shard run again, never adds a scan to its own earlier copy. Shards cover
disjoint accounts, so findings and counts add up; a finding seen by more than one shard (a tenant,
a shared log source) is kept once and counted once: its gravest copy (failing or waived, then
unknown), the latest scan's among equals, because each shard judged it on its own part of the
evidence (the grants in its own subscriptions) and a failure one of them saw is a failure; whether
it is waived, the latest scan's waivers say. An account a shard holds without reading it (named
by an organisation trail) is judged by the shard that read it. Scores, framework
posture and the gate are computed again from the merged counts, exactly as for a single scan, with
the settings (``fail_on``) of the run's latest scan. A shard the run is missing is a source that
failed, named in the report and the gate, never filled in from another run."""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from scanner.diff import Side, side_of
from scanner.engine.definition import mixed_digest
from scanner.frameworks import weighted_score
from scanner.history.group_points import (
    NO_RUN,
    catalog_key,
    forget_other_points,
    keep_point,
    kept_as_first,
    kept_points,
    run_key,
)
from scanner.history.merge_tallies import evaluated_fewer, scope_of, uncount_passes, unique
from scanner.history.merged_controls import disabled, disabled_where, not_run, providers_where_needed, run_where
from scanner.history.name_only import (
    name_only_findings,
    readers_failures,
    readers_results,
    uncount_name_only_passes,
)
from scanner.history.shared_accounts import count_shared_accounts_once
from scanner.history.waiver_listing import joined_waivers, listed_by_kept, waivers_judged_at
from scanner.model import (
    ControlSummary,
    Finding,
    Inventory,
    ScanMeta,
    ScanResult,
    SourceError,
    SourceStatus,
    TrendPoint,
    is_stand_in,
)
from scanner.scan import Catalogs, framework_postures, gate, summarize_inventory, unread_results

if TYPE_CHECKING:
    from scanner.history.store import GroupRun, HistoryStore, MissingPart

TREND_RUNS = 12  # runs on a merged report's trend, its own the last


def merge_group(store: HistoryStore, catalogs: Catalogs, group: str, run: str | None = None) -> ScanResult:
    """The merged report of the group's latest run (or of its run ``run``), with its trend: one
    point per run of the group, never one per shard. Earlier runs are on it when they hold every
    shard and evaluated the same controls (as for one scan's trend); new and resolved failures are
    counted against the run before on it. A run's point once merged is kept (group_points), so a
    later report merges only the runs whose points it has not kept, and its own."""
    runs = store.group_runs(group)
    chosen = store.group_run(group, run)
    earlier = [
        r for r in runs if r.finished < chosen.finished and r.complete and r.control_sets == chosen.control_sets
    ][-(TREND_RUNS - 1) :]
    on_trend = [*earlier, chosen]
    keys = [run_key(r) for r in on_trend]
    catalog = catalog_key(catalogs)
    kept = kept_points(store, group, catalog)
    current = {run_key(r) for r in runs}
    if any(key not in current for key, _ in kept):
        forget_other_points(store, group, current)
    trend: list[TrendPoint] = []
    held: tuple[int, Side] | None = None  # the side of a run merged, by its place, for the next run's point

    def side_before(index: int) -> Side | None:
        if index == 0:
            return None
        if held is not None and held[0] == index - 1:
            return held[1]
        return side_of(_merged_run(store, catalogs, on_trend[index - 1]))  # its point was kept

    merged: ScanResult | None = None
    for index, this_run in enumerate(on_trend):  # one run held at a time, and one side
        if held is not None and held[0] != index - 1:
            held = None
        before_key = keys[index - 1] if index else NO_RUN
        point = kept.get((keys[index], before_key)) or (kept_as_first(kept, keys[index]) if index == 0 else None)
        if point is None:
            before = side_before(index)
            result = _merged_run(store, catalogs, this_run)
            point = _trend_point(result, before)
            keep_point(store, group, keys[index], before_key, catalog, point)
            wanted = this_run is not chosen and (keys[index + 1], keys[index]) not in kept
            held = (index, side_of(result)) if wanted else None  # the next point is merged too
            merged = result if this_run is chosen else None
            del result, before
        trend.append(point)
    if merged is None:  # its point was kept
        merged = _merged_run(store, catalogs, chosen)
    merged.trend = trend
    return merged


def _merged_run(store: HistoryStore, catalogs: Catalogs, run: GroupRun) -> ScanResult:
    return merge_results([store.load(i) for i in run.scan_ids], catalogs, run.group, run.missing)


def _trend_point(result: ScanResult, before: Side | None) -> TrendPoint:
    from scanner.history.store import trend_point

    return trend_point(result, before)


def merge_results(
    results: list[ScanResult], catalogs: Catalogs, group: str, missing: Sequence[MissingPart] = ()
) -> ScanResult:
    """The scans of one run (see ``HistoryStore.group_run``) as one; ``missing``: the shards the
    run holds no scan of, each a failed source of the merged report."""
    results = sorted(results, key=lambda r: r.scan.finished, reverse=True)  # the latest scan's copy wins
    latest = results[0]
    controls: dict[str, ControlSummary] = {}
    definitions: dict[str, set[str | None]] = {}  # control id -> each shard's definition
    limits: dict[str, list[list[str] | None]] = {}  # control id -> each shard's limited_to
    titles: dict[str, list[str]] = {}  # control id -> each shard's title, the latest first
    for result in results:
        for control in result.controls:
            total = controls.setdefault(
                control.id,
                ControlSummary(control.id, control.title, control.severity, control.resource, control.frameworks,
                               control.rationale, control.remediation, dict.fromkeys(control.counts, 0),
                               control.mappings, definition=control.definition),
            )  # fmt: skip
            definitions.setdefault(control.id, set()).add(control.definition)
            titles.setdefault(control.id, []).append(control.title)
            limits.setdefault(control.id, []).append(control.limited_to)
            for status, number in control.counts.items():
                total.counts[status] = total.counts.get(status, 0) + number
            for key, number in control.evaluated_by_scope.items():
                total.evaluated_by_scope[key] = total.evaluated_by_scope.get(key, 0) + number
    for control_id, told in definitions.items():
        if len(told) > 1:  # shards that judged it differently, or one that did not record it
            controls[control_id].definition = mixed_digest(told)
        if len({digest for digest in told if digest}) > 1:  # asked with other parameters: the title says so
            controls[control_id].title = _title_of_shards(titles[control_id])
    for control_id, each in limits.items():  # limited where every shard limited it: to what any judged
        if all(patterns is not None for patterns in each):
            controls[control_id].limited_to = sorted({p for patterns in each if patterns is not None for p in patterns})
    skipped = not_run(results, set(controls))
    providers = providers_where_needed(results, skipped)
    for control_id, patterns in run_where(results, skipped, providers).items():
        controls[control_id].limited_to = patterns
    summaries = sorted(controls.values(), key=lambda c: c.id)
    as_of = max(r.scan.as_of for r in _judged(results))
    inventories = [r.inventory for r in results if r.inventory is not None]
    inventory = _merge_inventories(inventories, as_of) if inventories else None
    waivers = joined_waivers(results)
    framework_ids = unique((f.id for r in results for f in r.frameworks), lambda f: f)
    judged = readers_results(results)
    not_theirs = name_only_findings(results, judged)
    findings = _gravest(f for r in results for f in r.findings if id(f) not in not_theirs)
    kept = {id(f) for f in findings}
    left = [f for r in results for f in r.findings if id(f) not in kept]
    if left:
        waivers = listed_by_kept(waivers, left, findings)
    readers_copies = readers_failures(results, judged, kept)
    for result in results:  # a finding kept once is counted once, and evaluated once
        for finding in result.findings:
            if id(finding) not in kept and finding.control_id in controls:
                summary = controls[finding.control_id]
                summary.counts[finding.status] = summary.counts.get(finding.status, 0) - 1
                evaluated_fewer(summary, scope_of(finding))
    _count_stand_ins_once(results, kept, controls)
    uncount_name_only_passes(results, controls, judged)
    count_shared_accounts_once(results, controls, findings)
    findings, waivers = waivers_judged_at(as_of, findings, waivers, controls)
    if readers_copies:  # a failure both held: the reader's copy, waived as the latest scan says
        findings = [_as_kept(readers_copies[f.fingerprint], f) if f.fingerprint in readers_copies else f
                    for f in findings]  # fmt: skip
    sources = _gravest_sources(s for r in results for s in r.scan.sources)
    sources += [
        SourceStatus(gap.source, gap.part, "failed", [SourceError(f"scan group {group}", gap.detail)])
        for gap in missing
    ]
    estate = dataclasses.replace(inventory or Inventory(collected_at=as_of), sources=sources)
    frameworks = framework_postures(
        catalogs,
        [f for f in framework_ids if f in catalogs.frameworks],
        summaries,
        findings,
        estate,
        disabled(results, skipped) or (),
        disabled_where(results, skipped, providers),
    )
    merged = ScanResult(
        scan=ScanMeta(
            id=f"group-{group}-{_run_id(results)}",
            started=min(r.scan.started for r in results),
            finished=max(r.scan.finished for r in results),
            as_of=as_of,
            sources=sources,
            fail_on=latest.scan.fail_on,
            baseline=_baselines(results),
            disabled_controls=disabled(results, skipped),
        ),
        score=weighted_score(summaries, unread_results(summaries, estate)),
        controls=summaries,
        findings=findings,
        frameworks=frameworks,
        waivers=waivers,
        inventory_summary=summarize_inventory(inventory) if inventory else latest.inventory_summary,
        tool=latest.tool,
        inventory=inventory,
        capabilities=_capabilities(results),
    )
    # a partial read is accepted when every shard of the run accepted its own, and none is missing
    accepted = not missing and all(r.gate.get("allow_partial") for r in results)
    merged.gate = gate(merged, latest.scan.fail_on, accepted)
    return merged


def _baselines(results: list[ScanResult]) -> str | None:
    """The baselines the shards were gated against, named together. Their known failures stay known
    in the merged report, so its verdict must say they remain: without a baseline named, it read
    "no unwaived failures" over failures a baseline had let through."""
    named = sorted({r.scan.baseline for r in results if r.scan.baseline is not None})
    return ", ".join(named) if named else None


def _as_kept(copy: Finding, kept: Finding) -> Finding:
    """Another shard's ``copy`` of the failure ``kept``, with what the kept copy says of it: its
    status, waiver, whether it is new and its severity (the control's as the kept copy's scan
    judged it; a shard may have run the control at another severity)."""
    return dataclasses.replace(copy, status=kept.status, waiver=kept.waiver, new=kept.new, severity=kept.severity)


# a finding's statuses, the gravest first: the copy a merged report keeps of a finding two shards hold.
# Failing and waived are one failure seen by both: which it is, the latest scan's waivers say.
_GRAVITY = {"fail": 0, "waived": 0, "unknown": 1, "pass": 2}


def _gravest(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per fingerprint, in the order first seen: the gravest status (see _GRAVITY),
    the first (the latest scan's) among equals."""
    kept: dict[str, Finding] = {}
    for finding in findings:
        held = kept.setdefault(finding.fingerprint, finding)
        if _GRAVITY.get(finding.status, 2) < _GRAVITY.get(held.status, 2):
            kept[finding.fingerprint] = finding
    return list(kept.values())


# a source's statuses, the gravest first: the copy a merged report keeps of a source two shards read
_SOURCE_GRAVITY = {"failed": 0, "partial": 1, "complete": 2}


def _gravest_sources(sources: Iterable[SourceStatus]) -> list[SourceStatus]:
    """One status per source and account, in the order first seen: the gravest (see
    _SOURCE_GRAVITY), the first (the latest scan's) among equals, with what every copy read
    incompletely says went wrong. Sibling shards each read a tenant or organisation: one whose
    reading of it failed (its subscriptions never listed) failed the merged report's reading too,
    whichever shard finished last."""
    kept: dict[tuple[str, str], SourceStatus] = {}
    errors: dict[tuple[str, str], list[SourceError]] = {}
    for source in sources:
        key = (source.name, source.account)
        held = kept.setdefault(key, source)
        if _SOURCE_GRAVITY.get(source.status, 0) < _SOURCE_GRAVITY.get(held.status, 0):
            kept[key] = source
        if source.status != "complete":
            errors.setdefault(key, []).extend(source.errors)
    return [
        dataclasses.replace(source, errors=unique(errors[key], lambda e: (e.call, e.message, e.code)))
        if key in errors and source.status != "complete"
        else source
        for key, source in kept.items()
    ]


def _title_of_shards(titles: list[str]) -> str:
    """A control's title where shards judged it with different parameters: the latest shard's, and
    the others' where they differ ("… within 90 days (in part of the scan: … within 365 days)")."""
    latest, *others = dict.fromkeys(titles)
    if others:
        return f"{latest} (in part of the scan: {'; '.join(others)})"
    return f"{latest} (its parameters differ between the scan's shards)"


def _run_id(results: list[ScanResult]) -> str:
    """The same for the same scans merged: a run's point on the trend of a later run is its own."""
    return hashlib.sha256("\n".join(sorted(r.scan.id for r in results)).encode("utf-8")).hexdigest()[:8]


def _count_stand_ins_once(results: list[ScanResult], kept: set[int], controls: dict[str, ControlSummary]) -> None:
    """A stand-in's failure (or unknown) kept in the merged report is its principal's one result
    for that control: the shard reading the principal whole, which ran the control and holds no
    finding of it, counted it passed, and that count goes (a stand-in that passed was never
    counted; see evaluate._results)."""
    stand_ins = {
        id(r): {i.uid for i in r.inventory.identities if is_stand_in(i)} for r in results if r.inventory is not None
    }
    if not any(stand_ins.values()):
        return
    wanted = {uid for uids in stand_ins.values() for uid in uids}
    held_whole = []  # (the controls a shard ran, the stand-ins' principals it read whole, its fingerprints)
    for r in results:
        whole = set() if r.inventory is None else {i.uid for i in r.inventory.identities if i.uid in wanted}
        whole -= stand_ins.get(id(r)) or set()
        if whole:
            ran = {c.id for c in r.controls}
            held_whole.append((ran, whole, {f.fingerprint for f in r.findings if f.resource.uid in whole}))
    for result in results:
        standing_in = stand_ins.get(id(result)) or set()
        for finding in result.findings:
            if id(finding) not in kept or finding.resource.uid not in standing_in:
                continue
            uid, control_id = finding.resource.uid, finding.control_id
            for ran, whole, fingerprints in held_whole:
                if uid in whole and control_id in ran and finding.fingerprint not in fingerprints:
                    uncount_passes(controls[control_id], scope_of(finding))


def _capabilities(results: list[ScanResult]) -> dict[str, list[str]]:
    """Each holder's capability tags: all any shard found (a principal holds roles in the
    subscriptions of several shards)."""
    joined: dict[str, dict[str, None]] = {}
    for result in results:
        for holder, tags in result.capabilities.items():
            joined.setdefault(holder, {}).update(dict.fromkeys(tags))
    return {holder: list(tags) for holder, tags in joined.items()}


def _judged(results: list[ScanResult]) -> list[ScanResult]:
    """The shards that assessed something. A shard given no account of the group's sources holds
    nothing, and its time ("now", when it ran) is no time any evidence was judged at."""
    return [r for r in results if not r.gate.get("nothing_assessed")] or results


def _merge_inventories(inventories: list[Inventory], collected_at: datetime) -> Inventory:
    def records(name: str) -> list[Any]:
        return unique((record for inventory in inventories for record in getattr(inventory, name)), lambda r: r.uid)

    # an identity a shard held as a stand-in (see HELD_BY_ANOTHER_SHARD) is the copy of the shard that read it whole
    every_identity = [identity for inventory in inventories for identity in inventory.identities]
    identities = unique(sorted(every_identity, key=is_stand_in), lambda r: r.uid)

    return Inventory(
        collected_at=collected_at,
        accounts=records("accounts"),
        identities=identities,
        credentials=records("credentials"),
        grants=records("grants"),
        agents=records("agents"),
        log_sources=records("log_sources"),
        sources=_gravest_sources(s for i in inventories for s in i.sources),
    )
