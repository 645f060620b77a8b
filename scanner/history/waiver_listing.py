"""A merged report's waiver lists: the shards' joined, judged at the merged report's date, and
made true of the findings it keeps.

Each shard listed its waivers by its own findings: applied (it waived a failure), matching nothing,
or matching only unknown results. A merged report keeps one copy of a finding two shards hold, and
leaves out a shard's result on an account it holds by name only (see name_only): a waiver a shard
applied only to copies the merged report does not keep waives nothing in it, and one listed as
matching only unknown results may match none it keeps, or match one only another shard's copy held.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from scanner.engine.waivers import covering, ends_soon, first_covering, has_lapsed
from scanner.history.merge_tallies import unique
from scanner.model import ControlSummary, Finding, ScanResult, Waiver, WaiverReport


def waiver_key(waiver: Waiver) -> tuple[object, ...]:
    """A waiver as one value: all it says. Two entries of one control and resource (a waiver renewed
    by a second entry with a later expiry) are two waivers."""
    return dataclasses.astuple(waiver)


_key = waiver_key


def joined_waivers(results: Sequence[ScanResult]) -> WaiverReport:
    """Each shard's waiver lists joined (a waiver is all it says: see waiver_key). A waiver of one
    shard's resources matches nothing in every other shard: one that some shard applied is applied,
    never also listed as matching nothing (a reader would delete a waiver in force)."""
    joined = {
        name: unique((w for r in results for w in getattr(r.waivers, name)), waiver_key)
        for name in ("applied", "expired", "unmatched", "expiring", "unknown_only")
    }
    applied = {waiver_key(w) for w in joined["applied"]}
    for name in ("unmatched", "unknown_only"):
        joined[name] = [w for w in joined[name] if waiver_key(w) not in applied]
    return WaiverReport(**joined)


def waivers_judged_at(
    as_of: datetime, findings: list[Finding], report: WaiverReport, controls: dict[str, ControlSummary]
) -> tuple[list[Finding], WaiverReport]:
    """The waivers judged at the merged report's date, the latest shard's: each shard judged them
    at its own, and a waiver that ends between the two waives nothing in a report as of the later
    (it is listed expired, not also applied or ending soon). A failure it waived is waived by the
    first other waiver in force that covers it (one behind it, a renewal), as a scan on that date
    waives it; where none does, it fails again, counted so, and against a baseline as a new failure."""
    today = as_of.date()

    def lapsed(waiver: Waiver) -> bool:
        return has_lapsed(waiver, today)

    listed = ("applied", "expiring", "unmatched", "unknown_only")
    ended = [w for name in listed for w in getattr(report, name) if lapsed(w)]
    if not ended:
        return findings, report
    in_force = [w for w in (*report.applied, *report.unmatched) if not lapsed(w)]
    first_in_force = first_covering(in_force)
    taken: dict[tuple[object, ...], Waiver] = {}  # the waivers in force that now waive a failure
    judged = []
    for finding in findings:
        if finding.status == "waived" and finding.waiver is not None and lapsed(finding.waiver):
            index = first_in_force(finding.control_id, finding.resource.uid) if in_force else None
            if index is not None:
                taken.setdefault(waiver_key(in_force[index]), in_force[index])
                judged.append(dataclasses.replace(finding, waiver=in_force[index]))
                continue
            counts = controls[finding.control_id].counts if finding.control_id in controls else {}
            if counts:
                counts["waived"] = counts.get("waived", 0) - 1
                counts["fail"] = counts.get("fail", 0) + 1
            # against a baseline, a waived result's ``new`` said only whether the baseline had it, failing
            # or waived; one it had waived blocks once its waiver lapses (baseline.mark_new), and which
            # it was is not known here: it blocks
            new = None if finding.new is None else True
            finding = dataclasses.replace(finding, status="fail", waiver=None, new=new)  # the shard's copy unchanged
        judged.append(finding)
    return judged, WaiverReport(
        applied=unique([*(w for w in report.applied if not lapsed(w)), *taken.values()], waiver_key),
        expired=unique([*report.expired, *ended], waiver_key),
        unmatched=[w for w in report.unmatched if not lapsed(w) and waiver_key(w) not in taken],
        expiring=[w for w in report.expiring if not lapsed(w) and ends_soon(w, today)],
        unknown_only=[w for w in report.unknown_only if not lapsed(w) and waiver_key(w) not in taken],
    )


def listed_by_kept(report: WaiverReport, left: Sequence[Finding], kept: Sequence[Finding]) -> WaiverReport:
    """``report`` with each waiver that covers a finding left out (``left``) listed by the findings
    kept: applied where it covers a waived one, otherwise as matching nothing, and as matching only
    unknown results where it covers an unknown one. One that covers a failure kept unwaived (the
    latest shard does not hold that waiver) stays listed as applied, as the shard that holds it
    applied it: listed as matching nothing, it would be deleted while that shard's file uses it."""
    touched_applied = [report.applied[i] for i in sorted(covering(report.applied, left, {"waived"}))]
    idle: list[Waiver] = []
    if touched_applied:
        in_force = {_key(touched_applied[i]) for i in covering(touched_applied, kept, {"waived", "fail"})}
        idle = [w for w in touched_applied if _key(w) not in in_force]
    touched_unknown = [report.unknown_only[i] for i in sorted(covering(report.unknown_only, left, {"unknown"}))]
    if not idle and not touched_unknown:
        return report
    asked = [*idle, *touched_unknown]
    matching_unknown = {_key(asked[i]) for i in covering(asked, kept, {"unknown"})}
    idle_keys, asked_unknown = {_key(w) for w in idle}, {_key(w) for w in touched_unknown}
    unmatched_keys = {_key(w) for w in report.unmatched}
    unknown_only = [w for w in report.unknown_only if _key(w) not in asked_unknown]
    unknown_only += [w for w in asked if _key(w) in matching_unknown]
    return dataclasses.replace(
        report,
        applied=[w for w in report.applied if _key(w) not in idle_keys],
        unmatched=[*report.unmatched, *(w for w in idle if _key(w) not in unmatched_keys)],
        unknown_only=list({_key(w): w for w in unknown_only}.values()),
    )
