"""Reading input files as text, JSON and TOML, and validating parsed input (JSON, TOML and YAML,
which ``yaml_input`` reads) against the shipped JSON Schemas.

Every failure becomes one ``InputError`` naming the file and the line (YAML, JSON syntax) or the
JSON path (schema violations in JSON), so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from scanner.errors import InputError
from scanner.fsutil import opened_regular
from scanner.resources import schema_file

if TYPE_CHECKING:  # the validators are imported when a schema is first checked: most commands check none
    import jsonschema
    import jsonschema_rs
    from jsonschema.exceptions import ValidationError

MAX_INPUT_BYTES = 512 * 1024 * 1024
MAX_DEPTH = 100  # nesting levels of a JSON or YAML document; real inputs use fewer than 15
NOT_REGULAR = "not a regular file (a pipe, device or socket); not read"


def inside(directory: Path, paths: Iterable[Path]) -> list[Path]:
    """``paths`` found in ``directory``, refusing any that a symbolic link leads out of it (a file
    from elsewhere on the machine is never read as a control or catalog) and any that is not a
    regular file: a named pipe found in a folder would hold the command until it is killed (one
    swapped in after this check is refused when it is read: ``read_text(path, found=True)``)."""
    root = directory.resolve()
    kept = []
    for path in paths:
        try:
            resolved = path.resolve()
            mode = path.stat().st_mode
        except RuntimeError:  # Python 3.11 raises it for a loop of links
            raise InputError("a symbolic link loop", str(path)) from None
        except OSError as error:
            raise InputError(error.strerror or str(error), str(path)) from None
        if not resolved.is_relative_to(root):
            raise InputError(f"a symbolic link out of {directory}; not followed", str(path))
        if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode)):
            raise InputError(NOT_REGULAR, str(path))
        kept.append(path)
    return kept


def read_text(path: Path, found: bool = False, limit: int | None = None, kind: str = "") -> str:
    """The file's text. ``found``: the file was found in a folder, not named by the user, and is
    read only if it is a regular file when opened (see fsutil.opened_regular); a file the user
    names may be a pipe (``<(…)``, /dev/stdin). A file of more than ``limit`` bytes (else
    MAX_INPUT_BYTES) is refused before it is decoded; ``kind`` ends the refusal's words (", too
    large for a YAML file")."""
    limit = MAX_INPUT_BYTES if limit is None else limit  # looked up when called, as every reader's limit
    too_large = f"larger than {limit // (1024 * 1024)} MiB{kind}"
    try:
        if path.is_dir():
            raise InputError("is a directory, expected a file", str(path))
        if path.stat().st_size > limit:
            raise InputError(too_large, str(path))
        with opened_regular(path) if found else path.open("rb") as stream:  # a pipe has no size beforehand
            if stream is None:
                raise InputError(NOT_REGULAR, str(path))
            raw = stream.read(limit + 1)
        if len(raw) > limit:
            raise InputError(too_large, str(path))
    except FileNotFoundError:
        raise InputError("no such file", str(path)) from None
    except PermissionError:
        raise InputError("permission denied", str(path)) from None
    except OSError as exc:  # a failing disk or file system (EIO, ESTALE): the file's fault, not nhiscan's
        raise unreadable(path, exc) from None
    if b"\x00" in raw[:8192]:
        raise InputError("binary file, expected text", str(path))
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text (byte {exc.start})", str(path)) from None


def unreadable(path: Path, error: OSError) -> InputError:
    """What is said of a file whose reading failed for a reason of the system's (no errno text is
    file content)."""
    return InputError(f"cannot read: {error.strerror or type(error).__name__}", str(path))


class UntrustedJSONError(ValueError):
    """JSON that parsed, or would, but is outside what nhiscan accepts: NaN, Infinity, numbers too
    long to convert, lone surrogates, or nesting deeper than MAX_DEPTH."""


def refuse_constant(name: str) -> Any:
    raise UntrustedJSONError(f"{name} is not a JSON number")


def finite_float(text: str) -> float:
    """A number with a fraction or exponent, refused where no float holds it (1e400 would be read
    as infinity and written back as null)."""
    value = float(text)
    if math.isinf(value):
        raise UntrustedJSONError("a number too large for a float")
    return value


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_EMPTY_PAIR = re.compile(r"\[\]|\{\}")
_NOT_BRACKET = str.maketrans("", "", "".join(chr(c) for c in range(128) if chr(c) not in "[]{}"))
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit``, before any recursive parser or walker sees it.
    Strings are removed, then innermost bracket pairs, level by level, at C speed."""
    brackets = _JSON_STRING.sub("", text).translate(_NOT_BRACKET)
    for _ in range(limit):
        if not brackets:
            return
        reduced = _EMPTY_PAIR.sub("", brackets)
        if reduced == brackets:
            return  # unbalanced: the parser names the syntax error
        brackets = reduced
    if brackets:
        raise UntrustedJSONError(f"nested more than {limit} levels")


def parse_json(
    text: str, check_nesting: bool = True, object_pairs_hook: Callable[[list[tuple[str, Any]]], Any] | None = None
) -> Any:
    """Strict JSON for untrusted input; raises json.JSONDecodeError or UntrustedJSONError. The
    standard library's decoder guards its own recursion (RecursionError past about 1,000 levels),
    so the nesting limit is checked on the parsed values, which costs a third of checking the text.
    ``check_nesting`` False: the caller checks the limit itself (see ``nested_deeper_than``)
    before anything recursive walks the document. ``object_pairs_hook`` sees each object's pairs
    (``KeysNamedTwice``: the values a key named twice drops); it costs a function call per object,
    so only small documents a person writes ask for it."""
    try:
        data = json.loads(
            text, parse_constant=refuse_constant, parse_float=finite_float, object_pairs_hook=object_pairs_hook
        )
    except RecursionError:
        raise UntrustedJSONError(f"nested more than {MAX_DEPTH} levels") from None
    except json.JSONDecodeError:
        raise
    except ValueError as exc:  # an integer of thousands of digits
        raise UntrustedJSONError(str(exc).split(";")[0].split(":")[0]) from None
    if check_nesting and nested_deeper_than(data, MAX_DEPTH):
        raise UntrustedJSONError(f"nested more than {MAX_DEPTH} levels")
    if _SURROGATE_ESCAPE.search(text):
        refuse_lone_surrogates(data)
    return data


class KeysNamedTwice:
    """An ``object_pairs_hook`` keeping the last value of a key an object names twice, as JSON
    parsers do, and holding the values it drops (``dropped``: key and value) so that they are not
    lost without a word."""

    def __init__(self) -> None:
        self.dropped: list[tuple[str, Any]] = []

    def __call__(self, pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
        found: dict[str, Any] = {}
        for key, value in pairs:
            if key in found:
                self.dropped.append((key, found[key]))
            found[key] = value
        return found


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether parsed JSON holds objects or arrays more than ``limit`` levels deep (iteratively:
    the point is that nothing recursive ever walks a document deeper than that)."""
    pending = [(data, 1)]
    while pending:
        value, depth = pending.pop()
        children = value.values() if type(value) is dict else value if type(value) is list else ()
        for child in children:
            if type(child) is dict or type(child) is list:
                if depth >= limit:
                    return True
                pending.append((child, depth + 1))
    return False


def refuse_lone_surrogates(data: Any) -> None:
    pending = [data]
    while pending:
        value = pending.pop()
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise UntrustedJSONError("a string holds a lone UTF-16 surrogate (not text)") from None
        elif isinstance(value, dict):
            pending.extend(value.keys())
            pending.extend(value.values())
        elif isinstance(value, list):
            pending.extend(value)


def read_json(path: Path, check_nesting: bool = True, found: bool = False) -> Any:
    return json_of(read_text(path, found), path, check_nesting)


def json_of(text: str, path: Path, check_nesting: bool = True) -> Any:
    """``read_json`` of text already read from ``path`` (a pipe cannot be read twice)."""
    try:
        return parse_json(text, check_nesting)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON: {exc.msg}", str(path), f"{exc.lineno}:{exc.colno}") from None
    except UntrustedJSONError as exc:
        raise InputError(f"invalid JSON: {exc}", str(path)) from None


def too_deeply_nested(path: Path) -> InputError:
    """What ``read_json`` says of a document nested more than MAX_DEPTH levels."""
    return InputError(f"invalid JSON: nested more than {MAX_DEPTH} levels", str(path))


def parse_toml(text: str) -> dict[str, Any]:
    """TOML for untrusted input (a Codex ``config.toml``), with JSON's bounds: nesting up to
    MAX_DEPTH, finite numbers; raises tomllib.TOMLDecodeError or UntrustedJSONError (both
    ValueErrors). Dates and times stay Python's own values, which no field of a manifest reads."""
    import tomllib

    if _DOTTED_TOO_DEEP.search(text):  # tomllib's cost grows with the square of a dotted key's depth
        raise UntrustedJSONError(f"nested more than {MAX_DEPTH} levels")
    try:
        data = tomllib.loads(text, parse_float=_toml_float)
    except RecursionError:  # arrays or inline tables nested a thousand deep
        raise UntrustedJSONError(f"nested more than {MAX_DEPTH} levels") from None
    if nested_deeper_than(data, MAX_DEPTH):  # [a.b.c.…] tables nest without recursion
        raise UntrustedJSONError(f"nested more than {MAX_DEPTH} levels")
    return data


# A key of more than MAX_DEPTH dotted parts (a.b.…, "a"."b", [a.b.…]): refused before tomllib reads it,
# which keeps a flag for every prefix (100,000 parts in 200 KB took 14 GB). Possessive: linear.
_KEY_PART = r"""(?:[\w-]++|"[^"\n]*+"|'[^'\n]*+')"""
_DOTTED_TOO_DEEP = re.compile(rf"(?:{_KEY_PART}[ \t]*+\.[ \t]*+){{{MAX_DEPTH}}}{_KEY_PART}")


def _toml_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # nan, inf, and 1e400
        raise UntrustedJSONError(f"{text} is not a finite number")
    return value


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


def shipped_schema(name: str) -> dict[str, Any]:
    """A shipped schema by name, to read what it allows (an enum's values); never change it."""
    return _schema(name)


@cache
def _schema(name: str) -> dict[str, Any]:
    """A shipped schema by name; ``name#/json/pointer``: the part of it there, as a schema of its
    own (its references into the schema's ``$defs`` still resolve)."""
    file_name, _, pointer = name.partition("#")
    schema: dict[str, Any] = json.loads(schema_file(file_name).read_text(encoding="utf-8"))
    if not pointer:
        return schema
    part = schema
    for step in pointer.strip("/").split("/"):
        part = part[step]
    return {"$schema": schema["$schema"], "$defs": schema.get("$defs", {}), **part}


@cache
def _validator(name: str) -> jsonschema.protocols.Validator:
    import jsonschema

    cls = jsonschema.validators.validator_for(_schema(name))
    cls.check_schema(_schema(name))
    return cls(_schema(name), format_checker=cls.FORMAT_CHECKER)


@cache
def _compiled_validator(name: str) -> jsonschema_rs.Validator:
    import jsonschema_rs

    return jsonschema_rs.validator_for(_schema(name), validate_formats=True)


def schema_errors(data: Any, schema_name: str) -> ValidationError | None:
    """The most relevant schema violation, or None when ``data`` is valid."""
    from jsonschema.exceptions import best_match

    return best_match(_validator(schema_name).iter_errors(data))


def is_valid(data: Any, schema_name: str) -> bool:
    try:
        return _compiled_validator(schema_name).is_valid(data)
    except ValueError:  # a value no JSON document holds (YAML's !!binary, !!set): the reference validator judges
        return schema_errors(data, schema_name) is None


def validate(
    data: Any, schema_name: str, path: Path, node: yaml.Node | None = None, at: Sequence[str | int] = ()
) -> None:
    """Compiled validation first (a 100k-identity inventory in a fraction of a second); only for
    invalid input does jsonschema look for the most readable error. ``at`` is where ``data`` sits
    in the file, for the error's JSON path."""
    if is_valid(data, schema_name):
        return
    error = schema_errors(data, schema_name)
    if error is None:  # the two validators disagree (a pattern's "$" before a final newline): name the rule
        compiled_error = next(iter(_compiled_validator(schema_name).iter_errors(data)))
        rule = next((str(step) for step in reversed(compiled_error.schema_path) if isinstance(step, str)), "schema")
        where = format_json_path([*at, *compiled_error.instance_path])
        raise InputError(f"the value breaks the schema's {rule} rule", str(path), where)
    location = [*at, *error.absolute_path]
    where = format_json_path(location)
    if node is not None:
        line = yaml_line(node, location)
        raise InputError(f"{_describe(error)} (at {where})", str(path), str(line) if line else None)
    raise InputError(_describe(error), str(path), where)


def _describe(error: ValidationError) -> str:
    """The violation without the offending value (a schema error must not echo a secret); a short
    word (an unknown format or severity) is shown, once redaction has seen it, unless it reads as a
    generated secret (a password pasted where a boolean goes)."""
    from scanner.redact import redact_text
    from scanner.secret_detection import find_secret

    message = error.message
    shown = repr(error.instance)
    short_word = (
        isinstance(error.instance, str)
        and len(error.instance) <= 32
        and " " not in error.instance
        and find_secret(error.instance) is None
    )
    if not isinstance(error.instance, bool | int | float | type(None)) and not short_word and shown in message:
        message = message.replace(shown, _kind(error.instance))
    message = redact_text(message)
    if len(message) > 200:
        message = message[:197] + "..."
    return message


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "the text value"
    return "the value"
