"""Evaluating compiled controls over an indexed inventory.

A control applies to every record of its resource type that satisfies ``where``; each such record
gets a result: pass, fail, or unknown (the data needed was not collected, or ``where`` itself
could not be decided). Passing results are counted; they become findings only when asked for,
so that 100k identities do not turn into millions of objects nobody reads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scanner.engine.context import EvalContext
from scanner.engine.controls import CompiledControl
from scanner.engine.fields import UNKNOWN, field_accessor
from scanner.model import Finding, ResourceRef

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
MAX_EVIDENCE_ITEMS = 20


@dataclass(slots=True)
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)


def fingerprint(control_id: str, resource_uid: str) -> str:
    return hashlib.sha256(f"{control_id}\x1f{resource_uid}".encode()).hexdigest()[:32]


def evaluate(controls: list[CompiledControl], ctx: EvalContext, keep_passed: bool = False) -> Evaluation:
    result = Evaluation()
    refs: dict[int, ResourceRef] = {}
    for compiled in controls:
        control = compiled.control
        counts = {"fail": 0, "pass": 0, "waived": 0, "unknown": 0}
        result.counts[control.id] = counts
        where = compiled.where
        require = compiled.require.predicate
        for record in ctx.records(control.resource):
            if where is not None:
                applies = where(record, ctx)
                if applies is False:
                    continue
                outcome = None if applies is None else require(record, ctx)
            else:
                outcome = require(record, ctx)
            if outcome is True:
                counts["pass"] += 1
                if not keep_passed:
                    continue
                status = "pass"
            else:
                status = "fail" if outcome is False else "unknown"
                counts[status] += 1
            ref = refs.get(id(record))
            if ref is None:
                ref = refs[id(record)] = resource_ref(record, control.resource, ctx)
            result.findings.append(_finding(compiled, record, ref, status, ctx))
    return result


def resource_ref(record: Any, resource_type: str, ctx: EvalContext) -> ResourceRef:
    if resource_type == "credential":
        holder = ctx.identities.get(record.identity_uid or "") or ctx.agents_by_uid.get(record.identity_uid or "")
        provider = holder.provider if holder else record.attributes.get("provider", "")
        account = holder.account if holder else record.attributes.get("account", "")
        holder_name = holder.name if holder else (record.identity_uid or "")
        name = f"{record.kind} {record.attributes.get('display_id', '')} of {holder_name}".replace("  ", " ")
        return ResourceRef(record.uid, resource_type, record.kind, name, provider, account)
    if resource_type == "grant":
        holder = ctx.identities.get(record.identity_uid) or ctx.agents_by_uid.get(record.identity_uid)
        provider = holder.provider if holder else ""
        account = holder.account if holder else ""
        name = f"{record.name} ({holder.name})" if holder else record.name
        return ResourceRef(record.uid, resource_type, record.kind, name, provider, account)
    if resource_type == "account":
        return ResourceRef(
            record.uid, resource_type, record.kind, record.name or record.uid, record.provider, record.uid
        )
    kind = getattr(record, "kind", resource_type)
    return ResourceRef(record.uid, resource_type, kind, record.name or record.uid, record.provider, record.account)


def _finding(compiled: CompiledControl, record: Any, ref: ResourceRef, status: str, ctx: EvalContext) -> Finding:
    control = compiled.control
    evidence = {} if status == "pass" else _evidence(compiled, record, ctx)
    return Finding(
        fingerprint=fingerprint(control.id, ref.uid),
        control_id=control.id,
        status=status,
        severity=control.severity,
        resource=ref,
        message=_message(compiled, record, ref, status, evidence, ctx),
        evidence=evidence,
    )


def _evidence(compiled: CompiledControl, record: Any, ctx: EvalContext) -> dict[str, Any]:
    evidence: dict[str, Any] = {}
    resource_type = compiled.control.resource
    for name in compiled.require.fields:
        accessor = field_accessor(resource_type, name)
        if accessor is not None:
            evidence[name] = json_value(accessor(record, ctx))
    for name, resolve, inner in compiled.require.relations:
        records = resolve(record, ctx)
        if records is UNKNOWN:
            evidence[name] = "not collected"
            continue
        matching = [item for item in records if inner is None or inner(item, ctx)]
        labels = [_label(item) for item in matching[:MAX_EVIDENCE_ITEMS]]
        if len(matching) > MAX_EVIDENCE_ITEMS:
            labels.append(f"... {len(matching) - MAX_EVIDENCE_ITEMS} more")
        evidence[name] = labels
    unknown = list(getattr(record, "unknown", []) or [])
    if unknown:
        evidence["not_collected"] = unknown
    location = getattr(record, "attributes", {}).get("location")
    if location:
        evidence["location"] = location
    return evidence


def _label(record: Any) -> str:
    if isinstance(record, dict):
        return str(record.get("principal") or record.get("account") or record)
    name = getattr(record, "name", "") or ""
    if hasattr(record, "identity_uid") and hasattr(record, "kind") and not hasattr(record, "actions"):
        display = record.attributes.get("display_id") or record.kind
        return f"{record.kind} {display}" if display != record.kind else record.kind
    return name or record.uid


def json_value(value: Any) -> Any:
    if value is UNKNOWN:
        return "not collected"
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, frozenset | set):
        return sorted(value)
    return value


def _message(
    compiled: CompiledControl, record: Any, ref: ResourceRef, status: str, evidence: dict[str, Any], ctx: EvalContext
) -> str:
    if status == "unknown":
        missing = evidence.get("not_collected") or [k for k, v in evidence.items() if v == "not collected"]
        detail = f" ({', '.join(missing)} not collected)" if missing else ""
        return f"{ref.name}: could not be assessed{detail}"
    if status == "pass":
        return f"{ref.name}: {compiled.title}"
    template = compiled.control.message
    if not template:
        return f"{ref.name}: fails '{compiled.title}'"
    values: dict[str, Any] = {"name": ref.name, "title": compiled.title, **compiled.params}

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key in evidence:
            return _text(evidence[key])
        if key in values:
            return _text(values[key])
        accessor = field_accessor(compiled.control.resource, key)
        return _text(json_value(accessor(record, ctx))) if accessor else match.group(0)

    return _PLACEHOLDER.sub(replace, template)


def _text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) if value else "none"
    return "none" if value is None else str(value)
