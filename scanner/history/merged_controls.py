"""Which controls each shard of a scan group ran, and where the merged report may judge them.

A shard limited to a framework (``--framework``) runs only its controls, and a shard may turn
controls off: a merged report judges each control only where a shard ran it, and says where.
"""

from __future__ import annotations

from scanner.framework_posture import inventory_providers
from scanner.model import ScanResult


def not_run(results: list[ScanResult], every: set[str]) -> dict[int, set[str]]:
    """By shard (``id`` of its result), the controls another shard ran and it did not, though it did
    not turn them off either: a shard limited to a framework (``--framework``) runs only its controls."""
    return {
        id(result): every - {c.id for c in result.controls} - set(result.scan.disabled_controls or ())
        for result in results
    }


def run_where(
    results: list[ScanResult], skipped: dict[int, set[str]], providers_of: dict[int, frozenset[str] | None]
) -> dict[str, list[str]]:
    """For each control some shard did not run, what the shards that ran it judged, as "provider/*"
    patterns (their own limits where they had them): the providers of the shards that ran it but
    not those of a shard that did not, whose resources cannot be told apart by provider (two AWS
    shards split by account); nothing where a shard's providers are not known. A failure outside
    was not looked at (diff: control_not_evaluated)."""
    limited: dict[str, list[str]] = {}
    for control_id in {c for names in skipped.values() for c in names}:
        ran: list[ScanResult] = []
        not_run: list[ScanResult] = []
        for result in results:
            (not_run if control_id in skipped[id(result)] else ran).append(result)
        unseen: set[str] = set()
        for result in not_run:
            providers = providers_of[id(result)]
            unseen |= {"*"} if providers is None else providers
        patterns: set[str] = set()
        for result in ran:
            control = next(c for c in result.controls if c.id == control_id)
            providers = providers_of[id(result)]
            if control.limited_to is not None:
                patterns.update(control.limited_to)
            elif providers is not None:
                patterns.update(f"{provider}/*" for provider in providers)
        limited[control_id] = (
            [] if "*" in unseen else sorted(p for p in patterns if p.partition("/")[0] not in unseen | {"*"})
        )
    return limited


def disabled(results: list[ScanResult], skipped: dict[int, set[str]]) -> list[str] | None:
    """The controls any shard turned off, as far as the shards recorded them (a shard stored before
    1.6 did not), and those a shard did not run (``not_run``); None when none did. One a shard
    turned off and another evaluated is both among the controls and here: turned off in part of
    the scan (see view.results_line)."""
    recorded = [r.scan.disabled_controls for r in results if r.scan.disabled_controls is not None]
    not_run = {c for names in skipped.values() for c in names}
    return sorted({c for disabled in recorded for c in disabled} | not_run) if recorded or not_run else None


def disabled_where(
    results: list[ScanResult], skipped: dict[int, set[str]], providers_of: dict[int, frozenset[str] | None]
) -> dict[str, frozenset[str] | None]:
    """The providers of the shards that turned each control off or did not run it (None: a shard
    whose providers are not known, as one stored without its inventory): an item of other providers
    keeps its result."""
    where: dict[str, frozenset[str] | None] = {}
    for result in results:
        providers = providers_of.get(id(result))
        for control in {*(result.scan.disabled_controls or ()), *skipped[id(result)]}:
            known = where.get(control, frozenset())
            where[control] = None if known is None or providers is None else known | providers
    return where


def providers_where_needed(results: list[ScanResult], skipped: dict[int, set[str]]) -> dict[int, frozenset[str] | None]:
    """By shard (``id`` of its result), its providers (``_providers_of``: a walk of its inventory),
    once each and only when a shard did not run or turned off a control: none is needed otherwise."""
    if not any(skipped.values()) and not any(r.scan.disabled_controls for r in results):
        return {}
    return {id(result): _providers_of(result) for result in results}


def _providers_of(result: ScanResult) -> frozenset[str] | None:
    return None if result.inventory is None else frozenset(inventory_providers(result.inventory, result.scan.sources))
