"""A framework's posture in one scan: each item's status, coverage and the framework score.

An item is decided by the controls mapped onto it as ``direct`` or ``partial``; ``supporting``
controls are listed as evidence only. A benchmark item is judged only on resources of its own
providers and kinds (its scope). An item fails when any in-scope resource fails; it is
``incomplete`` when a source that could hold its evidence was not read completely; ``unknown``
when evidence is missing; ``pass`` when every in-scope resource passed (or was waived); and
``not_applicable`` when nothing in scope was there to judge. A framework none of whose providers
is in the estate is not in scope and has no score.

The framework score is the share of assessed items that pass: pass / (pass + fail + unknown +
incomplete), 0-100. Items not assessed, not applicable or not in scope are left out.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from operator import attrgetter

from scanner.engine.evaluate import Evaluation
from scanner.frameworks import DECIDING, Framework, FrameworkItem, Scope, coverage_text, item_mappings
from scanner.model import (
    ITEM_RESULT_STATUSES,
    ControlSummary,
    Finding,
    FrameworkItemPosture,
    FrameworkMapping,
    FrameworkPosture,
    Inventory,
    SourceStatus,
)

SCORE_DEFINITION = "share of assessed items that pass: pass / (pass + fail + unknown + incomplete)"
CLOUD_PROVIDERS = ("aws", "azure", "gcp")


def scope_key(provider: str, kind: str) -> str:
    return f"{provider}/{kind}"


def estate_providers(
    providers_seen: Iterable[str], sources: Sequence[SourceStatus], account_providers: dict[str, str]
) -> set[str]:
    """Providers present in the estate: those of records read, and of cloud sources asked for
    (a cloud source that failed entirely leaves no records but its provider was still in scope)."""
    present = {p for p in providers_seen if p}
    for source in sources:
        provider = account_providers.get(source.account) or (source.name if source.name in CLOUD_PROVIDERS else "")
        if provider:
            present.add(provider)
    return present


def inventory_providers(inventory: Inventory, sources: Sequence[SourceStatus]) -> set[str]:
    """``estate_providers`` of an inventory: its accounts', identities' and agents' providers, and
    those of the cloud sources asked for."""
    seen = (record.provider for name in ("accounts", "identities", "agents") for record in getattr(inventory, name))
    return estate_providers(seen, sources, {account.uid: account.provider for account in inventory.accounts})


def incomplete_providers(sources: Sequence[SourceStatus], account_providers: dict[str, str]) -> set[str]:
    """Providers with a partial or failed source; "*" when such a source's provider is not known
    (a file or manifest source can hold any provider's records)."""
    lacking: set[str] = set()
    for source in sources:
        if source.status == "complete":
            continue
        provider = account_providers.get(source.account) or (source.name if source.name in CLOUD_PROVIDERS else "")
        lacking.add(provider if provider in CLOUD_PROVIDERS else "*")
    return lacking


_TALLY_KEY = attrgetter("control_id", "status", "resource.provider", "resource.kind")


class ResultsInScope:
    """Per control, the results of resources inside one scope: fail/unknown/waived from findings,
    pass as evaluated minus those (passing resources are counted, not kept as findings). The
    findings are tallied once, by control, status, provider and kind, and serve every framework."""

    def __init__(self, findings: Iterable[Finding]) -> None:
        tallies = Counter(map(_TALLY_KEY, findings))
        self._by_control: dict[str, dict[tuple[str, str, str], int]] = {}
        for (control_id, status, provider, kind), number in tallies.items():
            self._by_control.setdefault(control_id, {})[(status, provider, kind)] = number

    @classmethod
    def tallied(cls, by_control: dict[str, dict[tuple[str, str, str], int]]) -> ResultsInScope:
        """From the findings already counted per control by status, provider and kind (as
        evaluation counts them), without walking the findings again."""
        results = cls(())
        results._by_control = by_control
        return results

    def counts(self, control: ControlSummary, scope: Scope) -> dict[str, int]:
        if scope.unrestricted:
            return {status: control.counts.get(status, 0) for status in ("fail", "pass", "waived", "unknown")}
        counts = {"fail": 0, "pass": 0, "waived": 0, "unknown": 0}
        for (status, provider, kind), number in self._by_control.get(control.id, {}).items():
            if status in counts and scope.admits(provider, kind):
                counts[status] += number
        evaluated = 0
        for key, number in control.evaluated_by_scope.items():
            provider, _, kind = key.partition("/")
            if scope.admits(provider, kind):
                evaluated += number
        counts["pass"] = max(0, evaluated - counts["fail"] - counts["unknown"] - counts["waived"])
        return counts


def framework_posture(
    framework: Framework,
    controls: Sequence[ControlSummary],
    findings: Sequence[Finding] | ResultsInScope = (),
    present: set[str] | None = None,
    lacking: set[str] | None = None,
    switched_off: Sequence[FrameworkMapping] = (),
    off_where: Mapping[str, frozenset[str] | None] | None = None,
) -> FrameworkPosture:
    """``present``: providers in the estate (None: not known, every framework counts as in scope);
    ``lacking``: providers whose source was partial or failed ("*": any); ``switched_off``: the
    mappings of the controls the configuration turned off (in all or part of the scan). An item
    such a control decides is unknown, unless another control failed it: without the control, its
    pass would hide what was never evaluated. ``off_where``: the providers each was turned off for
    (a shard of a merged run; None, or absent: everywhere): an item of other providers keeps its
    result."""
    by_id = {control.id: control for control in controls}
    off_ids = {m.control for m in switched_off}
    mappings = item_mappings(framework, [*(m for c in controls for m in c.mappings), *switched_off])
    in_scope = present is None or not framework.scope.providers or bool(set(framework.scope.providers) & present)
    in_scope_results = findings if isinstance(findings, ResultsInScope) else ResultsInScope(findings)
    items = []
    for item in framework.items:
        found = [m for m in mappings[item.id] if m.control in by_id]
        deciding = [m.control for m in found if m.relationship in DECIDING]
        scope = framework.item_scope(item)
        not_run = [
            m.control
            for m in mappings[item.id]
            if m.control in off_ids
            and m.relationship in DECIDING
            and _off_in_scope((off_where or {}).get(m.control), scope)
        ]
        counts = {"fail": 0, "pass": 0, "waived": 0, "unknown": 0}
        for control_id in deciding:
            for status, number in in_scope_results.counts(by_id[control_id], scope).items():
                counts[status] += number
        status = _item_status(item, scope, deciding, counts, in_scope, present, lacking or set(), bool(not_run))
        items.append(
            FrameworkItemPosture(
                id=item.id,
                title=item.title,
                status=status,
                controls=deciding,
                counts=counts,
                reason=f"{', '.join(not_run)} disabled by the configuration" if not_run else item.reason,
                official=item.official,
                supporting=[m.control for m in found if m.relationship not in DECIDING],
                relationships={m.control: m.relationship for m in found},
            )
        )
    assessed = sum(1 for item in items if item.controls)
    return FrameworkPosture(
        id=framework.id,
        name=framework.name,
        version=framework.version,
        score=framework_score(items) if in_scope else None,
        items=items,
        item_count=len(framework.items),
        assessed=assessed,
        in_scope=in_scope,
        providers=list(framework.scope.providers),
        coverage=coverage_text(assessed, len(framework.items), framework.version),
        score_definition=SCORE_DEFINITION,
    )


def _off_in_scope(providers: frozenset[str] | None, scope: Scope) -> bool:
    """Whether a control turned off for ``providers`` (None: everywhere) was off in the item's scope."""
    return providers is None or not scope.providers or bool(providers & set(scope.providers))


def framework_score(items: Iterable[FrameworkItemPosture]) -> float | None:
    results = [item.status for item in items if item.status in ITEM_RESULT_STATUSES]
    return None if not results else round(100 * results.count("pass") / len(results), 1)


def passing_on_waivers(items: Iterable[FrameworkItemPosture]) -> int:
    """Passing items that pass only because failures in their scope were waived: accepted risks,
    which a reader counting passes should see apart from items every resource passed."""
    return sum(1 for item in items if item.status == "pass" and item.counts.get("waived", 0))


def coverage_said(posture: FrameworkPosture) -> str:
    """How much of the framework the scan assessed: "x of N items (version V)". Results before schema
    1.3 did not record it: they list only the items some control decides, and their score is the
    severity-weighted score of the mapped controls, not the share of items that pass; counting their
    list as the whole catalog read "5 of 5 items" for a framework of ten."""
    if posture.coverage:
        return posture.coverage
    listed = sum(1 for item in posture.items if item.controls)
    return (
        f"{listed} items (version {posture.version}); results before schema 1.3 do not list the items no "
        "control decides, and score the mapped controls by severity"
    )


def passing_text(items: Iterable[FrameworkItemPosture]) -> str:
    """How many items pass, and how many of them only on waivers: ``"12 (2 on waivers)"``."""
    items = list(items)
    passing = sum(1 for item in items if item.status == "pass")
    waived = passing_on_waivers(items)
    return f"{passing} ({waived} on waivers)" if waived else str(passing)


def _item_status(
    item: FrameworkItem,
    scope: Scope,
    deciding: list[str],
    counts: dict[str, int],
    framework_in_scope: bool,
    present: set[str] | None,
    lacking: set[str],
    switched_off: bool = False,
) -> str:
    if not framework_in_scope or (present is not None and scope.providers and not set(scope.providers) & present):
        return "not_in_scope"
    if not deciding and not switched_off:
        return "not_assessable" if not item.assessable else "not_assessed"
    if counts["fail"]:
        return "fail"
    if "*" in lacking or (lacking & set(scope.providers)) or (lacking and not scope.providers):
        return "incomplete"
    if counts["unknown"] or switched_off:
        return "unknown"
    if counts["pass"] or counts["waived"]:
        return "pass"
    return "not_applicable"


def limit_to_frameworks(
    evaluation: Evaluation, mappings: dict[str, list[FrameworkMapping]], frameworks: Sequence[Framework]
) -> dict[str, list[Scope]]:
    """Keep, of each control's results, those on resources in the scope of an item of the chosen
    frameworks that the control decides: a scan limited to CIS GCP is gated and scored on GCP
    resources only, and on an estate with none it has assessed nothing. ``mappings``: control id ->
    its mappings (the controls' own and the catalogs'). Returns the controls so limited, with the
    scopes they were judged in."""
    limited: dict[str, list[Scope]] = {}
    for control_id, control_mappings in mappings.items():
        scopes = _deciding_scopes(control_mappings, frameworks)
        if any(scope.unrestricted for scope in scopes):
            continue
        limited[control_id] = scopes
        evaluated = {
            key: number
            for key, number in evaluation.evaluated_by_scope.get(control_id, {}).items()
            if _admitted(scopes, *key.partition("/")[::2])
        }
        tally = {key: n for key, n in evaluation.tallies.get(control_id, {}).items() if _admitted(scopes, *key[1:])}
        counts = dict.fromkeys(evaluation.counts.get(control_id, {}), 0)
        for (status, _, _), number in tally.items():
            counts[status] = counts.get(status, 0) + number
        decided = sum(number for status, number in counts.items() if status != "pass")
        counts["pass"] = max(0, sum(evaluated.values()) - decided)
        evaluation.evaluated_by_scope[control_id] = evaluated
        evaluation.tallies[control_id] = tally
        evaluation.counts[control_id] = counts
    kept = {control_id: _deciding_scopes(found, frameworks) for control_id, found in mappings.items()}
    evaluation.findings = [
        finding
        for finding in evaluation.findings
        if finding.control_id not in kept
        or any(scope.unrestricted for scope in kept[finding.control_id])
        or _admitted(kept[finding.control_id], finding.resource.provider, finding.resource.kind)
    ]
    return limited


def scope_patterns(scopes: Iterable[Scope]) -> list[str]:
    """The resources ``scopes`` admit, as "provider/kind" patterns ("aws/*", "*/access_key")."""
    return sorted(
        {f"{provider}/{kind}" for s in scopes for provider in s.providers or ("*",) for kind in s.kinds or ("*",)}
    )


def _deciding_scopes(mappings: Iterable[FrameworkMapping], frameworks: Sequence[Framework]) -> list[Scope]:
    by_id = {framework.id: framework for framework in frameworks}
    scopes = []
    for mapping in mappings:
        framework = by_id.get(mapping.framework)
        if framework is None or mapping.relationship not in DECIDING:
            continue
        item = next((i for i in framework.items if i.id == mapping.item), None)
        if item is not None:
            scopes.append(framework.item_scope(item))
    return scopes


def _admitted(scopes: Iterable[Scope], provider: str, kind: str) -> bool:
    return any(scope.admits(provider, kind) for scope in scopes)
