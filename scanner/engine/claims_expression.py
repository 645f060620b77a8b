"""Which workloads a flexible federated identity credential of Entra admits: its claims matching
expression, in place of a subject (learn.microsoft.com, "Flexible federated identity credentials").

Language version 1 joins conditions ``claims['NAME'] OPERATOR 'VALUE'`` with ``and``; the operators
are ``eq`` and ``matches`` (wildcards ``*`` and ``?``). A conjunction admits only what each of its
conditions admits, so the expression names one workload where one condition does: on ``sub``, a
value that names one as a plain subject would (``matches`` one repository on any branch does;
``matches`` every repository of an owner does not), or ``eq`` an immutable repository or project
id. Conditions on other documented claims (``job_workflow_ref``, ``repository_owner_id``) name a
workflow or an owner, never one workload. What this does not read (another language version or
operator, an unknown claim, a malformed text, a pattern using characters Microsoft documents no
meaning for) is not judged, and why is said: never read as naming one workload.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from scanner.engine.trust import subject_is_specific

_CONDITION = re.compile(r"claims\['([^'\s]+)'\]\s+(\S+)\s+'([^']*)'")
_JOINER = re.compile(r"\s+(\S+)\s+")
_MAX_LENGTH = 4096  # Entra stores far shorter expressions; a longer text is not read
_IDENTIFYING_IDS = frozenset({"repository_id", "project_id"})  # one GitHub repository, one GitLab project
_NARROWING_CLAIMS = frozenset({"sub", "job_workflow_ref", "repository_owner_id", *_IDENTIFYING_IDS})
# Regular-expression syntax: a pattern written with it may admit more than its wildcards say
_UNDOCUMENTED_PATTERN = frozenset("[](){}|+\\^$")
_WILDCARD = frozenset("*?")


@dataclass(frozen=True, slots=True)
class Admitted:
    """Whether an expression admits one workload only; None, with ``why``, where it was not judged."""

    specific: bool | None
    why: str = ""


def admitted(expression: Any) -> Admitted:
    """What a ``claimsMatchingExpression`` (``{"value": ..., "languageVersion": 1}``) admits."""
    if not isinstance(expression, dict):
        return Admitted(None, "not in the answer read" if expression is None else "malformed")
    version, text = expression.get("languageVersion"), expression.get("value")
    if version != 1 or isinstance(version, bool):
        return Admitted(None, f"languageVersion {version!r}")
    if not isinstance(text, str) or len(text) > _MAX_LENGTH:
        return Admitted(None, "malformed")
    conditions = _conditions(text.strip())
    if isinstance(conditions, str):
        return Admitted(None, conditions)
    unknown = next((operator for _, operator, _ in conditions if operator not in ("eq", "matches")), None)
    if unknown is not None:
        return Admitted(None, f"operator {unknown!r}")
    unjudged = ""
    for claim, operator, value in conditions:
        if claim not in _NARROWING_CLAIMS:
            unjudged = unjudged or f"claim {claim!r}"
        elif claim == "sub" and operator == "eq" and value.strip():
            return Admitted(True)  # one subject, as written: "*" and "?" are no wildcards to eq
        elif claim == "sub" and (specific := subject_is_specific(value)) is not False:
            if specific is None or _UNDOCUMENTED_PATTERN.intersection(value):
                # a wildcard in a format whose identifying part is not known; or read as a regular
                # expression, it admits more
                unjudged = unjudged or f"pattern {value!r}"
            else:
                return Admitted(True)
        elif (
            claim in _IDENTIFYING_IDS
            and value.strip()
            and (operator == "eq" or not (_WILDCARD | _UNDOCUMENTED_PATTERN).intersection(value))
        ):
            return Admitted(True)
    return Admitted(None, unjudged) if unjudged else Admitted(False)


def _conditions(text: str) -> list[tuple[str, str, str]] | str:
    """The conditions of an expression, or why it cannot be read."""
    found: list[tuple[str, str, str]] = []
    position = 0
    while True:
        condition = _CONDITION.match(text, position)
        if condition is None:
            return "malformed"
        found.append((condition[1], condition[2], condition[3]))
        position = condition.end()
        if position == len(text):
            return found
        joiner = _JOINER.match(text, position)
        if joiner is None:
            return "malformed"
        if joiner[1] != "and":
            return f"operator {joiner[1]!r}"
        position = joiner.end()


def expression_gap(entry: dict[str, Any]) -> str | None:
    """Why what a trust entry's claims matching expression admits was not judged, or None."""
    if "claims_matching" not in entry:
        return None
    judged = admitted(entry["claims_matching"])
    if judged.specific is not None:
        return None
    return f"claims matching expression of {entry.get('name') or entry.get('principal')} ({judged.why})"
