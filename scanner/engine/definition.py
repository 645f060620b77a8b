"""A control's definition as a digest: what it judged, so that two scans are known to have asked
the same question before a failure gone between them is called resolved (see diff.judged_since)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from scanner.engine.conditions import substitute_params
from scanner.engine.controls import CompiledControl


def definition_digest(compiled: CompiledControl) -> str:
    """SHA-256 of what a control judges: its resource type and its ``where`` and ``require`` with
    the parameters it ran with filled in. Raising ``max_age_days`` from 90 to 365, or editing a
    condition, changes it; a parameter only its title or message names, 90.0 for 90, or the order
    of a mapping's keys does not."""
    control = compiled.control
    where = None if control.where is None else substitute_params(control.where, compiled.params, ("where",))
    judged = {
        "resource": control.resource,
        "where": where,
        "require": substitute_params(control.require, compiled.params, ("require",)),
    }
    return _digest(json.dumps(_canonical(judged), sort_keys=True, ensure_ascii=True))


def mixed_digest(digests: Iterable[str | None]) -> str:
    """The definition of a control that the scans merged into one report judged differently (or
    that some of them, stored before definitions were recorded, do not name): equal to no single
    scan's, so that a failure gone since is never resolved by a change of question."""
    return _digest("mixed\n" + "\n".join(sorted({digest or "not recorded" for digest in digests})))


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(value: Any) -> Any:
    """``value`` as JSON writes it the same way every time: an integral float as an integer, a set
    sorted, anything else JSON has no type for as its text."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, dict):
        return {str(key): _canonical(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted((_canonical(item) for item in value), key=repr)
    return str(value)
