"""From an inventory to a ScanResult: controls, waivers, baseline, posture and the gate."""

from __future__ import annotations

import dataclasses
import functools
import uuid
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.config import ConfigOrigin
from scanner.engine.baseline import load_baseline, mark_new, waivers_lapsed
from scanner.engine.capabilities import CapabilityCatalog, load_capability_catalog
from scanner.engine.context import EvalContext
from scanner.engine.controls import CompiledControl, Control, compile_control, load_controls
from scanner.engine.declarations import AccountDeclaration, declare_accounts
from scanner.engine.definition import definition_digest
from scanner.engine.evaluate import Evaluation, evaluate, evaluated_uids
from scanner.engine.waivers import apply_waivers, load_waivers, refuse_unknown_controls
from scanner.errors import InputError, UsageError
from scanner.framework_posture import (
    ResultsInScope,
    framework_posture,
    incomplete_providers,
    inventory_providers,
    limit_to_frameworks,
    scope_patterns,
)
from scanner.frameworks import DECIDING, Framework, Scope, items_by_framework, load_frameworks, weighted_score
from scanner.gc_pause import FREEZE_FROM_FINDINGS, collector_paused
from scanner.model import (
    SEVERITY_RANK,
    ControlSummary,
    Finding,
    FrameworkPosture,
    Inventory,
    ScanMeta,
    ScanResult,
    is_stand_in,
)
from scanner.resources import capabilities_file, controls_dir, frameworks_dir
from scanner.secrets_held import secrets_held
from scanner.serialize import format_time


@dataclass(slots=True)
class Catalogs:
    frameworks: dict[str, Framework]
    controls: list[Control]
    capabilities: CapabilityCatalog


def load_catalogs(extra_control_dirs: Iterable[Path] = (), builtin_controls: bool = True) -> Catalogs:
    """The bundled framework catalogs and capability catalog, the bundled controls (unless
    ``builtin_controls`` is False), and the controls and catalogs of each extra directory."""
    extra = list(extra_control_dirs)
    framework_dirs = [frameworks_dir()] + [d / "frameworks" for d in extra if d.resolve() != controls_dir().resolve()]
    frameworks = load_frameworks(framework_dirs)
    control_dirs = ([controls_dir()] if builtin_controls else []) + extra
    controls = load_controls(control_dirs, frameworks)
    _merge_catalog_mappings(frameworks, controls)
    return Catalogs(frameworks, controls, load_capability_catalog(capabilities_file()))


def _merge_catalog_mappings(frameworks: Mapping[str, Framework], controls: list[Control]) -> None:
    """Catalog items may list controls themselves (an organisation's own framework); those
    mappings join the controls' own, so scoping, results and coverage all see them. A listed
    control that was not loaded is an error, never a silent gap."""
    by_id = {control.id: control for control in controls}
    for framework in frameworks.values():
        for item in framework.items:
            missing = sorted({m.control for m in item.controls} - by_id.keys())
            if missing:
                raise InputError(f"item {item.id} lists unknown control(s) {', '.join(missing)}", framework.path)
            for mapping in item.controls:
                control = by_id[mapping.control]
                if mapping not in control.mappings:
                    control.mappings.append(mapping)
                    control.frameworks = items_by_framework(control.mappings)


@dataclass(slots=True)
class ScanOptions:
    frameworks: list[str] = field(default_factory=list)
    fail_on: str = "high"
    waivers: Path | None = None
    baseline: Path | None = None
    as_of: datetime | None = None
    keep_passed: bool = False
    allow_partial: bool = False  # a source read partially does not fail the gate (--allow-partial)
    params: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    disabled_controls: Iterable[str] = ()
    accounts: Mapping[str, AccountDeclaration] = field(default_factory=dict)  # nhiscan.yaml's declarations
    config_origin: ConfigOrigin | None = None  # the nhiscan.yaml params and disabled came from


def preflight(options: ScanOptions, catalogs: Catalogs | None = None) -> None:
    """Read the waivers and baseline before a long collection, so a typo fails in a second (a
    waiver naming no control of ``catalogs`` too)."""
    if options.waivers:
        waivers = load_waivers(options.waivers, options.as_of or datetime.now(UTC))
        if catalogs is not None:
            refuse_unknown_controls(waivers, (control.id for control in catalogs.controls))
    if options.baseline:
        load_baseline(options.baseline)


def select_controls(catalogs: Catalogs, options: ScanOptions) -> list[CompiledControl]:
    unknown = [fid for fid in options.frameworks if fid not in catalogs.frameworks]
    if unknown:
        raise UsageError(f"unknown framework id {', '.join(unknown)}; known: {', '.join(sorted(catalogs.frameworks))}")
    origin = options.config_origin
    known_ids = {control.id for control in catalogs.controls}
    for section, control_ids in (("params", list(options.params)), ("disabled", list(options.disabled_controls))):
        for index, control_id in enumerate(control_ids):
            if control_id not in known_ids:
                if origin is None:
                    raise UsageError(f"no control {control_id} is loaded")
                step: str | int = control_id if section == "params" else index
                raise origin.error(f"no control {control_id} is loaded", ["controls", section, step])
    disabled = set(options.disabled_controls)
    selected = []
    for control in catalogs.controls:
        if control.id in disabled:
            continue
        if options.frameworks and not _decides_one_of(control, options.frameworks):
            continue
        selected.append(_compile_with_params(control, options))
    return selected


def _decides_one_of(control: Control, framework_ids: Iterable[str]) -> bool:
    """The control decides an item (direct or partial) of one of the frameworks: a supporting
    mapping is evidence for an assessor, and a scan limited to a framework is scored on what
    decides its items only (scored on supporting controls, NIST AI 600-1 read 78.2 with none of its
    items assessed)."""
    chosen = set(framework_ids)
    return any(m.framework in chosen and m.relationship in DECIDING for m in control.mappings)


def _compile_with_params(control: Control, options: ScanOptions) -> CompiledControl:
    """A parameter the configuration sets wrongly is the configuration's error: it names
    nhiscan.yaml and its line, not the bundled control file."""
    overrides = options.params.get(control.id)
    try:
        return compile_control(control, overrides)
    except InputError as error:
        if not overrides or options.config_origin is None:
            raise
        compile_control(control, None)  # the control itself is sound: the override is to blame
        raise options.config_origin.error(
            f"parameter for {control.id}: {error.detail}", ["controls", "params", control.id]
        ) from None


def run_scan(inventory: Inventory, catalogs: Catalogs, options: ScanOptions) -> ScanResult:
    started = datetime.now(UTC)
    as_of = (options.as_of or inventory.collected_at).astimezone(UTC)  # waivers are judged by its date in UTC
    waivers = load_waivers(options.waivers, as_of) if options.waivers else []
    refuse_unknown_controls(waivers, (control.id for control in catalogs.controls))
    baseline = load_baseline(options.baseline) if options.baseline else None
    compiled = sorted(select_controls(catalogs, options), key=lambda c: (-SEVERITY_RANK[c.control.severity], c.id))

    inventory = unread_accounts_marked(declare_accounts(inventory, options.accounts))
    # evaluation allocates millions of acyclic objects (findings, evidence): see gc_pause
    with collector_paused() as pause:
        reach = baseline.agent_reach if baseline else None
        ctx = EvalContext(inventory, as_of, catalogs.capabilities, reach, options.accounts)
        evaluation = evaluate(compiled, ctx, keep_passed=options.keep_passed)
        pause.freeze = len(evaluation.findings) >= FREEZE_FROM_FINDINGS
    limited: dict[str, list[Scope]] = {}
    if options.frameworks:  # judged on the chosen frameworks' scope only
        chosen = [catalogs.frameworks[fid] for fid in options.frameworks]
        limited = limit_to_frameworks(evaluation, {c.id: c.control.mappings for c in compiled}, chosen)
    by_id = {c.id: c for c in compiled}

    @functools.cache  # asked once per waiver that names the control
    def evaluated(control_id: str) -> list[str]:  # what a control evaluated, passing resources too
        stand_ins = ctx.stand_ins_among(ctx.inventory.identities)
        found = {f.resource.uid for f in evaluation.findings if f.control_id == control_id} if stand_ins else ()
        return evaluated_uids(by_id[control_id], ctx, evaluation.evaluated_by_scope.get(control_id, {}), found)

    waiver_report = apply_waivers(evaluation.findings, evaluation.counts, waivers, as_of, evaluated)
    if waiver_report.applied:
        _count_waived(evaluation)
    if baseline is not None:
        mark_new(evaluation.findings, baseline, secrets_held(inventory.credentials))
        lapsed: dict[str, str] | None = waivers_lapsed(evaluation.findings, baseline, waiver_report.expired)
    else:
        lapsed = None

    summaries = [
        ControlSummary(
            id=c.id,
            title=c.title,
            severity=c.control.severity,
            resource=c.control.resource,
            frameworks=c.control.frameworks,
            rationale=c.control.rationale,
            remediation=c.control.remediation,
            counts=evaluation.counts[c.id],
            mappings=c.control.mappings,
            evaluated_by_scope=evaluation.evaluated_by_scope[c.id],
            definition=definition_digest(c),
            limited_to=scope_patterns(limited[c.id]) if c.id in limited else None,
        )
        for c in sorted(compiled, key=lambda c: c.id)
    ]
    postures = framework_postures(
        catalogs,
        options.frameworks or sorted(catalogs.frameworks),
        summaries,
        ResultsInScope.tallied(evaluation.tallies),
        inventory,
        options.disabled_controls,
    )
    assessed = not nothing_assessed(inventory, summaries)
    if not assessed:  # an empty estate has nothing to pass: no score rather than a perfect one
        for posture in postures:
            posture.score = None
    result = ScanResult(
        scan=ScanMeta(
            id=str(uuid.uuid4()),
            started=started,
            finished=datetime.now(UTC),
            as_of=as_of,
            sources=inventory.sources,
            fail_on=options.fail_on,
            baseline=str(options.baseline) if options.baseline else None,
            disabled_controls=sorted(set(options.disabled_controls)),
        ),
        score=weighted_score(summaries, unread_results(summaries, inventory)) if assessed else None,
        controls=summaries,
        findings=evaluation.findings,
        frameworks=postures,
        waivers=waiver_report,
        inventory_summary=summarize_inventory(inventory),
        tool={"name": "nhiscan", "version": __version__},
        inventory=reported_inventory(inventory),
        capabilities=capability_map(ctx),
    )
    result.gate = gate(result, options.fail_on, options.allow_partial, lapsed)
    return result


def framework_postures(
    catalogs: Catalogs,
    framework_ids: Iterable[str],
    summaries: list[ControlSummary],
    findings: list[Finding] | ResultsInScope,
    inventory: Inventory,
    disabled: Iterable[str] = (),
    off_where: Mapping[str, frozenset[str] | None] | None = None,
) -> list[FrameworkPosture]:
    """Each framework's posture, judged on the providers in the estate and the sources' completeness;
    ``disabled``: the controls the configuration turned off, which leave the items they decide unknown
    (``off_where``: on these providers only, see framework_posture)."""
    account_providers = {account.uid: account.provider for account in inventory.accounts}
    present = inventory_providers(inventory, inventory.sources)
    lacking = incomplete_providers(inventory.sources, account_providers)
    results = findings if isinstance(findings, ResultsInScope) else ResultsInScope(findings)
    off = set(disabled)
    switched_off = [m for control in catalogs.controls if control.id in off for m in control.mappings]
    return [
        framework_posture(catalogs.frameworks[fid], summaries, results, present, lacking, switched_off, off_where)
        for fid in framework_ids
    ]


# what an account's records relate it to: none of them is known of an account whose source failed
_UNREAD_WITH_THE_ACCOUNT = ("identities", "agents", "log_sources")


def unread_accounts_marked(inventory: Inventory) -> Inventory:
    """The inventory with each account whose source failed (nothing read: a role that could not
    be assumed, a subscription refused) marked as holding unknown identities, agents and log
    sources. Unmarked, it held none of them: its logging controls failed on "trails: none" for
    trails nobody could list."""
    failed = {s.account for s in inventory.sources if s.status == "failed"}
    if not failed or not any(account.uid in failed for account in inventory.accounts):
        return inventory
    accounts = [
        dataclasses.replace(account, unknown=[*account.unknown, *missing])
        if account.uid in failed and (missing := [m for m in _UNREAD_WITH_THE_ACCOUNT if m not in account.unknown])
        else account
        for account in inventory.accounts
    ]
    return dataclasses.replace(inventory, accounts=accounts)


def unread_results(summaries: Sequence[ControlSummary], inventory: Inventory) -> dict[str, int]:
    """Control id -> results the accounts whose source failed (nothing read) would have had: for
    each such account, what the control evaluated per account of the same provider that was read,
    rounded up; one per control that evaluated anything when no account of the provider was read.
    The posture score counts them unknown, so an account lost to a refused read never raises it
    (its failures would otherwise vanish from the score). A partial read counts what it read: the
    evidence it missed is unknown on the records themselves."""
    provider_of = {account.uid: account.provider for account in inventory.accounts}
    # one per account, however many of its sources failed
    failed = list(
        {s.account: provider_of.get(s.account) or s.name for s in inventory.sources if s.status == "failed"}.values()
    )
    if not failed:
        return {}
    unread_accounts = {s.account for s in inventory.sources if s.status == "failed"}
    read = Counter(a.provider for a in inventory.accounts if a.uid not in unread_accounts)
    missed: Counter[str] = Counter()
    for control in summaries:
        for provider in failed:
            evaluated = sum(n for key, n in control.evaluated_by_scope.items() if key.partition("/")[0] == provider)
            if read[provider]:
                missed[control.id] += -(-evaluated // read[provider])  # rounded up
            elif any(control.evaluated_by_scope.values()):
                missed[control.id] += 1
    return dict(missed)


def _count_waived(evaluation: Evaluation) -> None:
    """Move the failures that waivers now cover from fail to waived in the evaluation's tallies."""
    for finding in evaluation.findings:
        if finding.status == "waived":
            tally = evaluation.tallies[finding.control_id]
            failed = ("fail", finding.resource.provider, finding.resource.kind)
            tally[failed] -= 1
            if not tally[failed]:
                del tally[failed]
            waived = ("waived", *failed[1:])
            tally[waived] = tally.get(waived, 0) + 1


def gate(
    result: ScanResult, fail_on: str, allow_partial: bool = False, lapsed: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The gate's verdict, as every output shows it: passed only when nothing blocks, something was
    assessed and every source was read completely (or ``allow_partial`` accepted a partial read),
    so a written report never says "passed" for a scan that exits 3. Against a baseline,
    ``lapsed`` (see ``waivers_lapsed``) says which blocking failures the baseline had waived, and
    why they are not waived now."""
    threshold = SEVERITY_RANK.get(fail_on, 99)
    blocking = [
        f
        for f in result.findings
        if f.status == "fail" and SEVERITY_RANK[f.severity] >= threshold and f.new is not False
    ]
    incomplete = [s for s in result.scan.sources if s.status != "complete"]
    # a failure that blocks the gate speaks for itself (a trails export's logging off), even where
    # the sources held no identity; one below the gate does not make an empty estate assessed
    empty = nothing_assessed(result.inventory, result.controls) and not blocking
    verdict: dict[str, Any] = {
        "fail_on": fail_on,
        "passed": not blocking and not empty and (allow_partial or not incomplete),
        "nothing_assessed": empty,
        "allow_partial": allow_partial,
        "blocking_findings": len(blocking),
        "blocking_by_severity": dict(Counter(f.severity for f in blocking)),
        "incomplete_sources": [f"{s.name}:{s.account}" for s in incomplete],
        "waived_findings": sum(1 for f in result.findings if f.status == "waived"),
    }
    if lapsed is not None:
        reasons = Counter(lapsed[f.fingerprint] for f in blocking if f.fingerprint in lapsed)
        verdict["waivers_lapsed"] = {"expired": reasons["expired"], "removed": reasons["removed"]}
    return verdict


def nothing_assessed(inventory: Inventory | None, controls: Sequence[ControlSummary] | None = None) -> bool:
    """True when the scan found no identity, credential or agent (the records the controls are
    about): accounts and log sources alone are an empty estate (a wrong path, a folder with no
    agent, an account whose IAM could not be listed), whatever failed on them; their failures are
    still listed, and the gate fails on those that block it (an account's failure below the gate,
    its logging, made such a scan pass with a score on no identity at all). Also true when the
    ``controls`` given decided nothing about the estate: no control about identities,
    credentials, grants or agents passed, failed or was waived (every result unknown, or none in
    scope), so the gate would pass on no evidence at all. An account-level result is not an
    assessment of the estate: NHI-COV-001 passes on the account record of a source read completely
    even when every identity's evidence is missing, and an account's logging failing below the gate
    made such a scan pass; one that blocks the gate fails it (see ``gate``)."""
    if controls is not None and not any(assessed_by(control) for control in controls):
        return True
    if inventory is None:  # a results file from before inventories were kept: its findings speak
        return False
    return not inventory.holds_subjects()


def decided(counts: Mapping[str, int]) -> bool:
    """A control's results include a pass or a failure (waived or not)."""
    return any(counts.get(status, 0) for status in ("pass", "fail", "waived"))


SUBJECT_RESOURCES = frozenset({"identity", "credential", "grant", "agent"})  # what the estate's controls are about


def assessed_by(control: ControlSummary) -> bool:
    """The control's results assessed the estate: a control about identities, credentials, grants
    or agents decided a pass or a failure. What an account's or a log source's control decides is
    not about them."""
    return control.resource in SUBJECT_RESOURCES and decided(control.counts)


def reported_inventory(inventory: Inventory) -> Inventory:
    """What reports show of the inventory: every record but the grants, of which only agent tools
    are kept (an estate's policies and bindings are many and are summarised by capability tags)."""
    return dataclasses.replace(inventory, grants=[g for g in inventory.grants if g.kind == "tool"])


def capability_map(ctx: EvalContext) -> dict[str, list[str]]:
    tags: dict[str, list[str]] = {}
    for identity in ctx.inventory.identities:
        if found := ctx.identity_tags(identity):
            tags[identity.uid] = sorted(found)
    for agent in ctx.inventory.agents:
        if found := ctx.agent_tags(agent):
            tags[agent.uid] = sorted(found)
    return tags


def summarize_inventory(inventory: Inventory) -> dict[str, Any]:
    def by(items: Iterable[Any], *keys: str) -> dict[str, int]:
        labels: Counter[str] = Counter()
        for values, number in Counter(map(attrgetter(*keys), items)).items():
            labels["/".join(map(str, values if len(keys) > 1 else (values,)))] += number
        return dict(sorted(labels.items()))

    # a shard's stand-ins are the identities of the shard reading them whole
    identities = [i for i in inventory.identities if not is_stand_in(i)]
    return {
        "collected_at": format_time(inventory.collected_at),
        "accounts": by(inventory.accounts, "provider", "kind"),
        "identities": by(identities, "provider", "kind"),
        "credentials": by(inventory.credentials, "kind"),
        "grants": by(inventory.grants, "kind"),
        "agents": by(inventory.agents, "provider"),
        "log_sources": by(inventory.log_sources, "provider", "kind"),
        "totals": {
            "accounts": len(inventory.accounts),
            "identities": len(identities),
            "credentials": len(inventory.credentials),
            "grants": len(inventory.grants),
            "agents": len(inventory.agents),
            "log_sources": len(inventory.log_sources),
        },
    }
