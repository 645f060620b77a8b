"""Dataclass <-> JSON-ready dict conversion for the model.

One generic converter driven by the dataclasses' type hints, so the JSON shape always follows the
model. Converters are built once per class; loading 100k identities spends its time in
``datetime.fromisoformat``, not in reflection.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache
from typing import Any, TypeVar

from scanner import model

T = TypeVar("T")

Converter = Callable[[Any], Any]


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed


def to_dict(obj: Any) -> Any:
    """JSON-ready structure of a model object (recursively)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_dict(getattr(obj, f.name)) for f in _fields(type(obj))}
    if isinstance(obj, datetime):
        return format_time(obj)
    if isinstance(obj, list | tuple):
        return [to_dict(item) for item in obj]
    if isinstance(obj, dict):
        return {key: to_dict(value) for key, value in obj.items()}
    return obj


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a model object from a dict already validated against the JSON Schema."""
    return _loader(cls)(data)


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


@cache
def _loader(cls: type) -> Converter:
    hints = typing.get_type_hints(cls, vars(model))
    converters: list[tuple[str, Converter | None]] = [
        (f.name, _converter_for(hints[f.name])) for f in _fields(cls) if f.init
    ]

    def load(data: dict[str, Any]) -> Any:
        kwargs = {}
        for name, convert in converters:
            if name in data:
                value = data[name]
                kwargs[name] = convert(value) if convert is not None and value is not None else value
        return cls(**kwargs)

    return load


def _converter_for(hint: Any) -> Converter | None:
    """None where the JSON value can be used as it is."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _converter_for(options[0]) if len(options) == 1 else None
    if hint is datetime:
        return parse_time
    if dataclasses.is_dataclass(hint):
        return _loader(hint)
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        item = _converter_for(item_hint)
        return None if item is None else lambda values: [item(v) for v in values]
    return None
