"""Findings grouped per control and account, for readers that cannot take one row per finding:
the HTML report of a large estate (a browser table) and SARIF (code scanning accepts at most
25,000 results a run and a 10 MB compressed file). results.json always keeps every finding.

A group holds the findings of one control, status, provider, account and waiver. Its fingerprint
depends on those alone, so the same group keeps the same fingerprint from scan to scan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter

from scanner.model import Finding, Waiver

EXAMPLES = 5  # resource names a group shows
_RESOURCE, _NEW = attrgetter("resource"), attrgetter("new")


@dataclass(slots=True)
class FindingGroup:
    control_id: str
    status: str
    severity: str
    provider: str
    account: str
    waiver: Waiver | None
    findings: list[Finding] = field(default_factory=list)
    # what ``group_findings`` gathers while it groups (each later pass over a million findings
    # costs a tenth of a second or more); None: worked out from ``findings`` when asked
    kind_names: set[str] | None = None  # each finding's resource kind, or its type where it has none
    new_marks: set[bool | None] | None = None  # each finding's ``new``
    any_located: bool | None = None  # whether any finding's resource has a location

    @property
    def fingerprint(self) -> str:
        key = "\x1f".join((self.control_id, self.status, self.provider, self.account, _waiver_key(self.waiver)))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    @property
    def new(self) -> bool | None:
        """New if any finding is new, known if all are, None without a baseline."""
        marks = self.new_marks if self.new_marks is not None else set(map(_NEW, self.findings))
        return True if True in marks else False if False in marks else None

    @property
    def located(self) -> bool:
        """Whether any finding's resource has a location (a file and line, rather than a cloud)."""
        if self.any_located is not None:
            return self.any_located
        return any(f.resource.location for f in self.findings)

    @property
    def examples(self) -> list[str]:
        return [f.resource.name for f in self.findings[:EXAMPLES]]

    @property
    def kinds(self) -> str:
        """The kinds of the group's resources (a resource without a kind is named by its type)."""
        kinds = self.kind_names
        if kinds is None:
            kinds = {ref.kind or ref.type for ref in map(_RESOURCE, self.findings)}
        return ", ".join(sorted(kinds))


@dataclass(slots=True)
class _Gathered:
    findings: list[Finding]
    kind_names: set[str]
    new_marks: set[bool | None]
    located: bool = False


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Groups in the order their first finding comes, each with what its properties read of every
    finding gathered in the same pass."""
    groups: dict[tuple[str, str, str, str, str], _Gathered] = {}
    for finding in findings:
        ref = finding.resource
        waiver = finding.waiver  # _waiver_key, written out: a call per finding costs a million calls
        key = (
            finding.control_id,
            finding.status,
            ref.provider,
            ref.account,
            "" if waiver is None else f"{waiver.control}\x1e{waiver.resource}\x1e{waiver.owner}",
        )
        gathered = groups.get(key)
        if gathered is None:
            gathered = groups[key] = _Gathered([], set(), set())
        gathered.findings.append(finding)
        gathered.kind_names.add(ref.kind or ref.type)
        gathered.new_marks.add(finding.new)
        if ref.location:
            gathered.located = True
    return [
        FindingGroup(
            control_id,
            status,
            gathered.findings[0].severity,
            provider,
            account,
            gathered.findings[0].waiver,
            gathered.findings,
            gathered.kind_names,
            gathered.new_marks,
            gathered.located,
        )
        for (control_id, status, provider, account, _), gathered in groups.items()
    ]


def _waiver_key(waiver: Waiver | None) -> str:
    return "" if waiver is None else f"{waiver.control}\x1e{waiver.resource}\x1e{waiver.owner}"
