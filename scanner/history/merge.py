"""One report from a scan group: the shards of a sharded scan, merged.

Shards cover disjoint accounts, so findings and counts add up; records seen by more than one shard
(a tenant, a shared log source) are kept once. Scores, framework posture and the gate are computed
again from the merged counts, exactly as for a single scan."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any, TypeVar

from scanner.frameworks import weighted_score
from scanner.model import ControlSummary, Inventory, ScanMeta, ScanResult, WaiverReport
from scanner.scan import Catalogs, framework_postures, gate, summarize_inventory

T = TypeVar("T")


def _unique(items: Iterable[T], key: Any) -> list[T]:
    seen: dict[Any, T] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


def merge_results(results: list[ScanResult], catalogs: Catalogs, group: str) -> ScanResult:
    first = results[0]
    controls: dict[str, ControlSummary] = {}
    for result in results:
        for control in result.controls:
            total = controls.setdefault(
                control.id,
                ControlSummary(control.id, control.title, control.severity, control.resource, control.frameworks,
                               control.rationale, control.remediation, dict.fromkeys(control.counts, 0),
                               control.mappings),
            )  # fmt: skip
            for status, number in control.counts.items():
                total.counts[status] = total.counts.get(status, 0) + number
            for key, number in control.evaluated_by_scope.items():
                total.evaluated_by_scope[key] = total.evaluated_by_scope.get(key, 0) + number
    summaries = sorted(controls.values(), key=lambda c: c.id)
    as_of = max(r.scan.as_of for r in _judged(results))
    inventories = [r.inventory for r in results if r.inventory is not None]
    inventory = _merge_inventories(inventories, as_of) if inventories else None
    waivers = WaiverReport(
        **{
            name: _unique((w for r in results for w in getattr(r.waivers, name)), lambda w: (w.control, w.resource))
            for name in ("applied", "expired", "unmatched", "expiring")
        }
    )
    framework_ids = _unique((f.id for r in results for f in r.frameworks), lambda f: f)
    findings = _unique((f for r in results for f in r.findings), lambda f: f.fingerprint)
    sources = _unique((s for r in results for s in r.scan.sources), lambda s: (s.name, s.account))
    estate = dataclasses.replace(inventory or Inventory(collected_at=as_of), sources=sources)
    frameworks = framework_postures(
        catalogs, [f for f in framework_ids if f in catalogs.frameworks], summaries, findings, estate
    )
    merged = ScanResult(
        scan=ScanMeta(
            id=f"group-{group}-{uuid.uuid4().hex[:8]}",
            started=min(r.scan.started for r in results),
            finished=max(r.scan.finished for r in results),
            as_of=as_of,
            sources=sources,
            fail_on=first.scan.fail_on,
        ),
        score=weighted_score(summaries),
        controls=summaries,
        findings=findings,
        frameworks=frameworks,
        waivers=waivers,
        inventory_summary=summarize_inventory(inventory) if inventory else first.inventory_summary,
        tool=first.tool,
        inventory=inventory,
        capabilities={k: v for r in results for k, v in r.capabilities.items()},
    )
    merged.gate = gate(merged, first.scan.fail_on)
    return merged


def _judged(results: list[ScanResult]) -> list[ScanResult]:
    """The shards that assessed something. A shard given no account of the group's sources holds
    nothing, and its time ("now", when it ran) is no time any evidence was judged at."""
    return [r for r in results if not r.gate.get("nothing_assessed")] or results


def _merge_inventories(inventories: list[Inventory], collected_at: datetime) -> Inventory:
    def records(name: str) -> list[Any]:
        return _unique((record for inventory in inventories for record in getattr(inventory, name)), lambda r: r.uid)

    return Inventory(
        collected_at=collected_at,
        accounts=records("accounts"),
        identities=records("identities"),
        credentials=records("credentials"),
        grants=records("grants"),
        agents=records("agents"),
        log_sources=records("log_sources"),
        sources=_unique((s for i in inventories for s in i.sources), lambda s: (s.name, s.account)),
    )
