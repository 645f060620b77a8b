"""Test cases carried inside control files, run by ``nhiscan controls validate`` and the test suite.

A case is a small inventory fragment and the status expected for one resource::

    tests:
      - name: a key created 400 days ago fails
        expect: fail                      # fail | pass | unknown | not_applicable
        resource: key-1                   # optional when the control applies to one record only
        inventory:
          identities: [{uid: u1}]
          credentials: [{uid: key-1, identity_uid: u1, created: -400d}]

Missing required fields get defaults (provider aws, account 111111111111, ...). Times may be
written relative to the collection time: ``-400d`` is 400 days before it, ``+10d`` after.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from scanner.engine.context import EvalContext
from scanner.engine.controls import Control, compile_control
from scanner.engine.evaluate import evaluate
from scanner.errors import InputError
from scanner.inventory_io import inventory_from_data
from scanner.model import Finding
from scanner.serialize import format_time, parse_time

COLLECTED_AT = "2026-01-01T00:00:00Z"
TEST_ACCOUNT = "111111111111"
_RELATIVE = re.compile(r"^([+-])(\d+)d$")
_TIME_FIELDS = {"created", "last_used", "expires", "last_rotated"}

_DEFAULTS: dict[str, dict[str, Any]] = {
    "accounts": {"provider": "aws"},
    "identities": {"provider": "aws", "account": TEST_ACCOUNT, "kind": "user"},
    "credentials": {"kind": "access_key"},
    "grants": {"kind": "policy"},
    "agents": {"provider": "aws", "account": TEST_ACCOUNT},
    "log_sources": {"provider": "aws", "account": TEST_ACCOUNT, "kind": "cloudtrail"},
    "sources": {"status": "complete"},
}


@dataclass(frozen=True, slots=True)
class CaseOutcome:
    path: str
    control_id: str
    name: str
    ok: bool
    detail: str = ""


def fragment_to_data(fragment: dict[str, Any]) -> dict[str, Any]:
    collected_at = parse_time(str(fragment.get("collected_at", COLLECTED_AT)))
    data: dict[str, Any] = {"schema_version": "1.0", "collected_at": format_time(collected_at)}
    for section, defaults in _DEFAULTS.items():
        records = []
        for raw in fragment.get(section, []):
            record = {**defaults, **raw}
            if section == "identities":
                record.setdefault("name", record["uid"].rsplit("/", 1)[-1])
            if section == "agents":
                record.setdefault("name", record["uid"])
            if section == "grants":
                record.setdefault("name", "policy")
            for key in _TIME_FIELDS & record.keys():
                record[key] = _time(record[key], collected_at)
            records.append(record)
        data[section] = records
    return data


def _time(value: Any, collected_at: Any) -> Any:
    if isinstance(value, str) and (match := _RELATIVE.match(value)):
        days = int(match.group(2)) * (1 if match.group(1) == "+" else -1)
        return format_time(collected_at + timedelta(days=days))
    return value


def run_control_tests(controls: list[Control], catalogs: Any) -> list[CaseOutcome]:
    outcomes = []
    for control in controls:
        for case in control.tests:
            outcomes.append(run_case(control, case, catalogs))
    return outcomes


def run_case(control: Control, case: dict[str, Any], catalogs: Any) -> CaseOutcome:
    name = case["name"]
    try:
        found = case_result(control, case, catalogs)
    except CaseError as exc:
        return CaseOutcome(control.path, control.id, name, False, str(exc))
    actual = found.status if found else "not_applicable"
    if actual != case["expect"]:
        message = f" ({found.message})" if found else ""
        return CaseOutcome(control.path, control.id, name, False, f"expected {case['expect']}, got {actual}{message}")
    return CaseOutcome(control.path, control.id, name, True)


class CaseError(ValueError):
    """A test case that cannot be run: its inventory is invalid, or it does not say which result it is about."""


def case_result(
    control: Control, case: dict[str, Any], catalogs: Any, data: dict[str, Any] | None = None
) -> Finding | None:
    """The result of the case's resource (None: the control did not apply to it). ``data`` replaces
    the case's inventory (already in inventory-file form), for checks that alter it."""
    try:
        inventory = inventory_from_data(data or fragment_to_data(case["inventory"]), Path(control.path))
    except InputError as exc:
        raise CaseError(f"invalid inventory: {exc.detail}") from None
    compiled = compile_control(control, case.get("params"))
    reach = case.get("baseline_reach")
    baseline = {uid: frozenset(tags) for uid, tags in reach.items()} if reach is not None else None
    ctx = EvalContext(inventory, inventory.collected_at, catalogs.capabilities, baseline)
    findings = evaluate([compiled], ctx, keep_passed=True).findings
    target = case.get("resource")
    if target is None:
        if len(findings) > 1:
            raise CaseError(f"{len(findings)} results; name the resource the case is about")
        return findings[0] if findings else None
    return next((f for f in findings if f.resource.uid == target), None)
