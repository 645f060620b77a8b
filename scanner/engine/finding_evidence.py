"""The evidence a finding carries: what the control read of its resource, and what was not collected.

Each control's evidence is built by one generated function (``evidence_builder``), its fields read
in order with no loop over the control's definition (a scan builds up to millions). Findings whose
evidence reads the same share one mapping (nothing changes evidence once made): a large estate has
a few thousand distinct ones among hundreds of thousands of findings. Only names this module makes
up are written into the source; accessors, names and the evidence read are constants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from scanner.engine.claims_expression import expression_gap
from scanner.engine.controls import CompiledControl
from scanner.engine.emit import Program
from scanner.engine.fields import DATED_AFTER, UNKNOWN, Incomplete, dated_after
from scanner.engine.messages import PLAIN, json_value
from scanner.engine.trust import subject_gap
from scanner.model import PLAINTEXT_SECRET, Account, Agent, Credential, Grant, Identity, LogSource
from scanner.serialize import kind_of

MAX_EVIDENCE_ITEMS = 20
_RECORD_TYPES: dict[type, str] = {
    Identity: "identity",
    Credential: "credential",
    Grant: "grant",
    Agent: "agent",
    LogSource: "log_source",
    Account: "account",
}

# Values no mapping can be shared by (a list of tags or records, a location): never looked up
UNHASHABLE = (list, dict)

# (record, ctx, shared) -> the evidence; ``shared`` holds the evidence already built for this control
EvidenceBuilder = Callable[[Any, Any, dict[Any, dict[str, Any]]], dict[str, Any]]


def evidence_builder(compiled: CompiledControl) -> EvidenceBuilder:
    """The evidence of one control's failing and unknown findings: each field the control requires
    (its value as JSON), each relation (up to MAX_EVIDENCE_ITEMS records named, or "not collected"),
    how an identity was classified, what was not collected, and where the record was read from."""
    program = Program()
    resource = compiled.control.resource
    names_read = program.constant(frozenset(name for rtype, name in compiled.reads if rtype == resource))
    lines = [
        "unknown = record.unknown",
        f"gaps = [name for name in unknown if name in {names_read}] if unknown else []",
    ]
    entries: list[tuple[str, str]] = []  # (constant naming the key, variable holding the value)
    for name, accessor in compiled.require.fields:
        value = program.fresh("v")
        lines += [
            f"{value} = {program.constant(accessor)}(record, ctx)",
            f"if type({value}) is Incomplete:",
            f"    gaps.append({value}.reason)",
        ]
        if getattr(accessor, "dates", None) is not None:  # an age: unknown where its date is after the day judged
            lines += [
                f"if {value} is UNKNOWN and DATED_AFTER_TEST({program.constant(accessor)}, record):",
                f"    {value} = DATED_AFTER",
            ]
        lines += [
            f"if {value} is not None and type({value}) not in PLAIN:",
            f"    {value} = JSON({value})",
        ]
        entries.append((program.constant(name), value))
    relation_values: dict[str, str] = {}  # a relation the condition tests twice is named once, both tests' records
    for name, resolve, inner in compiled.require.relations:
        value = program.fresh("v")
        call = f"RELATION({program.constant(resolve)}, {program.constant(inner)}, record, ctx, gaps, READ)"
        lines.append(f"{value} = {call}")
        if name in relation_values:
            lines.append(f"{value} = BOTH({relation_values[name]}, {value})")
        relation_values[name] = value
    entries += [(program.constant(name), value) for name, value in relation_values.items()]
    if compiled.classified:
        lines.append("classified = ctx.classification(record).describe()")
        entries.append((program.constant("classified_as"), "classified"))
    mapping = "{" + ", ".join(f"{key}: {value}" for key, value in entries) + "}"
    lines += ["attributes = record.attributes", 'located = attributes and "location" in attributes']
    if not compiled.require.relations:
        # the common case: every value plain, nothing missing, no location; shared by its values
        # and their kinds (1, 1.0 and true are equal, and 0.0 and -0.0, but not the same evidence:
        # see serialize.kind_of, written out here)
        kinds = "".join(f"type({value}) if type({value}) is not float else repr({value}), " for _, value in entries)
        values = "(" + "".join(f"{value}, " for _, value in entries) + kinds + ")"
        listed = " or ".join(f"type({value}) in UNHASHABLE" for _, value in entries) or "False"
        lines += [
            "if not gaps and not located:",
            f"    if {listed}:",
            f"        return {mapping}",
            f"    key = {values}",
            "    try:",
            "        evidence = shared.get(key)",
            "    except TypeError:  # a list among the values (tags): kept as it is",
            f"        return {mapping}",
            "    if evidence is None:",
            f"        evidence = shared[key] = {mapping}",
            "    return evidence",
        ]
    lines += [
        f"evidence = {mapping}",
        "if gaps:",
        f'    evidence["not_collected"] = list(dict.fromkeys(gaps))[:{MAX_EVIDENCE_ITEMS}]',
        "if located:",
        '    evidence["location"] = attributes["location"]',
        f"if gaps{''.join(f' or type({value}) in UNHASHABLE' for _, value in entries)}:",
        "    return evidence",
        "return share(evidence, shared)",
    ]
    program.namespace.update(
        JSON=json_value,
        PLAIN=PLAIN,
        DATED_AFTER=DATED_AFTER,
        DATED_AFTER_TEST=dated_after,
        READ=compiled.reads,
        RELATION=_relation_value,
        BOTH=_both_relations,
        share=_shared_items,
        UNHASHABLE=UNHASHABLE,
        TypeError=TypeError,
        list=list,
        dict=dict,
        float=float,
        repr=repr,
    )
    name = program.function(lines, "record, ctx, shared")
    built: EvidenceBuilder = program.build()[name]
    return built


def _shared_items(evidence: dict[str, Any], shared: dict[Any, Any]) -> dict[str, Any]:
    """``evidence``, or the same mapping built before, when every value in it is hashable. These
    are kept apart (under the key None) from the evidence shared by its values alone."""
    by_items = shared.get(None)
    if by_items is None:
        by_items = shared[None] = {}
    try:  # with the values' kinds: 1, 1.0 and true are equal, and 0.0 and -0.0, but not the same evidence
        return by_items.setdefault((*evidence.items(), *map(kind_of, evidence.values())), evidence)
    except TypeError:  # a list or mapping among the values (records named, gaps): kept as it is
        return evidence


def _both_relations(first: Any, second: Any) -> Any:
    """The records two tests of one relation name, each once, in order; "not collected" only when
    neither could name any."""
    if isinstance(first, list) and isinstance(second, list):
        return list(dict.fromkeys([*first, *second]))
    return first if isinstance(first, list) else second


def _relation_value(
    resolve: Any, inner: Any, record: Any, ctx: Any, gaps: list[str], read: frozenset[tuple[str, str]]
) -> Any:
    """The records of a relation the control's test holds for, named (up to MAX_EVIDENCE_ITEMS, the
    plaintext secrets among them first), or "not collected"; what was not collected of them joins
    ``gaps``."""
    records = resolve(record, ctx)
    if records is UNKNOWN:
        return "not collected"
    partial = type(records) is Incomplete
    if partial:
        gaps.append(records.reason)
        records = records.known
    target = _RECORD_TYPES.get(type(records[0])) if records else None
    for item in records:
        if item_unknown := getattr(item, "unknown", None):
            gaps.extend(f"{missing} of {label(item)}" for missing in item_unknown if (target, missing) in read)
    matching = records if inner is None else _holding(records, inner, ctx, gaps)
    shown = matching
    if len(matching) > MAX_EVIDENCE_ITEMS:  # plaintext secrets first: a gate tells a new one by them
        shown = sorted(matching, key=lambda item: not (type(item) is Credential and item.kind == PLAINTEXT_SECRET))
    labels = [label(item) for item in shown[:MAX_EVIDENCE_ITEMS]]
    if len(matching) > MAX_EVIDENCE_ITEMS:
        labels.append(f"... {len(matching) - MAX_EVIDENCE_ITEMS} more")
    return labels if labels or not partial else "not collected"


def _holding(records: list[Any], inner: Any, ctx: Any, gaps: list[str]) -> list[Any]:
    """The records ``inner`` holds for; where it cannot tell for a grant that marks nothing unknown
    itself, why (a tool or role whose reach nobody judged) joins ``gaps``, and so does why a trust
    entry's subject or claims matching expression was not judged."""
    matching = []
    for item in records:
        held = inner(item, ctx)
        if held:
            matching.append(item)
        elif held is None and type(item) is Grant and not item.unknown and (gap := ctx.grant_gap(item)):
            gaps.append(gap)  # what it marks unknown itself is named already
        elif held is None and type(item) is dict and (gap := expression_gap(item) or subject_gap(item)):
            gaps.append(gap)
    return matching


def label(record: Any) -> str:
    if isinstance(record, dict):  # a trust entry
        return str(record.get("principal") or record.get("account") or record)
    if isinstance(record, Credential):  # credentials have no name; show the redacted id
        display = record.attributes.get("display_id")
        return f"{record.kind} {display}" if display else record.kind
    return str(getattr(record, "name", "") or record.uid)
