"""Framework catalogs and the controls' typed mappings onto their items.

A catalog (``controls/frameworks/<id>.yaml``) lists every item of one framework at one pinned
version, with the publisher's titles (``official: false`` marks a paraphrase written for the
catalog), where it came from, its licence, and optionally the providers and resource kinds it
applies to (``scope``). A control maps onto items under ``frameworks:``, one key per catalog and
the version its ids were read against (``cis-aws-foundations@7.0.0``), each mapping typed
``direct`` (the control tests what the item asks), ``partial`` (it tests part of it) or
``supporting`` (evidence that helps an assessor) with a one-line rationale. A version that differs
from the loaded catalog's is a load error: benchmark numbers change meaning between versions.

A catalog item may list control ids itself, so an organisation adds its own framework without
touching the controls. Posture and scoring live in ``scanner.posture``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from scanner.errors import InputError
from scanner.loading import inside, shipped_schema, validate
from scanner.model import FrameworkMapping
from scanner.yaml_input import read_yaml

RELATIONSHIPS = ("direct", "partial", "supporting")
DECIDING = frozenset({"direct", "partial"})  # only these decide an item's status
CATALOG_LISTED = "listed under this item by the catalog"


@dataclass(slots=True, frozen=True)
class Scope:
    """Where an item can be judged: resources of these providers and kinds (empty: any)."""

    providers: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()

    def admits(self, provider: str, kind: str) -> bool:
        return (not self.providers or provider in self.providers) and (not self.kinds or kind in self.kinds)

    @property
    def unrestricted(self) -> bool:
        return not self.providers and not self.kinds


@dataclass(slots=True)
class FrameworkItem:
    id: str
    title: str
    official: bool = True
    verified: bool = True
    scope: Scope = field(default_factory=Scope)
    assessable: bool = True
    reason: str | None = None
    controls: list[FrameworkMapping] = field(default_factory=list)  # listed by the catalog itself


@dataclass(slots=True)
class Framework:
    id: str
    name: str
    version: str
    publisher: str = ""
    url: str = ""
    licence: str = ""
    verified: bool = True
    scope: Scope = field(default_factory=Scope)
    items: list[FrameworkItem] = field(default_factory=list)
    crosswalks: dict[str, dict[str, str]] = field(default_factory=dict)  # old version -> {old id: current id}
    path: str = ""

    def item_ids(self) -> set[str]:
        return {item.id for item in self.items}

    def item_scope(self, item: FrameworkItem) -> Scope:
        return Scope(item.scope.providers or self.scope.providers, item.scope.kinds or self.scope.kinds)


def load_frameworks(directories: Iterable[Path]) -> dict[str, Framework]:
    frameworks: dict[str, Framework] = {}
    for directory in directories:
        if not directory.is_dir():
            continue
        for path in inside(directory, sorted(directory.glob("*.yaml"))):
            framework = load_framework(path, found=True)
            if framework.id in frameworks:
                raise InputError(
                    f"framework id {framework.id} is also defined in {frameworks[framework.id].path}", str(path)
                )
            frameworks[framework.id] = framework
    return frameworks


def load_framework(path: Path, found: bool = False) -> Framework:
    """``found``: the file was found in a frameworks folder (see loading.read_text)."""
    data, node = read_yaml(path, found)
    validate(data, "framework", path, node)
    version = str(data["version"])
    framework_verified = data.get("verified", True)
    items = [
        FrameworkItem(
            id=str(raw["id"]),
            title=raw["title"],
            official=raw.get("official", True),
            verified=raw.get("verified", framework_verified),
            scope=_scope(raw.get("scope")),
            assessable=raw.get("assessable", True),
            reason=raw.get("reason"),
            controls=[_listed(data["id"], version, str(raw["id"]), entry) for entry in raw.get("controls", [])],
        )
        for raw in data["items"]
    ]
    _refuse_unknown_scopes(
        [("the framework", _scope(data.get("scope")))] + [(f"item {i.id}", i.scope) for i in items], path
    )
    seen: set[str] = set()
    for item in items:
        if item.id in seen:
            raise InputError(f"item {item.id} is listed twice", str(path))
        seen.add(item.id)
        if not item.assessable and not item.reason:
            raise InputError(f"item {item.id} is marked not assessable without a reason", str(path))
    if "item_count" in data and data["item_count"] != len(items):
        raise InputError(f"item_count says {data['item_count']} but {len(items)} items are listed", str(path))
    return Framework(
        id=data["id"],
        name=data["name"],
        version=version,
        publisher=data.get("publisher", ""),
        url=data.get("url", ""),
        licence=data.get("licence", ""),
        verified=framework_verified,
        scope=_scope(data.get("scope")),
        items=items,
        crosswalks=crosswalks(data),
        path=str(path),
    )


def _scope(raw: Mapping[str, Any] | None) -> Scope:
    if not raw:
        return Scope()
    return Scope(tuple(raw.get("providers", ())), tuple(raw.get("kinds", ())))


@cache
def _known_scope_terms() -> tuple[frozenset[str], frozenset[str]]:
    """The providers and kinds a resource can have: the inventory schema's, and "agent" (an agent's
    kind is its type)."""
    definitions = shipped_schema("inventory")["$defs"]
    kinds = {"agent"}
    for record in definitions.values():
        kinds.update(record.get("properties", {}).get("kind", {}).get("enum", ()))
    return frozenset(definitions["provider"]["enum"]), frozenset(kinds)


def _refuse_unknown_scopes(scopes: list[tuple[str, Scope]], path: Path) -> None:
    """A scope naming a provider or kind no resource has admits nothing: its items would come out
    not applicable on an estate full of what they meant (``providers: [AWS]``, ``kinds: [access-key]``)."""
    providers, kinds = _known_scope_terms()
    for owner, scope in scopes:
        for term, known, name in ((scope.providers, providers, "provider"), (scope.kinds, kinds, "kind")):
            unknown = sorted(set(term) - known)
            if unknown:
                raise InputError(
                    f"{owner}: scope names an unknown {name} '{unknown[0]}' (known: {', '.join(sorted(known))})",
                    str(path),
                )


def _listed(framework_id: str, version: str, item_id: str, entry: str | Mapping[str, str]) -> FrameworkMapping:
    if isinstance(entry, str):
        return FrameworkMapping(framework_id, version, item_id, "direct", CATALOG_LISTED, entry)
    return FrameworkMapping(framework_id, version, item_id, entry["relationship"], entry["rationale"], entry["id"])


def crosswalks(data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    """Old version -> {old id: id in the catalog's version}, from the reference catalogs' crosswalk
    tables (``crosswalk_from_v3_0_0`` rows keyed ``v3_0_0``/``v7_0_0``; AICM's ``v1_0_3_index``).
    An old id whose subject the current version dropped maps to ""."""
    current = "v" + str(data["version"]).replace(".", "_")
    tables: dict[str, dict[str, str]] = {}
    for key, rows in data.items():
        if not key.startswith("crosswalk_from_") or not isinstance(rows, list):
            continue
        for row in rows:
            if not isinstance(row, dict):
                continue
            for column, old_id in row.items():
                if _is_version_column(column) and column != current and old_id is not None:
                    old_version = column[1:].replace("_", ".")
                    tables.setdefault(old_version, {})[str(old_id)] = str(row.get(current) or "")
    for row in data.get("v1_0_3_index", []) or []:
        if isinstance(row, dict) and "id" in row:
            tables.setdefault("1.0.3", {})[str(row["id"])] = str(row.get(current + "_id") or "")
    return tables


def unversioned_key(raw: Any) -> str | None:
    """A ``frameworks:`` key written without its catalog version (the untyped format of earlier
    releases), so the loader can say how to write it instead of quoting a regular expression."""
    if isinstance(raw, dict):
        return next((str(key) for key in raw if "@" not in str(key)), None)
    return None


def _is_version_column(column: str) -> bool:
    return column.startswith("v") and column[1:2].isdigit() and not column.endswith("_title")


def _version_mismatch(framework: Framework, version: str) -> str:
    """The error for a mapping against another version of a catalog, and where to re-map it: the
    crosswalk from that version when the catalog has one, else the catalog's own items."""
    guide = (
        f"`nhiscan frameworks show {framework.id} --from-version {version}`"
        if version.lstrip("v") in framework.crosswalks
        else f"`nhiscan frameworks show {framework.id}`; it has no crosswalk from version {version}"
    )
    return (
        f"mapped against {framework.id} version {version} but the loaded catalog is version "
        f"{framework.version}; item ids change meaning between versions: re-map each id ({guide})"
    )


def parse_mappings(
    raw: Mapping[str, Sequence[Mapping[str, str]]], frameworks: Mapping[str, Framework], control_id: str
) -> tuple[list[FrameworkMapping], list[tuple[str, tuple[str | int, ...]]]]:
    """The control's mappings, and the errors found (message, JSON path) against the loaded catalogs."""
    mappings: list[FrameworkMapping] = []
    errors: list[tuple[str, tuple[str | int, ...]]] = []
    for key, entries in raw.items():
        framework_id, _, version = key.partition("@")
        framework = frameworks.get(framework_id)
        if framework is None:
            errors.append((f"unknown framework id '{framework_id}'", ("frameworks", key)))
            continue
        if version != framework.version:
            errors.append((_version_mismatch(framework, version), ("frameworks", key)))
            continue
        known = framework.item_ids()
        for index, entry in enumerate(entries):
            if entry["item"] not in known:
                errors.append((f"framework {framework_id} has no item '{entry['item']}'", ("frameworks", key, index)))
                continue
            mappings.append(
                FrameworkMapping(
                    framework_id, version, entry["item"], entry["relationship"], entry["rationale"], control_id
                )
            )
    return mappings, errors


def items_by_framework(mappings: Iterable[FrameworkMapping]) -> dict[str, list[str]]:
    """framework id -> item ids, in mapping order: the short form reports and --framework use."""
    grouped: dict[str, list[str]] = {}
    for mapping in mappings:
        items = grouped.setdefault(mapping.framework, [])
        if mapping.item not in items:
            items.append(mapping.item)
    return grouped


def item_mappings(framework: Framework, mappings: Iterable[FrameworkMapping]) -> dict[str, list[FrameworkMapping]]:
    """Item id -> the mappings onto it (the controls' and the catalog's own), deciding ones first."""
    by_item: dict[str, list[FrameworkMapping]] = {item.id: list(item.controls) for item in framework.items}
    for mapping in mappings:
        found = by_item.get(mapping.item) if mapping.framework == framework.id else None
        if found is not None and all(m.control != mapping.control for m in found):
            found.append(mapping)
    order = {name: rank for rank, name in enumerate(RELATIONSHIPS)}
    return {
        item_id: sorted(found, key=lambda m: (order[m.relationship], m.control)) for item_id, found in by_item.items()
    }


def coverage_text(assessed: int, total: int, version: str) -> str:
    return f"{assessed} of {total} items (version {version})"


def grade(score: float | None) -> str:
    if score is None:
        return "n/a"
    for threshold, letter in ((90, "A"), (80, "B"), (70, "C"), (60, "D")):
        if score >= threshold:
            return letter
    return "F"


SEVERITY_WEIGHTS = {"critical": 10, "high": 6, "medium": 3, "low": 1}


def control_score(counts: Mapping[str, int]) -> float | None:
    """pass / (pass + fail + unknown) over the resources a control evaluated (waived left out): a
    result that could not be assessed earns nothing, as an item does in a framework's score, so
    controls nothing could be shown for never lift the posture score."""
    evaluated = counts.get("pass", 0) + counts.get("fail", 0) + counts.get("unknown", 0)
    return None if evaluated == 0 else counts.get("pass", 0) / evaluated


def weighted_score(controls: Iterable[Any], unread: Mapping[str, int] | None = None) -> float | None:
    """The posture score: the severity-weighted mean of control scores, 0-100; controls that
    evaluated nothing (or only waived failures) do not count. ``unread``: control id -> results
    that accounts nobody could read would have had, counted unknown (they earn nothing)."""
    total_weight = 0.0
    total = 0.0
    for control in controls:
        missed = (unread or {}).get(control.id, 0)
        counts = {**control.counts, "unknown": control.counts.get("unknown", 0) + missed} if missed else control.counts
        score = control_score(counts)
        if score is None:
            continue
        weight = SEVERITY_WEIGHTS[control.severity]
        total_weight += weight
        total += weight * score
    return None if total_weight == 0 else round(100 * total / total_weight, 1)
