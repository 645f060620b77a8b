"""Reading JSON and YAML input files and validating them against the shipped JSON Schemas.

Every failure becomes one ``InputError`` naming the file and the line (YAML, JSON syntax) or the
JSON path (schema violations in JSON), so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema
import jsonschema
import yaml
from jsonschema.exceptions import ValidationError, best_match

from scanner.errors import InputError
from scanner.resources import schema_file

MAX_INPUT_BYTES = 512 * 1024 * 1024


class _TextDatesLoader(yaml.SafeLoader):
    """SafeLoader that keeps dates as text: the schemas expect ISO strings, and an impossible date
    such as 2026-02-30 must become a clear validation error, not a crash inside the YAML parser."""


_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def read_text(path: Path) -> str:
    try:
        if path.is_dir():
            raise InputError("is a directory, expected a file", str(path))
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB", str(path))
        raw = path.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", str(path)) from None
    except PermissionError:
        raise InputError("permission denied", str(path)) from None
    if b"\x00" in raw[:8192]:
        raise InputError("binary file, expected text", str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", str(path)) from None


def read_json(path: Path) -> Any:
    text = read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", str(path), f"{exc.lineno}:{exc.colno}") from None


def read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """The parsed document and its node tree (for line numbers in later errors)."""
    text = read_text(path)
    try:
        node = yaml.compose(text, Loader=_TextDatesLoader)
        data = yaml.load(text, Loader=_TextDatesLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = f"{mark.line + 1}:{mark.column + 1}" if mark else None
        problem = exc.problem or exc.context or "malformed YAML"
        raise InputError(f"invalid YAML: {problem}", str(path), location) from None
    except yaml.YAMLError as exc:
        raise InputError(f"invalid YAML: {exc}", str(path)) from None
    return data, node


def yaml_line(node: yaml.Node | None, json_path: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node that exists along ``json_path``."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in json_path:
        if isinstance(node, yaml.MappingNode):
            match = next((value for key, value in node.value if key.value == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            match = node.value[step]
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line


def format_json_path(path: Iterable[str | int]) -> str:
    text = "$"
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else f".{step}"
    return text


@cache
def _schema(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_file(name).read_text(encoding="utf-8"))
    return schema


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    cls = jsonschema.validators.validator_for(_schema(name))
    cls.check_schema(_schema(name))
    return cls(_schema(name), format_checker=cls.FORMAT_CHECKER)


@cache
def _fast_validator(name: str) -> Any:
    return fastjsonschema.compile(_schema(name))


def schema_errors(data: Any, schema_name: str) -> ValidationError | None:
    """The most relevant schema violation, or None when ``data`` is valid."""
    return best_match(_validator(schema_name).iter_errors(data))


def validate(
    data: Any, schema_name: str, path: Path, node: yaml.Node | None = None, at: Sequence[str | int] = ()
) -> None:
    """Compiled validation first (a 100k-identity inventory in seconds, not a minute); only for
    invalid input does jsonschema look for the most readable error. ``at`` is where ``data`` sits
    in the file, for the error's JSON path."""
    try:
        _fast_validator(schema_name)(data)
        return
    except fastjsonschema.JsonSchemaValueException as fast_error:
        error = schema_errors(data, schema_name)
        if error is None:  # the two validators disagree: report the compiled one's finding
            steps = [int(p) if p.isdigit() else p for p in fast_error.path[1:]]
            raise InputError(fast_error.message, str(path), format_json_path([*at, *steps])) from None
    location = [*at, *error.absolute_path]
    where = format_json_path(location)
    if node is not None:
        line = yaml_line(node, location)
        raise InputError(f"{_describe(error)} (at {where})", str(path), str(line) if line else None)
    raise InputError(_describe(error), str(path), where)


def _describe(error: ValidationError) -> str:
    message = error.message
    if len(message) > 200:
        message = message[:197] + "..."
    return message
