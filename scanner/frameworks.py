"""Framework catalogs, their coverage by controls, and posture scoring.

A catalog (``controls/frameworks/<id>.yaml``) lists a framework's items. Controls name item ids
under ``frameworks:``; a catalog item may also list control ids itself, so an organisation adds
its own framework, or a new version of a public one, without touching the controls. Items that
configuration cannot show are marked ``assessable: false`` with the reason.

Scoring: a control's score is pass / (pass + fail) over the resources it evaluated (waived and
unknown results are left out). A posture score is the severity-weighted mean of those control
scores, 0-100; controls that evaluated nothing do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scanner.errors import InputError
from scanner.loading import read_yaml, validate
from scanner.model import ControlSummary, FrameworkItemPosture, FrameworkPosture

SEVERITY_WEIGHTS = {"critical": 10, "high": 6, "medium": 3, "low": 1}


@dataclass(slots=True)
class FrameworkItem:
    id: str
    title: str
    assessable: bool = True
    reason: str | None = None
    controls: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Framework:
    id: str
    name: str
    version: str
    publisher: str = ""
    url: str = ""
    items: list[FrameworkItem] = field(default_factory=list)
    path: str = ""

    def item_ids(self) -> set[str]:
        return {item.id for item in self.items}


def load_frameworks(directories: Iterable[Path]) -> dict[str, Framework]:
    frameworks: dict[str, Framework] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in sorted(directory.glob("*.yaml")):
            framework = load_framework(path)
            if framework.id in frameworks:
                raise InputError(
                    f"framework id {framework.id} is also defined in {frameworks[framework.id].path}", str(path)
                )
            frameworks[framework.id] = framework
    return frameworks


def load_framework(path: Path) -> Framework:
    data, node = read_yaml(path)
    validate(data, "framework", path, node)
    items = [
        FrameworkItem(
            id=str(raw["id"]),
            title=raw["title"],
            assessable=raw.get("assessable", True),
            reason=raw.get("reason"),
            controls=list(raw.get("controls", [])),
        )
        for raw in data["items"]
    ]
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise InputError(f"item {item.id} is listed twice", str(path))
        seen.add(item.id)
        if not item.assessable and not item.reason:
            raise InputError(f"item {item.id} is marked not assessable without a reason", str(path))
    return Framework(
        id=data["id"],
        name=data["name"],
        version=str(data["version"]),
        publisher=data.get("publisher", ""),
        url=data.get("url", ""),
        items=items,
        path=str(path),
    )


def item_controls(framework: Framework, controls: Iterable[ControlSummary]) -> dict[str, list[str]]:
    """Item id -> ids of controls that assess it (from control mappings and the catalog's own lists)."""
    mapping: dict[str, list[str]] = {item.id: list(item.controls) for item in framework.items}
    for control in controls:
        for item_id in control.frameworks.get(framework.id, []):
            if item_id in mapping and control.id not in mapping[item_id]:
                mapping[item_id].append(control.id)
    return {item_id: sorted(ids) for item_id, ids in mapping.items()}


def control_score(counts: Mapping[str, int]) -> float | None:
    evaluated = counts.get("pass", 0) + counts.get("fail", 0)
    return None if evaluated == 0 else counts.get("pass", 0) / evaluated


def weighted_score(controls: Iterable[ControlSummary]) -> float | None:
    total_weight = 0.0
    total = 0.0
    for control in controls:
        score = control_score(control.counts)
        if score is None:
            continue
        weight = SEVERITY_WEIGHTS[control.severity]
        total_weight += weight
        total += weight * score
    return None if total_weight == 0 else round(100 * total / total_weight, 1)


def grade(score: float | None) -> str:
    if score is None:
        return "n/a"
    for threshold, letter in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= threshold:
            return letter
    return "F"


def framework_posture(framework: Framework, controls: list[ControlSummary]) -> FrameworkPosture:
    by_id = {control.id: control for control in controls}
    mapping = item_controls(framework, controls)
    items = []
    used: dict[str, ControlSummary] = {}
    for item in framework.items:
        ids = [cid for cid in mapping[item.id] if cid in by_id]
        counts = {"fail": 0, "pass": 0, "waived": 0, "unknown": 0}
        for cid in ids:
            used[cid] = by_id[cid]
            for status, number in by_id[cid].counts.items():
                counts[status] = counts.get(status, 0) + number
        items.append(
            FrameworkItemPosture(
                id=item.id,
                title=item.title,
                status=_item_status(item, ids, counts),
                controls=ids,
                counts=counts,
                reason=item.reason,
            )
        )
    return FrameworkPosture(
        id=framework.id,
        name=framework.name,
        version=framework.version,
        score=weighted_score(used.values()),
        items=items,
    )


def _item_status(item: FrameworkItem, control_ids: list[str], counts: Mapping[str, int]) -> str:
    if not control_ids:
        return "not_assessable" if not item.assessable else "not_covered"
    if counts["fail"]:
        return "fail"
    if counts["unknown"]:
        return "unknown"
    if counts["pass"] or counts["waived"]:
        return "pass"
    return "not_applicable"
