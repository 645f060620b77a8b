"""Two steps every part of a merged report takes: keeping each item of the shards' lists once, and
taking a shard's passes back out of a control's counts where the merged report counts them elsewhere."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from scanner.model import ControlSummary, Finding

T = TypeVar("T")


def unique(items: Iterable[T], key: Callable[[T], Hashable]) -> list[T]:
    """Each item once (by ``key``), where it first appears."""
    seen: dict[Hashable, T] = {}
    for item in items:
        seen.setdefault(key(item), item)
    return list(seen.values())


def scope_of(finding: Finding) -> str:
    """The "provider/kind" a control's evaluations are counted by."""
    return f"{finding.resource.provider}/{finding.resource.kind}"


def evaluated_fewer(summary: ControlSummary, scope: str, number: int = 1) -> None:
    """``number`` evaluations fewer of ``scope``: a framework item counts what was evaluated and
    not decided as passing, so a result taken from the counts alone would still pass the item."""
    evaluated = summary.evaluated_by_scope.get(scope)
    if evaluated:
        summary.evaluated_by_scope[scope] = max(0, evaluated - number)


def uncount_passes(summary: ControlSummary, scope: str, number: int = 1) -> None:
    """``number`` passes fewer, and as many evaluations of ``scope``; neither below nothing."""
    summary.counts["pass"] = max(0, summary.counts.get("pass", 0) - number)
    evaluated_fewer(summary, scope, number)
