"""Loading controls: YAML files, validated in stages before anything runs.

1. YAML syntax (line and column), 2. the control JSON Schema (line of the offending key),
3. semantic checks: the id equals the file name and is unique, every framework id and item id
exists in a loaded catalog, parameters are declared, and ``where``/``require`` compile (unknown
fields, relations and operators are named with their line).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scanner.engine.conditions import (
    Compiled,
    ConditionError,
    Predicate,
    compile_condition,
    substitute_params,
)
from scanner.engine.fields import FIELDS, RELATIONS
from scanner.errors import InputError
from scanner.frameworks import Framework, items_by_framework, parse_mappings, unversioned_key
from scanner.loading import inside, validate, yaml_line
from scanner.model import FrameworkMapping
from scanner.yaml_input import read_yaml

CLASSIFICATION_FIELDS = {"classification", "human"}
NOT_CONTROL_FILES = {"capabilities.yaml"}
NOT_CONTROL_DIRS = {"frameworks"}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")


@dataclass(slots=True)
class Control:
    id: str
    title: str
    severity: str
    resource: str
    require: dict[str, Any]
    frameworks: dict[str, list[str]]  # framework id -> item ids, from ``mappings``
    rationale: str
    remediation: str
    where: dict[str, Any] | None = None
    mappings: list[FrameworkMapping] = field(default_factory=list)
    params: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    references: list[str] = field(default_factory=list)
    tests: list[dict[str, Any]] = field(default_factory=list)
    # Evidence ("identity.grants") this control need not be unknown without, and why (scanner.engine.evidence).
    evidence_exemptions: dict[str, str] = field(default_factory=dict)
    path: str = ""
    node: yaml.Node | None = field(default=None, repr=False)


@dataclass(slots=True)
class CompiledControl:
    control: Control
    params: dict[str, Any]
    title: str
    where: Predicate | None
    require: Compiled
    # The message template split once: literal text, or (True, name) for a per-resource value.
    message_parts: list[tuple[bool, str]] | None = None
    # The control scopes or judges identities by who uses them: findings say how each was classed.
    classified: bool = False
    reads: frozenset[tuple[str, str]] = frozenset()  # the evidence where and require read (fields.reads)
    where_fields: tuple[tuple[str, Any], ...] = ()  # fields ``where`` tests (outside not and relations)

    @property
    def id(self) -> str:
        return self.control.id


def control_files(directory: Path) -> list[Path]:
    files = []
    for path in inside(directory, sorted(directory.rglob("*.yaml"))):
        relative = path.relative_to(directory)
        if path.name in NOT_CONTROL_FILES or (set(relative.parts[:-1]) & NOT_CONTROL_DIRS):
            continue
        files.append(path)
    return files


def load_controls(directories: Iterable[Path], frameworks: Mapping[str, Framework]) -> list[Control]:
    controls: dict[str, Control] = {}
    for directory in directories:
        if not directory.is_dir():
            raise InputError("controls directory not found", str(directory))
        for path in control_files(directory):
            control = load_control(path, frameworks, found=True)
            if control.id in controls:
                raise InputError(f"control id {control.id} is also defined in {controls[control.id].path}", str(path))
            controls[control.id] = control
    return sorted(controls.values(), key=lambda c: c.id)


def load_control(path: Path, frameworks: Mapping[str, Framework], found: bool = False) -> Control:
    """``found``: the file was found in a controls folder (see loading.read_text)."""
    data, node = read_yaml(path, found)
    if isinstance(data, dict) and (key := unversioned_key(data.get("frameworks"))) is not None:
        line = yaml_line(node, ("frameworks", key))
        raise InputError(
            f"framework mapping '{key}' names no catalog version: write '{key}@<version>:' followed by "
            "[{item, relationship: direct|partial|supporting, rationale}] (see docs/frameworks.md)",
            str(path),
            str(line) if line else None,
        )
    validate(data, "control", path, node)
    control = Control(**{key: value for key, value in data.items()}, path=str(path), node=node)
    if control.id != path.stem:
        raise InputError(f"control id {control.id} does not match its file name {path.name}", str(path), "1")
    _check_frameworks(control, frameworks)
    compile_control(control)  # surfaces condition and parameter errors at load time
    return control


def _check_frameworks(control: Control, frameworks: Mapping[str, Framework]) -> None:
    """Parse the typed mappings; every catalog, version and item must exist in what was loaded."""
    control.mappings, errors = parse_mappings(control.frameworks, frameworks, control.id)  # type: ignore[arg-type]
    if errors:
        message, json_path = errors[0]
        raise _error(control, message, json_path)
    control.frameworks = items_by_framework(control.mappings)


def refused_parameter(default: Any, value: Any) -> str | None:
    """Why an override cannot stand for a parameter's default, or None. It must be what the default
    is: a number finite and not negative (.inf or -1 turns a limit off), a list not empty (no
    service, no check); a control turned off belongs in controls.disabled, which every report names."""
    if isinstance(default, bool) or default is None:
        return None if type(value) is type(default) else f"must be {_kind(default)}, not {_kind(value)}"
    if isinstance(default, int | float):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            return f"must be a number of 0 or more, not {value!r}"
        return None
    if isinstance(default, list):
        if not isinstance(value, list) or not value:
            return "must be a list of at least one entry (to turn the control off, list it in controls.disabled)"
        kinds = {type(item) for item in default}
        return (
            None if all(type(item) in kinds for item in value) else f"must list what its default lists ({default[0]!r})"
        )
    if isinstance(default, str):
        return None if isinstance(value, str) and value.strip() else "must be a text that is not empty"
    return None


def _kind(value: Any) -> str:
    return {bool: "true or false", str: "a text", int: "a number", float: "a number", list: "a list"}.get(
        type(value), type(value).__name__
    )


def compile_control(control: Control, overrides: Mapping[str, Any] | None = None) -> CompiledControl:
    params = dict(control.params)
    for name, value in (overrides or {}).items():
        if name not in params:
            raise InputError(f"control {control.id} has no parameter '{name}'", control.path)
        refusal = refused_parameter(params[name], value)
        if refusal:
            raise InputError(f"control {control.id}'s parameter '{name}' {refusal}", control.path)
        params[name] = value
    try:
        title = substitute_params(control.title, params, ("title",)) + _overrides_not_titled(control, params)
        where = None
        named = []
        where_fields: tuple[tuple[str, Any], ...] = ()
        reads: frozenset[tuple[str, str]] = frozenset()
        if control.where is not None:
            compiled_where = compile_condition(
                substitute_params(control.where, params, ("where",)), control.resource, ("where",)
            )
            where, reads = compiled_where.predicate, compiled_where.reads
            named = [name for name, _ in compiled_where.fields]
            where_fields = tuple(compiled_where.fields)
        require = compile_condition(
            substitute_params(control.require, params, ("require",)), control.resource, ("require",)
        )
        named += [name for name, _ in require.fields]
    except ConditionError as exc:
        raise _error(control, str(exc), exc.path) from None
    message_parts = _message_parts(control, params, title) if control.message else None
    classified = control.resource == "identity" and bool(CLASSIFICATION_FIELDS & set(named))
    return CompiledControl(
        control, params, title, where, require, message_parts, classified, reads | require.reads, where_fields
    )


def _overrides_not_titled(control: Control, params: Mapping[str, Any]) -> str:
    """The parameters set to other than their default that the title does not name, said after it
    (`` (services: example.amazonaws.com)``): a one-entry ``services`` list narrowed NHI-PRIV-010 to
    no role at all, and no report said why its failures were gone."""
    changed = [
        f"{name}: {', '.join(map(str, value)) if isinstance(value, list) else value}"
        for name, value in params.items()
        if value != control.params.get(name) and f"{{{name}}}" not in control.title
    ]
    return f" ({'; '.join(changed)})" if changed else ""


def _message_parts(control: Control, params: Mapping[str, Any], title: str) -> list[tuple[bool, str]]:
    """Split the message template; parameters and the title are filled in now, once."""
    allowed = set(FIELDS[control.resource]) | set(RELATIONS[control.resource]) | {"name"}
    constants = {**{key: str(value) for key, value in params.items()}, "title": title}
    parts: list[tuple[bool, str]] = []
    position = 0
    template = control.message or ""
    for match in _PLACEHOLDER.finditer(template):
        parts.append((False, template[position : match.start()]))
        name = match.group(1)
        if name in constants:
            parts.append((False, constants[name]))
        elif name.split(".")[0] in allowed or name.startswith(("attributes.", "tags.")):
            parts.append((True, name))
        else:
            raise _error(control, f"message names unknown placeholder {{{name}}}", ("message",))
        position = match.end()
    parts.append((False, template[position:]))
    return [part for part in parts if part[0] or part[1]]


def _error(control: Control, message: str, json_path: tuple[str | int, ...]) -> InputError:
    line = yaml_line(control.node, json_path)
    return InputError(message, control.path, str(line) if line else None)
