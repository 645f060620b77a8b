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
_RESOURCE, _KIND = attrgetter("resource"), attrgetter("kind")


@dataclass(slots=True)
class FindingGroup:
    control_id: str
    status: str
    severity: str
    provider: str
    account: str
    waiver: Waiver | None
    findings: list[Finding] = field(default_factory=list)

    @property
    def fingerprint(self) -> str:
        key = "\x1f".join((self.control_id, self.status, self.provider, self.account, _waiver_key(self.waiver)))
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    @property
    def new(self) -> bool | None:
        """New if any finding is new, known if all are, None without a baseline."""
        marks = set(map(attrgetter("new"), self.findings))
        return True if True in marks else False if False in marks else None

    @property
    def examples(self) -> list[str]:
        return [f.resource.name for f in self.findings[:EXAMPLES]]

    @property
    def kinds(self) -> str:
        refs = list(map(_RESOURCE, self.findings))
        kinds = set(map(_KIND, refs))
        if not all(kinds):  # a resource without a kind is named by its type
            kinds = {ref.kind or ref.type for ref in refs}
        return ", ".join(sorted(kinds))


def group_findings(findings: Iterable[Finding]) -> list[FindingGroup]:
    """Groups in the order their first finding comes."""
    groups: dict[tuple[str, str, str, str, str], list[Finding]] = {}
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
        members = groups.get(key)
        if members is None:
            groups[key] = [finding]
        else:
            members.append(finding)
    return [
        FindingGroup(control_id, status, members[0].severity, provider, account, members[0].waiver, members)
        for (control_id, status, provider, account, _), members in groups.items()
    ]


def _waiver_key(waiver: Waiver | None) -> str:
    return "" if waiver is None else f"{waiver.control}\x1e{waiver.resource}\x1e{waiver.owner}"
