"""Reading JSON, YAML and TOML input files and validating them against the shipped JSON Schemas.

Every failure becomes one ``InputError`` naming the file and the line (YAML, JSON syntax) or the
JSON path (schema violations in JSON), so the CLI can print one line and exit 2.
"""

from __future__ import annotations

import json
import math
import re
import stat
from collections.abc import Callable, Hashable, Iterable, Sequence
from functools import cache
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from scanner.errors import InputError
from scanner.fsutil import opened_regular
from scanner.gc_pause import collector_paused
from scanner.resources import is_bundled, schema_file

if TYPE_CHECKING:  # the validators are imported when a schema is first checked: most commands check none
    import jsonschema
    import jsonschema_rs
    from jsonschema.exceptions import ValidationError

MAX_INPUT_BYTES = 512 * 1024 * 1024
MAX_YAML_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 100  # nesting levels of a JSON or YAML document; real inputs use fewer than 15
# Keys and values (scalars, lists, mappings) in one YAML file a user supplies: 16 MiB of waivers
# written out in full (107,000 of them) hold 1.2 million. 16 MiB of one-character values hold up to
# 8 million, and composing them took 47 to 276 s and up to 4.2 GB; refused at the limit, 8 to 14 s
# and 0.8 GB.
MAX_YAML_VALUES = 2_000_000


class _TextDatesLoader(yaml.composer.Composer, yaml.CSafeLoader):
    """SafeLoader that keeps dates as text (the schemas expect ISO strings, and an impossible date
    such as 2026-02-30 must become a clear validation error, not a crash inside the YAML parser),
    refuses aliases (no nhiscan format needs them, and "billion laughs" documents expand through
    them), nesting deeper than MAX_DEPTH and more than MAX_YAML_VALUES keys and values. libyaml
    reads the text into events (the pure-Python reader and scanner took 7 s for a file of 20,000
    waivers); these guards compose the events into nodes, in Python, before anything is built from
    them."""

    _depth = 0
    _values = 0

    def __init__(self, stream: str) -> None:
        yaml.CSafeLoader.__init__(self, stream)
        yaml.composer.Composer.__init__(self)

    def _next_mark(self) -> Any:  # libyaml's marks are a type of their own, read the same way
        event = self.peek_event()
        return event.start_mark if event is not None else None

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed", self._next_mark())
        self._values += 1
        if self._values > MAX_YAML_VALUES:
            raise yaml.composer.ComposerError(
                None, None, f"more than {MAX_YAML_VALUES:,} keys and values", self._next_mark()
            )
        event = self.peek_event()
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and tag not in self.yaml_constructors and tag != _MERGE:
            # refused here, not once the whole document is composed: libyaml writes a %TAG prefix
            # out in full into each node's tag, so a long prefix on a million nodes is gigabytes
            problem = f"could not determine a constructor for the tag {tag!r}"  # yaml_problem drops the tag
            raise yaml.constructor.ConstructorError(None, None, problem, self._next_mark())
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels", self._next_mark())
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_mapping_node(self, anchor: Any) -> yaml.MappingNode:
        """A mapping that names one key twice is refused: the parser would keep the last value
        and drop the first without a word (two declarations of one account, two params)."""
        node: yaml.MappingNode = super().compose_mapping_node(anchor)
        seen: dict[str, yaml.Node] = {}
        merges = 0
        for key, _ in node.value:
            if key.tag == _MERGE:
                merges += 1
                if merges > MAX_MERGE_KEYS:  # each is taken out of the list of keys one at a time
                    problem = f"more than {MAX_MERGE_KEYS} merge keys (<<) in one mapping"
                    raise yaml.composer.ComposerError(None, None, problem, key.start_mark)
            if isinstance(key, yaml.ScalarNode):
                first = seen.setdefault(key.value, key)
                if first is not key:
                    problem = _named_twice(key.value, first.start_mark.line + 1)
                    raise yaml.composer.ComposerError(None, None, problem, key.start_mark)
        return node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        """Keys written differently can still be one key once read: ``1`` and ``true`` (Python
        holds True == 1), ``yes`` and ``on``, ``null`` and ``~``, or a key of ``<<: {...}`` and the
        same key after it. The parser would keep the last value and drop the others without a
        word (a token under one of them), so such a mapping is refused like a key named twice."""
        if isinstance(node, yaml.MappingNode):  # else the parser names what it found instead
            self.flatten_mapping(node)  # "<<: {...}" merged in first, as the parser would
            self._refuse_colliding_keys(node)
        mapping: dict[Any, Any] = super().construct_mapping(node, deep=deep)
        if len(mapping) < len(node.value):
            firsts: dict[Any, yaml.Node] = {}
            for key_node, _ in node.value:
                first = firsts.setdefault(self.construct_object(key_node), key_node)  # constructed once, cached
                if first is not key_node:
                    line = first.start_mark.line + 1
                    problem = (  # the same text twice: a key merged in by "<<" and written again
                        _named_twice(key_node.value, line)
                        if first.value == key_node.value
                        else f"'{_key_text(key_node.value)}' names the same key as '{_key_text(first.value)}' "
                        f"(line {line}) in one mapping"
                    )
                    raise yaml.constructor.ConstructorError(None, None, problem, key_node.start_mark)
        return mapping

    def _refuse_colliding_keys(self, node: yaml.MappingNode) -> None:
        """Text hashes differently in every process, but a number's hash is the number's own
        (modulo 2**61 - 1): keys chosen to share one (``2305843009213693951: …``,
        ``4611686018427387902: …``) make each key added to a dict compare with every one before it.
        20,000 of them took 2.6 s, a 16 MiB file of them would take about 40 minutes."""
        keys = [
            self.construct_object(key_node)
            for key_node, _ in node.value
            if key_node.tag != _TEXT and isinstance(key_node, yaml.ScalarNode)
        ]
        hashable = [key for key in keys if isinstance(key, Hashable)]  # the parser names the others
        if len(hashable) - len(set(map(hash, hashable))) > MAX_KEYS_SHARING_A_HASH:
            problem = "a mapping whose number keys share one hash (chosen to collide, or one number written many ways)"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)


_TEXT = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# "<<" keys of one mapping: without aliases, more than one merges nothing a key could not say
MAX_MERGE_KEYS = 16
# Keys of one mapping whose hash another key of it has: no file a person writes has one (two keys
# equal once read, 1 and 1.0, are named as such); a few dozen cost nothing
MAX_KEYS_SHARING_A_HASH = 64


def _named_twice(key: Any, first_line: int) -> str:
    return f"'{_key_text(key)}' is named twice in one mapping (first on line {first_line})"


def _key_text(key: Any) -> str:
    """A key as an error may quote it: redacted before it is cut, since a token cut short is no
    longer one that redaction knows."""
    from scanner.redact import redact_text  # redaction reads JSON with this module

    return redact_text(str(key))[:80]


# YAML 1.1's numbers, but not its base-60 ones: "8080:80" (a port mapping in an MCP server's
# arguments) read as the integer 484880, and a long "1:0:0:…" took time quadratic in its length
_NUMBERS = {
    "tag:yaml.org,2002:int": re.compile(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$"
    ),
    "tag:yaml.org,2002:float": re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9][0-9_]*(?:[eE][-+][0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
}

_TextDatesLoader.yaml_implicit_resolvers = {
    first: [(tag, _NUMBERS.get(tag, regexp)) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _no_base_60(construct: Callable[[Any, yaml.ScalarNode], Any]) -> Callable[[Any, yaml.ScalarNode], Any]:
    def constructed(loader: Any, node: yaml.ScalarNode) -> Any:
        if ":" in str(node.value):  # written !!int 1:30: see _NUMBERS
            raise yaml.constructor.ConstructorError(None, None, "a base-60 number is not read", node.start_mark)
        return construct(loader, node)

    return constructed


for _tag, _construct in (
    ("tag:yaml.org,2002:int", yaml.constructor.SafeConstructor.construct_yaml_int),
    ("tag:yaml.org,2002:float", yaml.constructor.SafeConstructor.construct_yaml_float),
):
    _TextDatesLoader.add_constructor(_tag, _no_base_60(_construct))


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


def read_text(path: Path, found: bool = False) -> str:
    """The file's text. ``found``: the file was found in a folder, not named by the user, and is
    read only if it is a regular file when opened (see fsutil.opened_regular); a file the user
    names may be a pipe (``<(…)``, /dev/stdin)."""
    try:
        if path.is_dir():
            raise InputError("is a directory, expected a file", str(path))
        if path.stat().st_size > MAX_INPUT_BYTES:
            raise InputError(f"larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB", str(path))
        with opened_regular(path) if found else path.open("rb") as stream:  # a pipe has no size beforehand
            if stream is None:
                raise InputError(NOT_REGULAR, str(path))
            raw = stream.read(MAX_INPUT_BYTES + 1)
        if len(raw) > MAX_INPUT_BYTES:
            raise InputError(f"larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB", str(path))
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


class _BundledLoader(yaml.CSafeLoader):
    """libyaml's parser and composer, for the catalogs and controls that ship inside nhiscan: the
    same resolvers, none of the hostile-input guards above (they live in the Python composer), so
    it never reads a file a user supplies."""


_BundledLoader.yaml_implicit_resolvers = _TextDatesLoader.yaml_implicit_resolvers


# libyaml compares each %TAG directive with every one before it: 320,000 of them (4.7 MB) took
# 349 s. Real files hold none, or one or two.
MAX_TAG_DIRECTIVES = 16
# a line may begin after any of the line breaks libyaml knows, not only "\n"
_TAG_DIRECTIVE = re.compile("(?:\\A|[\n\r\x85\u2028\u2029])%TAG[ \t]")

# What reading a value raises besides YAMLError: PyYAML's constructors for one its tag cannot hold
# (!!bool maybe, !!int '', !!timestamp abc, an integer of 5,000 digits), libyaml for a tag whose
# %-escapes are not UTF-8 (!<%ED%A0%80>). Their text may quote the value, so it is not repeated.
_UNREADABLE_VALUE = (ValueError, KeyError, IndexError, AttributeError, OverflowError)


def parse_yaml(text: str, bundled: bool = False) -> tuple[Any, yaml.Node | None]:
    """The document and its node tree, composed once; raises yaml.YAMLError. ``bundled``: the
    text is one of nhiscan's own files (see _BundledLoader)."""
    if not bundled and next(islice(_TAG_DIRECTIVE.finditer(text), MAX_TAG_DIRECTIVES, None), None):
        raise yaml.YAMLError(f"more than {MAX_TAG_DIRECTIVES} %TAG directives")
    loader = _BundledLoader(text) if bundled else _TextDatesLoader(text)
    try:
        with collector_paused():  # a node, its marks and its value each: see gc_pause
            try:
                node = loader.get_single_node()
                data = loader.construct_document(node) if node is not None else None
            except _UNREADABLE_VALUE as error:
                unicode = isinstance(error, UnicodeError)
                raise yaml.YAMLError(
                    "a tag that is not UTF-8 text" if unicode else "a value unreadable as its type"
                ) from None
    finally:
        loader.dispose()
    return data, node


def read_yaml(path: Path, found: bool = False) -> tuple[Any, yaml.Node | None]:
    """The parsed document and its node tree (for line numbers in later errors); ``found`` as for
    ``read_text``."""
    text = read_text(path, found)
    if len(text) > MAX_YAML_BYTES:
        raise InputError(f"larger than {MAX_YAML_BYTES // (1024 * 1024)} MiB, too large for a YAML file", str(path))
    try:
        data, node = parse_yaml(text, bundled=is_bundled(path))
    except yaml.YAMLError as exc:
        problem, location = yaml_problem(exc)
        raise InputError(f"invalid YAML: {problem}", str(path), location) from None
    return data, node


# PyYAML quotes what the file's author wrote after "!", "*" or "&" (a tag, an alias, an anchor): an
# unquoted password may begin with one (password: !Xk9mQ2pL7v), so that name is not repeated
_AUTHORS_NAME = re.compile(r"""\b(tag|alias|anchor|handle) (?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")""")


def yaml_problem(error: yaml.YAMLError) -> tuple[str, str | None]:
    """What is wrong with a YAML text, and where (``line:column``), without the tag, alias or
    anchor names PyYAML quotes from it."""
    if isinstance(error, yaml.MarkedYAMLError):
        problem, mark = error.problem or error.context, error.problem_mark or error.context_mark
    else:
        problem, mark = next(iter(str(error).splitlines()), ""), None
    location = f"{mark.line + 1}:{mark.column + 1}" if mark else None
    return _AUTHORS_NAME.sub(r"\1 (not repeated)", problem or "malformed YAML"), location


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
    word (an unknown format or severity) is shown, once redaction has seen it."""
    from scanner.redact import redact_text

    message = error.message
    shown = repr(error.instance)
    short_word = isinstance(error.instance, str) and len(error.instance) <= 32 and " " not in error.instance
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
