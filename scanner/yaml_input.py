"""Reading YAML a user supplies (waivers, ``nhiscan.yaml``, user controls, repository manifests)
and the YAML that ships inside nhiscan, into data and a node tree (for the line of a later error).

A user's file is bounded before anything is built of it: no aliases, at most MAX_DEPTH levels, no
key named twice (or two keys equal once read), at most MAX_YAML_VALUES keys and values, 16 %TAG
directives and 16 merge keys in a mapping, no tag nhiscan cannot read, no number keys chosen to
share one hash; dates stay text and base-60 numbers are text. Every failure is a ``yaml.YAMLError``
(``parse_yaml``) or one ``InputError`` naming the file and the line (``read_yaml``), which never
repeats a tag, alias or anchor name the file's author wrote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Hashable
from itertools import islice
from pathlib import Path
from typing import Any

import yaml

from scanner.errors import InputError
from scanner.gc_pause import collector_paused
from scanner.loading import MAX_DEPTH, read_text
from scanner.resources import is_bundled

MAX_YAML_BYTES = 16 * 1024 * 1024
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
    text = read_text(path, found, MAX_YAML_BYTES, ", too large for a YAML file")  # bytes, not characters
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
