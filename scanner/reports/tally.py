"""What the reports count of a scan's findings, in one pass shared by all of them.

The HTML report, the executive view (for the PDF and the history) and the summary each count
failures per identity, severity and provider, and the HTML report and SARIF group a large
scan's findings per control and account. At 100,000 identities a scan holds close to a million
findings, so these are made once per scan: ``tally(result)`` and ``groups(result)`` keep the
last result's and hand them out again while that result, its findings list and its inventory
are the same objects. A ScanResult is final once reports are made of it; a changed copy
(``dataclasses.replace``) is a different object and is counted anew.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from itertools import groupby
from operator import attrgetter

from scanner.model import SEVERITIES, Finding, Inventory, ResourceRef, ScanResult
from scanner.reports.aggregate import FindingGroup, group_findings


def credential_holders(inventory: Inventory | None) -> dict[str, str | None]:
    return {} if inventory is None else {c.uid: c.identity_uid for c in inventory.credentials}


def holder_uids(refs: Iterable[ResourceRef], holders: Mapping[str, str | None]) -> list[str]:
    """Whom each finding is about: a credential's or grant's holder, else the resource itself.
    Grant uids begin with their holder's uid (``holder#kind:name``). The resources of one control
    are all of one type, so the type is looked at once for them all, not once per finding."""
    refs = list(refs)
    types = set(map(_TYPE, refs))
    if len(types) > 1:
        return [
            (holders.get(ref.uid) or ref.uid)
            if ref.type == "credential"
            else ref.uid.split("#", 1)[0]
            if ref.type == "grant"
            else ref.uid
            for ref in refs
        ]
    uids = list(map(_UID, refs))
    if "credential" in types:
        get = holders.get
        return [get(uid) or uid for uid in uids]
    if "grant" in types:
        return [uid.split("#", 1)[0] for uid in uids]
    return uids


_TYPE, _UID, _PROVIDER = attrgetter("type"), attrgetter("uid"), attrgetter("provider")
_RUN = attrgetter("control_id", "status", "severity")
_RESOURCE = attrgetter("resource")


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of one scan's findings. Shared by every report of the scan: read, never change."""

    statuses: dict[str, int]  # every finding by status, in the order statuses first come
    failing: list[Finding]  # the unwaived failures, in the scan's order
    holders: list[str]  # the identity or agent each of them is about (holder_uids), in the same order
    # runs of one control's failures in ``failing`` (and ``holders``): control id, start, end
    spans: list[tuple[str, int, int]]
    failing_by_severity: dict[str, int]  # every severity, most severe first
    matrix: dict[str, dict[str, int]]  # unwaived failures per provider (sorted) and severity
    holder_counts: dict[str, Counter[str]]  # unwaived failures per severity and identity or agent

    def failing_of(self, uid: str) -> dict[str, int]:
        """The unwaived failures about one identity or agent, per severity (every severity)."""
        return {
            severity: self.holder_counts[severity][uid] if severity in self.holder_counts else 0
            for severity in SEVERITIES
        }

    def failing_per_holder(self) -> Counter[str]:
        """The unwaived failures about each identity or agent, every severity together."""
        largest, *others = sorted(self.holder_counts.values(), key=len, reverse=True) or [Counter()]
        totals = Counter(largest)  # copied in C; the others added to it without Counter.update's calls
        get = totals.get
        for counts in others:
            for uid, number in counts.items():
                totals[uid] = get(uid, 0) + number
        return totals

    def failing_per_control(self) -> dict[str, int]:
        """The unwaived failures of each control, in the order controls first fail."""
        counts: dict[str, int] = {}
        for control_id, start, end in self.spans:
            counts[control_id] = counts.get(control_id, 0) + end - start
        return counts


def count(result: ScanResult) -> Tally:
    """One pass over the findings in runs of one control, status and severity (the engine writes
    each control's findings together, so there are about as many runs as controls): every count
    is made per run, in C, instead of per finding."""
    holders_of = credential_holders(result.inventory)
    statuses: dict[str, int] = {}
    failing: list[Finding] = []
    holders: list[str] = []
    spans: list[tuple[str, int, int]] = []
    by_severity: dict[str, int] = {}
    by_provider: dict[str, dict[str, int]] = {}
    holder_counts: dict[str, Counter[str]] = {}
    for (control_id, status, severity), run in groupby(result.findings, key=_RUN):
        members = list(run)
        statuses[status] = statuses.get(status, 0) + len(members)
        if status != "fail":
            continue
        start = len(failing)
        failing += members
        spans.append((control_id, start, len(failing)))
        by_severity[severity] = by_severity.get(severity, 0) + len(members)
        refs = list(map(_RESOURCE, members))
        run_holders = holder_uids(refs, holders_of)
        holders += run_holders
        counts = holder_counts.get(severity)
        if counts is None:
            counts = holder_counts[severity] = Counter()
        counts.update(run_holders)
        for provider, number in Counter(map(_PROVIDER, refs)).items():
            row = by_provider.get(provider)
            if row is None:
                row = by_provider[provider] = dict.fromkeys(SEVERITIES, 0)
            row[severity] = row.get(severity, 0) + number
    return Tally(
        statuses=statuses,
        failing=failing,
        holders=holders,
        spans=spans,
        failing_by_severity={severity: by_severity.get(severity, 0) for severity in SEVERITIES},
        matrix=dict(sorted(by_provider.items())),
        holder_counts=holder_counts,
    )


@dataclass(slots=True)
class _Made:
    """What was made of one result, each piece when a report first asked for it."""

    result: ScanResult
    findings: list[Finding]
    size: int
    inventory: Inventory | None
    tally: Tally | None = None
    groups: list[FindingGroup] | None = None


_last: list[_Made] = []


def _made(result: ScanResult) -> _Made:
    """What was made of ``result``, while it is the same result: the same object, its findings list
    and its inventory the same objects, the list the same length."""
    if _last:
        made = _last[0]
        same = made.result is result and made.findings is result.findings and made.inventory is result.inventory
        if same and made.size == len(result.findings):
            return made
    _last[:] = [_Made(result, result.findings, len(result.findings), result.inventory)]
    return _last[0]


def tally(result: ScanResult) -> Tally:
    """``count(result)``, made once while the same result is reported."""
    made = _made(result)
    if made.tally is None:
        made.tally = count(result)
    return made.tally


def groups(result: ScanResult) -> list[FindingGroup]:
    """``group_findings(result.findings)``, made once while the same result is reported (the HTML
    report and SARIF both group a large scan's findings)."""
    made = _made(result)
    if made.groups is None:
        made.groups = group_findings(result.findings)
    return made.groups


def forget() -> None:
    """Let go of what was made of the last result (and so of the result)."""
    _last.clear()
