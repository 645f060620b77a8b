"""Accounts a shard of a scan group holds by name only, judged in a merged report by the shard that read them.

A shard can hold an account it reports no read of (no source status names it): an AWS member
account an organisation trail names, a GCP project named only as a policy member's home. Its
results on that account itself are not the account's: NHI-COV-001 is unknown, and its logging is
judged on the organisation's trail alone. Where another shard read the account and judged it, the
merged report keeps that shard's result: the name-only shard's findings on the account are left
out and its passes are not counted. Findings on the account's identities are not touched: a shard
judges those on grants of its own (see merge._gravest).

A reader judged a control on an account where it holds a finding of it, or where its counts say
the account passed: the control evaluated every account of that provider and kind the reader holds
(passes are counts, never findings). Where that cannot be told (a result stored without its
inventory, a control limited away from the account), the name-only shard's result stays.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from fnmatch import fnmatchcase

from scanner.history.merge_tallies import uncount_passes
from scanner.model import ControlSummary, Finding, ScanResult

FAILING = frozenset({"fail", "waived"})  # one failure, whichever copy: the latest scan's waivers say which

Judged = dict[tuple[str, str], set[str]]  # (control id, account uid) -> the readers' statuses ("pass" counted)


def readers_results(results: list[ScanResult]) -> Judged:
    """For each account some shard holds by name only and another shard read, each control that
    reader judged on it, with the status it gave."""
    read_by = {id(r): {s.account for s in r.scan.sources} for r in results}
    by_name: set[str] = set()
    for result in results:
        held = _accounts_held(result)
        by_name |= held - read_by[id(result)]
    judged: Judged = {}
    if not by_name:
        return judged
    for reader in results:
        wanted = by_name & read_by[id(reader)]
        if not wanted:
            continue
        found = {}
        for finding in reader.findings:
            if finding.resource.type == "account" and finding.resource.uid in wanted:
                found[(finding.control_id, finding.resource.uid)] = finding.status
        for pair, status in found.items():
            judged.setdefault(pair, set()).add(status)
        for control, account, _ in passes_counted(reader, wanted):
            judged.setdefault((control.id, account), set()).add("pass")
    return judged


def name_only_findings(results: list[ScanResult], judged: Judged) -> set[int]:
    """The findings (``id``) a shard holds on an account it holds by name only, where a reader
    judged the control on it: left out of the merged report (the merge's count of each goes with
    it). A failure both hold is kept for ``_gravest`` to choose (whether it is waived, the latest
    scan's waivers say)."""
    left: set[int] = set()
    if not judged:
        return left
    for result in results:
        read = {s.account for s in result.scan.sources}
        for finding in result.findings:
            if finding.resource.type != "account" or finding.resource.uid in read:
                continue
            statuses = judged.get((finding.control_id, finding.resource.uid))
            if statuses and not (finding.status in FAILING and statuses & FAILING):
                left.add(id(finding))
    return left


def uncount_name_only_passes(results: list[ScanResult], controls: dict[str, ControlSummary], judged: Judged) -> None:
    """A name-only shard's pass on an account a reader judged is the reader's to count: the
    name-only shard's count of it goes, where its counts say the account passed."""
    if not judged:
        return
    for result in results:
        read = {s.account for s in result.scan.sources}
        for control, account, scope in passes_counted(result, _accounts_held(result) - read):
            summary = controls.get(control.id)
            if summary is not None and (control.id, account) in judged:
                uncount_passes(summary, scope)


def passes_counted(result: ScanResult, wanted: set[str]) -> Iterator[tuple[ControlSummary, str, str]]:
    """(control, account uid, its "provider/kind") for each account control the shard passed on
    each of its accounts ``wanted`` (uids), as its counts tell: the control holds no finding of
    the account and ``passed_unfound`` says so. Nothing for a shard stored without its inventory."""
    if result.inventory is None:
        return
    held = [a for a in result.inventory.accounts if a.uid in wanted]
    if not held:
        return
    scopes = account_scopes(result)
    found = {(f.control_id, f.resource.uid) for f in result.findings if f.resource.type == "account"}
    for account in held:
        scope = f"{account.provider}/{account.kind}"
        for control in result.controls:
            pair = (control.id, account.uid)
            if control.resource == "account" and pair not in found and passed_unfound(control, scope, scopes):
                yield control, account.uid, scope


def passed_unfound(control: ControlSummary, scope: str, held: Counter[str]) -> bool:
    """Whether an account of ``scope`` (``aws/account``) the shard holds without a finding of
    ``control`` passed it: the control evaluated every account of that scope the shard holds, and
    was not limited away from it (``--framework``)."""
    admitted = control.limited_to is None or any(fnmatchcase(scope, p) for p in control.limited_to)
    return admitted and held[scope] > 0 and control.evaluated_by_scope.get(scope, 0) == held[scope]


def account_scopes(result: ScanResult) -> Counter[str]:
    """The shard's accounts by provider and kind."""
    accounts = result.inventory.accounts if result.inventory is not None else []
    return Counter(f"{a.provider}/{a.kind}" for a in accounts)


def _accounts_held(result: ScanResult) -> set[str]:
    """The accounts a shard holds: its inventory's, or (stored without it) those its findings name."""
    if result.inventory is not None:
        return {a.uid for a in result.inventory.accounts}
    return {f.resource.uid for f in result.findings if f.resource.type == "account"}


def readers_failures(results: list[ScanResult], judged: Judged, kept: set[int]) -> dict[str, Finding]:
    """A failure both a name-only shard and a reader hold is kept as the latest scan's copy says
    (waived or not, see ``name_only_findings``); where that copy (``kept``: ids) is the name-only
    shard's, the reader's copy (the latest reader's, ``results`` being latest first), by
    fingerprint: it names and describes the account as read, not as the name-only shard saw it."""
    if not judged:
        return {}
    wanted: set[str] = set()
    for result in results:
        read = {s.account for s in result.scan.sources}
        for finding in result.findings:  # about a million of them: the account test first
            if _on_account_not_in(finding, read) and finding.status in FAILING and id(finding) in kept:
                pair = (finding.control_id, finding.resource.uid)
                wanted.update([finding.fingerprint] if judged.get(pair, set()) & FAILING else [])
    copies: dict[str, Finding] = {}
    if not wanted:
        return copies
    for result in results:
        read = {s.account for s in result.scan.sources}
        for finding in result.findings:
            if finding.fingerprint in wanted and finding.status in FAILING and finding.resource.uid in read:
                copies.setdefault(finding.fingerprint, finding)
    return copies


def _on_account_not_in(finding: Finding, read: set[str]) -> bool:
    return finding.resource.type == "account" and finding.resource.uid not in read
