"""Accounts more than one shard of a scan group read, counted once in a merged report.

Every shard of an Azure scan reads the tenant (its directory), and so evaluates each account
control on it; two shards may read one AWS account. A failing or unknown result both hold is one
finding, kept once and counted once (merge._gravest); a pass is a count, not a finding, and each
shard counted its own: NHI-COV-001 counted 4 passes for 3 accounts. The merged report counts one
result per control and account: where a finding of it is kept, the shards' passes of it go; where
every shard passed it, one pass stays. Which accounts a shard passed is told by its counts (see
name_only.passed_unfound); where they cannot tell, its pass stays counted.
"""

from __future__ import annotations

from collections import Counter

from scanner.history.merge_tallies import uncount_passes
from scanner.history.name_only import passes_counted
from scanner.model import ControlSummary, Finding, ScanResult


def count_shared_accounts_once(
    results: list[ScanResult], controls: dict[str, ControlSummary], kept: list[Finding]
) -> None:
    """Takes from ``controls``' counts the passes of accounts several shards read (``kept``: the
    merged report's findings) beyond their one result."""
    read_by = {id(r): {s.account for s in r.scan.sources} for r in results}
    readers = Counter(account for accounts in read_by.values() for account in accounts)
    shared = {account for account, number in readers.items() if number > 1}
    if not shared:
        return
    found_kept = {
        (f.control_id, f.resource.uid) for f in kept if f.resource.type == "account" and f.resource.uid in shared
    }
    passes: Counter[tuple[str, str]] = Counter()  # (control id, account) -> shards whose counts passed it
    scope_of: dict[str, str] = {}
    for result in results:
        for control, account, scope in passes_counted(result, shared & read_by[id(result)]):
            passes[(control.id, account)] += 1
            scope_of[account] = scope
    for (control_id, uid), number in passes.items():
        beyond = number if (control_id, uid) in found_kept else number - 1
        summary = controls.get(control_id)
        if summary is None or beyond <= 0:
            continue
        uncount_passes(summary, scope_of[uid], beyond)
