"""Evaluating compiled controls over an indexed inventory.

A control applies to every record of its resource type that satisfies ``where``; each such record
gets a result: pass, fail, or unknown (the data needed was not collected, or ``where`` itself
could not be decided). Passing results are counted; they become findings only when asked for,
so that 100k identities do not turn into millions of objects nobody reads.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Container
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from scanner.engine.context import EvalContext
from scanner.engine.controls import CompiledControl
from scanner.engine.fields import DATED_AFTER, UNKNOWN, Incomplete, dated_after
from scanner.engine.finding_evidence import MAX_EVIDENCE_ITEMS, evidence_builder
from scanner.engine.messages import fast_failure_message, message
from scanner.fingerprints import fingerprinter
from scanner.model import Finding, ResourceRef


@dataclass(slots=True)
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    # control id -> "provider/kind" -> records evaluated, for benchmarks scoped to one provider
    evaluated_by_scope: dict[str, dict[str, int]] = field(default_factory=dict)
    # control id -> (status, provider, kind) of its findings' resources -> findings
    tallies: dict[str, dict[tuple[str, str, str], int]] = field(default_factory=dict)


def evaluate(controls: list[CompiledControl], ctx: EvalContext, keep_passed: bool = False) -> Evaluation:
    """Findings come out control by control, in the order given, each control's sorted by resource uid."""
    result = Evaluation()
    refs: dict[int, _Known] = {}  # id of a record -> its reference, and the number of its provider and kind
    scope_numbers: dict[tuple[str, str], int] = {}  # each (provider, kind) met -> its number
    scope_keys: dict[str, list[str]] = {}  # resource type -> each record's "provider/kind", in order
    for compiled in controls:
        resource_type = compiled.control.resource
        records, listing = ctx.records_judged_by(compiled)
        keys = scope_keys.get(listing)
        if keys is None:
            named: dict[str, str] = {}  # each key held once: a few kinds among hundreds of thousands of records
            keys = [named.setdefault(key, key) for key in (_scope_key(r, resource_type, ctx) for r in records)]
            scope_keys[listing] = keys
        counts, matched, scopes = _results(compiled, ctx, records, keys, keep_passed, ctx.stand_ins_among(records))
        result.counts[compiled.id] = counts
        result.evaluated_by_scope[compiled.id] = scopes
        findings, tally = _findings(compiled, matched, refs, scope_numbers, ctx)
        result.tallies[compiled.id] = tally
        findings.sort(key=_BY_RESOURCE_UID)
        result.findings.extend(findings)
    return result


_BY_RESOURCE_UID = attrgetter("resource.uid")
_Known = tuple[ResourceRef, int]
# A finding's status and its resource's provider and kind, tallied as one small number (the
# status's base plus the number of the provider and kind): counting 880,000 ints is a tenth of the
# time counting as many (status, (provider, kind)) tuples takes, whose hashes are never cached.
_STATUS_BASE = {"fail": 0, "unknown": 1 << 40, "pass": 2 << 40, "waived": 3 << 40}
_STATUS_OF_BASE = {base: status for status, base in _STATUS_BASE.items()}


def _results(
    compiled: CompiledControl,
    ctx: EvalContext,
    records: list[Any],
    keys: list[str],
    keep_passed: bool,
    stand_ins: frozenset[int] | None = None,
) -> tuple[dict[str, int], list[tuple[Any, str]], dict[str, int]]:
    """Counts per status, the records that become findings with their status, and how many
    records of each provider and kind (``keys``, one per record) were evaluated. A stand-in that
    passes (``id`` in ``stand_ins``) is neither counted nor evaluated: it passed on part of its
    grants, and the shard reading it whole gives its result."""
    uncounted: list[str] = []
    passed = failed = unknown = 0
    matched: list[tuple[Any, str]] = []
    match = matched.append
    where = compiled.where
    require = compiled.require.predicate
    in_scope: list[str] = keys if where is None else []
    for record, key in zip(records, keys, strict=True):
        if where is not None:
            applies = where(record, ctx)
            if applies is False:
                continue
            in_scope.append(key)
            if applies is None:
                unknown += 1
                match((record, "unknown"))
                continue
        outcome = require(record, ctx)
        if outcome is True:
            if stand_ins is not None and id(record) in stand_ins:
                uncounted.append(key)
                continue
            passed += 1
            if keep_passed:
                match((record, "pass"))
        elif outcome is False:
            failed += 1
            match((record, "fail"))
        else:
            unknown += 1
            match((record, "unknown"))
    scopes = dict(Counter(in_scope))  # in the order each key first occurs
    for key in uncounted:
        scopes[key] -= 1
    return {"fail": failed, "pass": passed, "waived": 0, "unknown": unknown}, matched, scopes


def _findings(
    compiled: CompiledControl,
    matched: list[tuple[Any, str]],
    refs: dict[int, _Known],
    scopes: dict[tuple[str, str], int],
    ctx: EvalContext,
) -> tuple[list[Finding], dict[tuple[str, str, str], int]]:
    """The findings of one control, and how many there are of each status, provider and kind."""
    control = compiled.control
    control_id, severity, resource_type = control.id, control.severity, control.resource
    fingerprint_of = fingerprinter(control_id)
    evidence_names = {name for name, _ in compiled.require.fields} | {name for name, _, _ in compiled.require.relations}
    failure_message = fast_failure_message(compiled, evidence_names)
    evidence_of = evidence_builder(compiled)
    scope_gaps = _scope_gaps(compiled)
    shared: dict[Any, Any] = {}  # evidence already built, for findings whose evidence reads the same
    no_evidence: dict[str, Any] = {}
    findings: list[Finding] = []
    append = findings.append
    outcomes: list[int] = []
    outcome = outcomes.append
    base = _STATUS_BASE
    for record, status in matched:
        known = refs.get(id(record))
        if known is None:
            ref = resource_ref(record, resource_type, ctx)
            known = refs[id(record)] = (ref, scopes.setdefault((ref.provider, ref.kind), len(scopes)))
        ref, scope = known
        outcome(base[status] + scope)
        evidence = no_evidence if status == "pass" else evidence_of(record, ctx, shared)
        if status == "unknown" and scope_gaps is not None:
            evidence = scope_gaps(record, ctx, evidence)
        text = None
        if status == "fail" and failure_message is not None:
            text = failure_message(record, ref, evidence, ctx)
        if text is None:
            text = message(compiled, record, ref, status, evidence, ctx)
        # positional: this runs once per finding, up to millions of times per scan
        append(Finding(fingerprint_of(ref.uid), control_id, status, severity, ref, text, evidence))
    return findings, _tally(outcomes, scopes)


def evaluated_uids(
    compiled: CompiledControl, ctx: EvalContext, scopes: Container[str], found: Container[str]
) -> list[str]:
    """The uids of the records ``compiled`` evaluated: those of its resource type that ``where``
    does not exclude (whatever their result: passing ones are counted, never kept as findings),
    of the providers and kinds (``"aws/access_key"``) in ``scopes``: the control's
    ``evaluated_by_scope``, which a scan limited to frameworks narrows to their providers. A
    stand-in is evaluated only where it did not pass: where it has a finding (its uid in ``found``)."""
    where, resource_type = compiled.where, compiled.control.resource
    records = ctx.records_judged_by(compiled)[0]
    stand_ins = ctx.stand_ins_among(records) or frozenset()
    return [
        record.uid
        for record in records
        if _scope_key(record, resource_type, ctx) in scopes
        and (where is None or where(record, ctx) is not False)
        and (id(record) not in stand_ins or record.uid in found)
    ]


def _scope_gaps(compiled: CompiledControl) -> Callable[[Any, EvalContext, dict[str, Any]], dict[str, Any]] | None:
    """For a control with ``where``: the evidence of an unknown finding with the fields that left
    its scope undecided named as not collected (the account's environment, say), so the finding
    says why it could not be assessed; None for a control without ``where``."""
    where, fields = compiled.where, compiled.where_fields
    if where is None or not fields:
        return None

    def with_gaps(record: Any, ctx: EvalContext, evidence: dict[str, Any]) -> dict[str, Any]:
        if where(record, ctx) is not None:  # in scope: the gap is require's, named already
            return evidence
        gaps = []
        for name, accessor in fields:
            value = accessor(record, ctx)
            if value is UNKNOWN:
                gaps.append(f"{name}: {DATED_AFTER}" if dated_after(accessor, record) else name)
            elif type(value) is Incomplete:
                gaps.append(value.reason)
        if not gaps:
            return evidence
        named = list(dict.fromkeys([*gaps, *(evidence.get("not_collected") or ())]))[:MAX_EVIDENCE_ITEMS]
        return {**evidence, "not_collected": named}  # a copy: evidence may be shared between findings

    return with_gaps


def _tally(outcomes: list[int], scopes: dict[tuple[str, str], int]) -> dict[tuple[str, str, str], int]:
    """Findings by status, provider and kind (each finding's status and its resource's, as
    ``_STATUS_BASE`` numbers them), in the order each first occurs."""
    named = list(scopes)  # a scope's number is its place: numbers are given in order, from 0
    low = (1 << 40) - 1
    tally = {}
    for key, number in Counter(outcomes).items():
        provider, kind = named[key & low]
        tally[(_STATUS_OF_BASE[key & ~low], provider, kind)] = number
    return tally


def _scope_key(record: Any, resource_type: str, ctx: EvalContext) -> str:
    """ "provider/kind" of a record, as its ResourceRef would name them."""
    if resource_type in ("credential", "grant"):
        holder = ctx.holder(record.identity_uid)
        provider = holder.provider if holder else record.attributes.get("provider", "")
        return f"{provider}/{record.kind}"
    return f"{record.provider}/{getattr(record, 'kind', resource_type)}"


def resource_ref(record: Any, resource_type: str, ctx: EvalContext) -> ResourceRef:
    if resource_type == "credential":
        holder = ctx.holder(record.identity_uid)
        provider = holder.provider if holder else record.attributes.get("provider", "")
        account = holder.account if holder else record.attributes.get("account", "")
        holder_name = holder.name if holder else (record.identity_uid or "")
        name = f"{record.kind} {record.attributes.get('display_id', '')}".strip()
        if holder_name:
            name += f" of {holder_name}"
        return ResourceRef(
            record.uid, resource_type, record.kind, name, provider, account, record.attributes.get("location")
        )
    if resource_type == "grant":
        holder = ctx.holder(record.identity_uid)
        provider = holder.provider if holder else ""
        account = holder.account if holder else ""
        name = f"{record.name} ({holder.name})" if holder else record.name
        location = record.attributes.get("location")
        return ResourceRef(record.uid, resource_type, record.kind, name, provider, account, location)
    if resource_type == "account":
        return ResourceRef(
            record.uid, resource_type, record.kind, record.name or record.uid, record.provider, record.uid
        )
    kind = getattr(record, "kind", resource_type)
    location = record.attributes.get("location")
    return ResourceRef(
        record.uid, resource_type, kind, record.name or record.uid, record.provider, record.account, location
    )
