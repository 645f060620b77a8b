"""What the reports count of a scan's findings, in one pass shared by all of them.

The HTML report, the executive view (for the PDF and the history) and the summary each count
failures per identity, severity and provider. At 100,000 identities a scan holds close to a
million findings, so these counts are made once per scan: ``tally(result)`` keeps the last
result's counts and hands them out again while that result, its findings list and its inventory
are the same objects. A ScanResult is final once reports are made of it; a changed copy
(``dataclasses.replace``) is a different object and is counted anew.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter

from scanner.model import SEVERITIES, Finding, Inventory, ResourceRef, ScanResult


def credential_holders(inventory: Inventory | None) -> dict[str, str | None]:
    return {} if inventory is None else {c.uid: c.identity_uid for c in inventory.credentials}


def holder_uid(ref: ResourceRef, holders: Mapping[str, str | None]) -> str:
    """Whom a finding is about (see ``holder_uids``)."""
    return holder_uids((ref,), holders)[0]


def holder_uids(refs: Iterable[ResourceRef], holders: Mapping[str, str | None]) -> list[str]:
    """Whom each finding is about: a credential's or grant's holder, else the resource itself.
    Grant uids begin with their holder's uid (``holder#kind:name``). One comprehension, not a call
    per resource: at a million findings the calls would be most of the time."""
    return [
        (holders.get(ref.uid) or ref.uid)
        if ref.type == "credential"
        else ref.uid.split("#", 1)[0]
        if ref.type == "grant"
        else ref.uid
        for ref in refs
    ]


@dataclass(frozen=True, slots=True)
class Tally:
    """Counts of one scan's findings. Shared by every report of the scan: read, never change."""

    statuses: dict[str, int]  # every finding by status, in the order statuses first come
    failing: list[Finding]  # the unwaived failures, in the scan's order
    holders: list[str]  # the identity or agent each of them is about (holder_uid), in the same order
    failing_by_severity: dict[str, int]  # every severity, most severe first
    matrix: dict[str, dict[str, int]]  # unwaived failures per provider (sorted) and severity
    by_holder: dict[str, Counter[str]]  # unwaived failures per identity or agent and severity


def count(result: ScanResult) -> Tally:
    findings = result.findings
    failing = [f for f in findings if f.status == "fail"]
    severities = [f.severity for f in failing]
    refs = [f.resource for f in failing]
    by_severity = Counter(severities)
    by_provider = Counter(zip([ref.provider for ref in refs], severities, strict=True))
    matrix: dict[str, dict[str, int]] = {}
    for (provider, severity), number in by_provider.items():
        matrix.setdefault(provider, dict.fromkeys(SEVERITIES, 0))[severity] = number
    by_holder: dict[str, Counter[str]] = {}
    holders = holder_uids(refs, credential_holders(result.inventory))
    for (uid, severity), number in Counter(zip(holders, severities, strict=True)).items():
        counts = by_holder.get(uid)
        if counts is None:
            counts = by_holder[uid] = Counter()
        counts[severity] = number
    return Tally(
        statuses=dict(Counter(map(attrgetter("status"), findings))),
        failing=failing,
        holders=holders,
        failing_by_severity={severity: by_severity.get(severity, 0) for severity in SEVERITIES},
        matrix=dict(sorted(matrix.items())),
        by_holder=by_holder,
    )


_last: list[tuple[ScanResult, list[Finding], int, Inventory | None, Tally]] = []


def tally(result: ScanResult) -> Tally:
    """``count(result)``, made once while the same result is reported."""
    if _last:
        counted, findings, size, inventory, made = _last[0]
        same = counted is result and findings is result.findings and inventory is result.inventory
        if same and size == len(findings):
            return made
    made = count(result)
    _last[:] = [(result, result.findings, len(result.findings), result.inventory, made)]
    return made


def forget() -> None:
    """Let go of the last result's counts (and so of the result)."""
    _last.clear()
