"""No evidence, no pass: the proof, run over every control by ``nhiscan controls validate`` and the tests.

A control reads evidence: pairs of a record type and a name a source marks not collected on such a
record (``identity.grants``, ``grant.actions``, ``account.agents``, ``credential.last_used``). The
fields and relations of ``scanner.engine.fields`` declare them. For each piece the control reads,
each of its failing and passing test cases is run again with that piece withheld: marked not
collected on every record of that type and removed (a relation's records dropped, a field emptied).
Then

- each case gives its own result or unknown: a gap in the evidence never turns a failure into a
  pass, nor a pass into a failure, nor makes the control stop applying;
- at least one case becomes unknown: the control does consult the gap, it does not simply reach
  the same answer without it in every case it carries (that would leave the proof empty).

A control that cannot meet this for some piece of evidence names it under ``evidence_exemptions``
with the reason, in its own file; an exemption for evidence the control does not read is an error.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from scanner.engine.context import INVENTORY_LISTS
from scanner.engine.controls import Control, compile_control
from scanner.engine.fields import Evidence
from scanner.engine.selftest import CaseError, case_result, fragment_to_data
from scanner.model import PERMISSION_ATTRIBUTES

SECTIONS = INVENTORY_LISTS  # record type -> inventory section
# Fields a source leaves empty (None) when it could not read them; others keep their value and the
# mark alone must make them unknown.
_NULLABLE = {
    "owner",
    "created",
    "last_used",
    "last_rotated",
    "expires",
    "interactive",
    "runs_as",
    "guardrail",
    "human_approval",
    "memory_enabled",
    "memory_retention_days",
    "retention_days",
    "environment",
    "parent",
}
_LISTS = {"actions", "resources", "covers"}
_STORED_AT = {"trust": "attributes.trust"}  # evidence kept in a record's attributes


@dataclass(frozen=True, slots=True)
class EvidenceProblem:
    path: str
    control_id: str
    evidence: str  # "identity.grants"
    detail: str


def evidence_name(evidence: Evidence) -> str:
    return f"{evidence[0]}.{evidence[1]}"


def evidence_read(control: Control) -> frozenset[Evidence]:
    """Every piece of evidence a control's ``where`` and ``require`` read, at any depth."""
    return compile_control(control).reads


def check_controls(controls: Iterable[Control], catalogs: Any) -> list[EvidenceProblem]:
    return [problem for control in controls for problem in check_control(control, catalogs)]


def check_control(control: Control, catalogs: Any) -> list[EvidenceProblem]:
    exempt: dict[str, str] = dict(control.evidence_exemptions or {})
    read = sorted(evidence_read(control))
    problems = [
        EvidenceProblem(control.path, control.id, name, "exempted, but the control does not read it")
        for name in sorted(set(exempt) - {evidence_name(e) for e in read})
    ]
    decided = [case for case in control.tests if case.get("expect") in ("fail", "pass")]
    for evidence in read:
        name = evidence_name(evidence)
        if name in exempt:
            continue
        if not decided:
            problems.append(EvidenceProblem(control.path, control.id, name, "no failing or passing test case"))
            continue
        statuses = []
        for case in decided:
            status = _withheld_status(control, case, catalogs, evidence)
            statuses.append(status)
            if status not in (case["expect"], "unknown"):
                problems.append(
                    EvidenceProblem(
                        control.path,
                        control.id,
                        name,
                        f"test '{case['name']}' gives {status}, not {case['expect']} or unknown, "
                        "when it is not collected",
                    )
                )
        if "unknown" not in statuses:
            problems.append(
                EvidenceProblem(
                    control.path,
                    control.id,
                    name,
                    "no test case becomes unknown when it is not collected "
                    "(add a case that it decides, or exempt it with the reason)",
                )
            )
    return problems


def _withheld_status(control: Control, case: dict[str, Any], catalogs: Any, evidence: Evidence) -> str:
    try:
        original = case_result(control, case, catalogs)
        if original is None:
            return "not_applicable"
        data = fragment_to_data(copy.deepcopy(case["inventory"]))  # the case itself stays as written
        withhold(data, evidence, keep=original.resource.uid)
        found = case_result(control, {**case, "resource": original.resource.uid}, catalogs, data)
    except CaseError as exc:
        return f"an error ({exc})"
    return found.status if found else "not_applicable"


def withhold(data: dict[str, Any], evidence: Evidence, keep: str) -> None:
    """Mark ``evidence`` not collected on every record of its type in an inventory (file form), and
    remove what it stands for; the record ``keep`` (the case's resource) is never removed."""
    rtype, name = evidence
    if rtype == "account":
        _add_missing_accounts(data)
    holders = data.get(SECTIONS[rtype], [])
    uids = {record.get("uid") for record in holders}
    for record in holders:
        record["unknown"] = sorted({*record.get("unknown", []), name})
    linked = _LINKED.get((rtype, name))
    if linked is not None:
        section, is_linked = linked
        data[section] = [r for r in data.get(section, []) if r.get("uid") == keep or not is_linked(r, uids)]
        return
    for record in holders:
        _clear(record, name)


def _clear(record: dict[str, Any], name: str) -> None:
    name = _STORED_AT.get(name, name)
    root, _, rest = name.partition(".")
    if rest:
        value = record.get(root)
        path = rest.split(".")
        for step in path[:-1]:
            value = value.get(step) if isinstance(value, dict) else None
        if isinstance(value, dict):
            value.pop(path[-1], None)
    elif name in _NULLABLE:
        record[name] = None
    elif name in _LISTS:
        record[name] = []
        if name == "actions" and isinstance(record.get("attributes"), dict):  # a role not read: neither is
            for held in PERMISSION_ATTRIBUTES:
                record["attributes"].pop(held, None)


def _add_missing_accounts(data: dict[str, Any]) -> None:
    accounts = data.setdefault("accounts", [])
    known = {a["uid"] for a in accounts}
    for section in ("identities", "agents", "log_sources"):
        for record in data.get(section, []):
            account = record.get("account")
            if account and account not in known:
                known.add(account)
                accounts.append({"uid": account, "provider": record.get("provider", "aws")})


def _held_by(record: dict[str, Any], uids: set[str]) -> bool:
    return record.get("identity_uid") in uids


# (record type, relation marker) -> (section of the linked records, is this record linked to those uids)
_LINKED: dict[Evidence, tuple[str, Callable[[dict[str, Any], set[str]], bool]]] = {
    ("identity", "grants"): ("grants", _held_by),
    ("identity", "credentials"): ("credentials", _held_by),
    ("identity", "agents"): ("agents", lambda r, uids: r.get("runs_as") in uids),
    ("agent", "tools"): ("grants", lambda r, uids: _held_by(r, uids) and r.get("kind") == "tool"),
    ("agent", "credentials"): ("credentials", _held_by),
    ("account", "identities"): ("identities", lambda r, uids: r.get("account") in uids),
    ("account", "agents"): ("agents", lambda r, uids: r.get("account") in uids),
    ("account", "log_sources"): ("log_sources", lambda r, uids: r.get("account") in uids),
}
