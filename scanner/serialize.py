"""Dataclass <-> JSON-ready dict conversion for the model.

One generic converter driven by the dataclasses' type hints, so the JSON shape always follows the
model. Converters are built once per class; loading 100k identities spends its time in
``datetime.fromisoformat``, not in reflection.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import IO, Any, TypeVar, cast

import orjson

from scanner import model
from scanner.gc_pause import collector_paused

T = TypeVar("T")

Converter = Callable[[Any], Any]


def kind_of(value: Any) -> Any:
    """What tells apart values that Python holds equal but JSON does not (1, 1.0 and true; 0.0
    and -0.0), for a key that shares equal values: the type, and a float's text."""
    return repr(value) if type(value) is float else type(value)


def format_time(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def parse_time(value: str) -> datetime:
    """A time in UTC, as every time nhiscan holds: one written with another offset is the same
    moment, but its date (a waiver's expiry is judged by the date) and its printed hour are not."""
    parsed = datetime.fromisoformat(value)
    zone = parsed.tzinfo
    if zone is None:
        return parsed.replace(tzinfo=UTC)
    return parsed if zone is UTC else parsed.astimezone(UTC)


def _jsonable(obj: Any) -> Any:
    """``default`` hook of the encoder for what it does not write itself: datetimes (always in
    UTC with a Z, whatever zone they were read in), sets and tuples' kin."""
    if isinstance(obj, datetime):
        return format_time(obj)
    if isinstance(obj, set | frozenset):
        return sorted(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: getattr(obj, f.name) for f in _fields(type(obj))}
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


_ZERO = timedelta(0)


def _encodable(obj: Any) -> Any:
    """orjson's ``default`` hook: ``_jsonable``, but a datetime already at offset zero is written by
    orjson itself, which writes it as format_time does (the same fields, microseconds only when
    there are any, a Z) at a fraction of the cost; any other offset, or none, goes to format_time."""
    if obj.__class__ is datetime and obj.utcoffset() == _ZERO:
        return orjson.Fragment(orjson.dumps(obj, option=orjson.OPT_UTC_Z))
    return _jsonable(obj)


# orjson writes dataclasses (fields in order) and the rest in C; datetimes go through the hooks.
# Non-finite floats become null, so the output is always strict JSON.
_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME


def dumps(obj: Any) -> str:
    """Compact JSON of a model object or structure (dataclasses and datetimes included)."""
    try:
        return orjson.dumps(obj, default=_encodable, option=_OPTIONS).decode("utf-8")
    except orjson.JSONEncodeError as error:  # an integer beyond 64 bits, read from some file: the slow, exact way
        _raise_interruption(error)
        return json.dumps(obj, default=_jsonable, ensure_ascii=False, separators=(",", ":"))


def _raise_interruption(error: orjson.JSONEncodeError) -> None:
    """orjson reports whatever its ``default`` hook raised as an encoding error: a SIGINT or
    SIGTERM whose handler ran in the hook (KeyboardInterrupt, Terminated) is raised as itself, not
    taken for a value to encode the slow way (the scan went on as if it had never come)."""
    cause = error.__cause__
    if cause is not None and not isinstance(cause, Exception):
        raise cause


def dumps_document(
    document: dict[str, Any], expand: tuple[str, ...] = (), members_per_line: tuple[str, ...] = ()
) -> str:
    """A JSON object laid out one top-level key per line and one list item per line: readable,
    greppable and diff-friendly, yet written by the C encoder (``indent`` would use the slow one).
    The objects under the keys named in ``expand`` are laid out the same way, one level deeper;
    those under the keys named in ``members_per_line``, one member a line (a mapping that grows
    with the estate, such as each identity's capabilities, never becomes one line of many MB)."""
    return "".join(document_pieces(document, expand, members_per_line))


def document_pieces(
    document: dict[str, Any], expand: tuple[str, ...] = (), members_per_line: tuple[str, ...] = ()
) -> Iterator[str]:
    """``dumps_document``'s text in pieces of up to a few thousand lines, for writing a large
    document without holding all of it (or a list of its lines) in memory at once."""
    yield "{\n"
    yield from _document_lines(document, " ", expand, members_per_line)
    yield "}\n"


@dataclasses.dataclass(slots=True)
class _KeptList:
    """Where a list's pieces as written lie in the spill file: each its lines joined after
    ``indent``, without the separator that follows the piece."""

    length: int
    indent: bytes
    pieces: list[tuple[int, int]]  # offset and size


@dataclasses.dataclass(slots=True)
class _Sharing:
    lists: dict[int, list[Any]]  # by id; held, so no other list takes the id meanwhile
    spill: IO[bytes]
    kept: dict[int, _KeptList]

    def keep(self, piece: bytes) -> tuple[int, int]:
        offset = self.spill.seek(0, os.SEEK_END)
        self.spill.write(piece)
        return offset, len(piece)

    def read(self, offset: int, size: int) -> bytes:
        self.spill.seek(offset)
        piece = self.spill.read(size)
        if len(piece) != size:
            raise OSError(f"kept lines cut short: {len(piece)} of {size} bytes at {offset}")
        return piece


_sharing: _Sharing | None = None


@contextmanager
def lines_shared(lists: Iterable[list[Any]], directory: Path) -> Iterator[None]:
    """Within the block, the first document that writes one of ``lists`` keeps its encoded lines,
    and the next that writes the very same list (the same object, as long) writes those bytes again
    at its own indent instead of encoding every item a second time: results.json holds
    inventory.json's records again, one level deeper. The lines are kept in an unnamed file in
    ``directory`` (at 100k identities about 120 MB that would otherwise stay in memory through the
    other reports), which goes when the block ends. A line holds no raw newline (JSON escapes it in
    strings), so re-indenting is one replace per piece."""
    global _sharing
    by_id = {id(items): items for items in lists}
    if not by_id:
        yield
        return
    with tempfile.TemporaryFile(dir=directory) as spill:
        _sharing = _Sharing(by_id, spill, {})
        try:
            yield
        finally:
            _sharing = None


_LINES_PER_PIECE = 2000


@dataclasses.dataclass(frozen=True, slots=True)
class Converted:
    """A list written item by item through ``convert``: each item's JSON-ready form is made only
    when its line is written, so a million findings are never a million dicts at once."""

    items: Sequence[Any]
    convert: Callable[[Any], Any]

    def __len__(self) -> int:
        return len(self.items)


def _item_lines(items: Sequence[Any], indent: bytes, convert: Callable[[Any], Any] | None = None) -> bytes:
    """The items (each passed through ``convert`` first, if given) one per line after ``indent``,
    each but the last followed by a comma. Each item is encoded on its own (one call of the encoder
    per item costs no more than a list's share), as soon as it is converted (its dict is freed at
    once, so the next one reuses its memory: at 100k identities a third faster than converting the
    piece first), and the lines are joined as bytes: one decoding per piece, not one per line."""
    encode = orjson.dumps
    convert = convert or _records_as_dicts(items)
    try:
        if convert is None:
            lines = [encode(item, default=_encodable, option=_OPTIONS) for item in items]
        else:
            lines = [encode(convert(item), default=_encodable, option=_OPTIONS) for item in items]
    except orjson.JSONEncodeError as error:  # some item needs the exact, slower way
        _raise_interruption(error)
        converted = items if convert is None else map(convert, items)
        lines = [dumps(item).encode("utf-8") for item in converted]
    return indent + (b",\n" + indent).join(lines)


def _records_as_dicts(items: Sequence[Any]) -> Callable[[Any], dict[str, Any]] | None:
    """For a piece of dataclass instances of one class (records), what makes each the dict of its
    fields, in order, that the encoder would write for it: the encoder writes a dict faster than it
    reads a dataclass with slots (inventory.json's records at 100k identities: 1.9 -> 1.4 s)."""
    kind = type(items[0]) if items else None
    if kind is None or not dataclasses.is_dataclass(kind) or any(type(item) is not kind for item in items):
        return None
    return _as_dict(kind)


@cache
def _as_dict(cls: type) -> Callable[[Any], dict[str, Any]]:
    """Straight-line code written from the dataclass's own field names (identifiers, nothing else)."""
    entries = ", ".join(f"{field.name!r}: item.{field.name}" for field in _fields(cls))
    env: dict[str, Any] = {}
    exec(compile(f"def as_dict(item):\n    return {{{entries}}}", f"<as_dict {cls.__name__}>", "exec"), env)
    as_dict: Callable[[Any], dict[str, Any]] = env["as_dict"]
    return as_dict


def _list_pieces(value: list[Any] | Converted, pad: str) -> Iterator[bytes]:
    """A list's items in pieces of ``_LINES_PER_PIECE`` lines, each without its trailing separator;
    kept, or written again from what was kept, as ``lines_shared`` says."""
    indent = pad.encode()
    sharing = _sharing if _sharing is not None and _sharing.lists.get(id(value)) is value else None
    kept = sharing.kept.pop(id(value), None) if sharing is not None else None
    if sharing is not None and kept is not None and kept.length == len(value):
        old, new = b"\n" + kept.indent, b"\n" + indent
        for offset, size in kept.pieces:
            yield indent + sharing.read(offset, size)[len(kept.indent) :].replace(old, new)
        return
    keeping: list[tuple[int, int]] | None = [] if sharing is not None and kept is None else None
    for start in range(0, len(value), _LINES_PER_PIECE):
        stop = start + _LINES_PER_PIECE
        # the piece's dicts (findings' JSON-ready forms) hold no cycles and are freed once it is made
        with collector_paused():
            if isinstance(value, Converted):
                piece = _item_lines(value.items[start:stop], indent, value.convert)
            else:
                piece = _item_lines(value[start:stop], indent)
        if sharing is not None and keeping is not None:
            try:
                keeping.append(sharing.keep(piece))
            except OSError:  # no room to keep it: the next document encodes the list again
                keeping = None
        yield piece
    if sharing is not None and keeping is not None and _sharing is sharing:  # kept only once whole
        sharing.kept[id(value)] = _KeptList(len(value), indent, keeping)


def _document_lines(
    document: dict[str, Any], pad: str, expand: tuple[str, ...], members_per_line: tuple[str, ...] = ()
) -> Iterator[str]:
    last = len(document) - 1
    for index, (key, value) in enumerate(document.items()):
        comma = "," if index < last else ""
        if isinstance(value, Converted) and not len(value):
            value = []
        if key in expand and isinstance(value, dict):
            yield f"{pad}{dumps(key)}: {{\n"
            yield from _document_lines(value, pad + "  ", ())
            yield f"{pad}}}{comma}\n"
        elif key in members_per_line and isinstance(value, dict) and value:
            yield f"{pad}{dumps(key)}: {{\n"
            yield from _member_lines(value, pad + "  ")
            yield f"{pad}}}{comma}\n"
        elif isinstance(value, list | Converted) and len(value):
            yield f"{pad}{dumps(key)}: [\n"
            last_piece = (len(value) - 1) // _LINES_PER_PIECE
            for number, piece in enumerate(_list_pieces(value, pad + " ")):
                yield piece.decode("utf-8") + (",\n" if number < last_piece else "\n")
            yield f"{pad}]{comma}\n"
        else:
            yield f"{pad}{dumps(key)}: {dumps(value)}{comma}\n"


def _member_lines(mapping: dict[str, Any], pad: str) -> Iterator[str]:
    """An object's members, one a line after ``pad``, in pieces of ``_LINES_PER_PIECE`` lines."""
    members = list(mapping.items())
    for start in range(0, len(members), _LINES_PER_PIECE):
        piece = members[start : start + _LINES_PER_PIECE]
        end = ",\n" if start + _LINES_PER_PIECE < len(members) else "\n"
        yield pad + f",\n{pad}".join(f"{dumps(key)}: {dumps(value)}" for key, value in piece) + end


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Build a model object from a dict already validated against the JSON Schema."""
    loaded: T = _loader(cast(Any, cls))(data)
    return loaded


@cache
def _fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


@cache
def _loader(cls: Any) -> Converter:
    return loader_with(cls, {})


def loader_with(cls: Any, converters_by_field: Mapping[str, Converter]) -> Converter:
    """A loader of ``cls`` as ``from_dict`` builds it, but with ``converters_by_field`` for the
    fields they name (one that shares records already made, say)."""
    hints = typing.get_type_hints(cls, vars(model))
    converters: list[tuple[str, Converter | None]] = [
        (f.name, converters_by_field.get(f.name) or _converter_for(hints[f.name])) for f in _fields(cls) if f.init
    ]

    def load(data: dict[str, Any]) -> Any:
        kwargs = {}
        for name, convert in converters:
            if name in data:
                value = data[name]
                kwargs[name] = convert(value) if convert is not None and value is not None else value
        return cls(**kwargs)

    return _generated_loader(cls, converters, load)


_ABSENT = object()


def _generated_loader(cls: Any, converters: list[tuple[str, Converter | None]], general: Converter) -> Converter:
    """``general`` as straight-line code: each field read once and passed by keyword, its default
    where the record leaves it out. A call with the field names written in the code matches them to
    the parameters at once; a record missing a required field goes to ``general``, which says so as
    it always has. Only the dataclass's own field names are written into the code."""
    defaults = {f.name: f for f in _fields(cls)}
    env: dict[str, Any] = {"cls": cls, "ABSENT": _ABSENT, "general": general}
    lines = ["def load(data):", "    get = data.get"]
    for index, (name, convert) in enumerate(converters):
        value, field_ = f"v{index}", defaults[name]
        lines.append(f"    {value} = get({name!r}, ABSENT)")
        lines.append(f"    if {value} is ABSENT:")
        if field_.default is not dataclasses.MISSING:
            env[f"d{index}"] = field_.default
            lines.append(f"        {value} = d{index}")
        elif field_.default_factory is not dataclasses.MISSING:
            env[f"f{index}"] = field_.default_factory
            lines.append(f"        {value} = f{index}()")
        else:
            lines.append("        return general(data)")
        if convert is not None:
            env[f"c{index}"] = convert
            lines.append(f"    elif {value} is not None:")
            lines.append(f"        {value} = c{index}({value})")
    arguments = ", ".join(f"{name}=v{index}" for index, (name, _) in enumerate(converters))
    lines.append(f"    return cls({arguments})")
    exec(compile("\n".join(lines), f"<loader {cls.__name__}>", "exec"), env)
    loader: Converter = env["load"]
    return loader


def _converter_for(hint: Any) -> Converter | None:
    """None where the JSON value can be used as it is."""
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return _converter_for(options[0]) if len(options) == 1 else None
    if hint is datetime:
        return parse_time
    if dataclasses.is_dataclass(hint):
        return _loader(cast(Any, hint))
    if origin is list:
        (item_hint,) = typing.get_args(hint)
        item = _converter_for(item_hint)
        return None if item is None else lambda values: [item(v) for v in values]
    return None
