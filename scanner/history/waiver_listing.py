"""A merged report's waiver lists, made true of the findings it keeps.

Each shard listed its waivers by its own findings: applied (it waived a failure), matching nothing,
or matching only unknown results. A merged report keeps one copy of a finding two shards hold, and
leaves out a shard's result on an account it holds by name only (see name_only): a waiver a shard
applied only to copies the merged report does not keep waives nothing in it, and one listed as
matching only unknown results may match none it keeps, or match one only another shard's copy held.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from scanner.engine.waivers import covering
from scanner.model import Finding, Waiver, WaiverReport


def waiver_key(waiver: Waiver) -> tuple[object, ...]:
    """A waiver as one value: all it says. Two entries of one control and resource (a waiver renewed
    by a second entry with a later expiry) are two waivers."""
    return dataclasses.astuple(waiver)


_key = waiver_key


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
