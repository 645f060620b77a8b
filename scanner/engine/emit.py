"""Python source for compiled conditions, built into functions with ``compile()``.

A condition becomes one function whose body is a single expression, instead of a tree of closures
calling each other: controls evaluate millions of records per scan, and each call saved is time.
Relations become small helper functions with their loop spelt out.

Only names this module makes up (``f3``, ``k7``, ``t12``) and attribute names from the field table
of ``scanner.engine.fields`` are written into the source; every value a control gives (strings,
numbers, lists, patterns) and every accessor is handed to the code as a constant in its namespace,
so nothing a control file says can become code.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable
from typing import Any

from scanner.engine.fields import UNKNOWN, Incomplete

# Expressions nested deeper than this are moved into a helper function of their own: the parser
# refuses source nested too deeply, and a control may nest conditions as deeply as it likes.
MAX_INLINE_DEPTH = 12

# Types an isinstance test takes as tuples built once (``list | dict`` would build a union each time)
LIST_OR_DICT = (list, dict)
NUMBER = (int, float)
COLLECTION = (list, tuple, set, frozenset)
EMPTY: tuple[Any, ...] = (None, "", [], {})

_BASE_NAMESPACE: dict[str, Any] = {
    "__builtins__": {"isinstance": isinstance, "type": type, "len": len, "bool": bool, "str": str},
    "UNKNOWN": UNKNOWN,
    "Incomplete": Incomplete,
    "LIST_OR_DICT": LIST_OR_DICT,
    "NUMBER": NUMBER,
    "COLLECTION": COLLECTION,
    "EMPTY": EMPTY,
}


class Program:
    """The functions of one compiled condition: their source and the constants they read."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = dict(_BASE_NAMESPACE)
        self._sources: list[str] = []
        self._count = 0

    def fresh(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix}{self._count}"

    def constant(self, value: Any) -> str:
        """A name in the generated code that stands for ``value``."""
        name = self.fresh("k")
        self.namespace[name] = value
        return name

    def function(self, lines: list[str], parameters: str = "r, ctx") -> str:
        """Define ``def NAME(r, ctx)`` (or other ``parameters``) with ``lines`` as its body; returns NAME."""
        name = self.fresh("f")
        body = "".join(f"    {line}\n" for line in lines)
        self._sources.append(f"def {name}({parameters}):\n{body}")
        return name

    def returning(self, expression: str) -> str:
        return self.function([f"return {expression}"])

    def build(self) -> dict[str, Callable[..., Any]]:
        """Compile every function defined so far; returns the namespace holding them by name."""
        code = compile("\n".join(self._sources), "<condition>", "exec")
        exec(code, self.namespace)  # the source holds generated names only; values are constants
        return self.namespace


def attribute_name(name: str) -> str:
    """An attribute name fit to write into source as ``record.NAME``."""
    if not name.isidentifier() or keyword.iskeyword(name) or name.startswith("_"):
        raise ValueError(f"not a plain attribute name: {name!r}")  # field tables name plain attributes only
    return name


def test_expression(op: str, expected: Any, constant: str, first: str, again: str) -> str | None:
    """The test ``op`` of a collected value against ``expected`` (named ``constant`` in the code):
    ``first`` is how the expression reads the value the first time (it may bind ``again``),
    ``again`` how it reads it after. None for an operator not written out here."""
    # true and false are no numbers (Python holds True == 1), and a number where a boolean is
    # compared, or the other way round, is unknown: see conditions.json_equality
    if op == "equals" and type(expected) is bool:
        return f"(True if {first} is {constant} else (None if type({again}) in NUMBER else False))"
    if op == "equals" and isinstance(expected, NUMBER):
        return f"(None if type({first}) is bool else {again} == {constant})"
    if op == "equals" and (isinstance(expected, str) or expected is None):
        return f"{first} == {constant}"
    if op == "in" and all(isinstance(option, str) or option is None for option in expected):
        return f"(not isinstance({first}, LIST_OR_DICT) and {again} in {constant})"
    if op in _ORDERING:
        return f"(isinstance({first}, NUMBER) and not isinstance({again}, bool) and {again} {_ORDERING[op]} {constant})"
    if op == "exists":
        return f"({first} {'not in' if expected else 'in'} EMPTY)"
    if op == "contains" and isinstance(expected, str):
        in_collection = f"isinstance({again}, COLLECTION) and {constant} in {again}"
        return f"({constant} in {again} if isinstance({first}, str) else {in_collection})"
    return None  # a list or mapping to equal, a list of numbers, a number to contain: a test function


_ORDERING = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def quantifier_lines(resolve: str, inner: str, decisive: bool) -> list[str]:
    """The body of ``any`` (``decisive`` True) or ``all`` (False) over a relation's records, the
    records named ``x`` in ``inner``: the records not collected (Incomplete) may change the answer."""
    return [
        f"records = {resolve}(r, ctx)",
        "if records is UNKNOWN:",
        "    return None",
        "unknown = type(records) is Incomplete",
        "if unknown:",
        "    records = records.known",
        "for x in records:",
        f"    result = {inner}",
        f"    if result is {decisive}:",
        f"        return {decisive}",
        "    if result is None:",
        "        unknown = True",
        f"return None if unknown else {not decisive}",
    ]


def count_lines(resolve: str, inner: str | None, op: str, compare: str, limit: str, bounded: str) -> list[str]:
    """The body of a count over a relation's records (``inner`` None: every record counts); ``op``,
    ``compare``, ``limit`` and ``bounded`` name constants."""
    lines = [
        f"records = {resolve}(r, ctx)",
        "if records is UNKNOWN:",
        "    return None",
        "open_ended = type(records) is Incomplete",
        "items = records.known if open_ended else records",
    ]
    if inner is None:
        lines += ["if not open_ended:", f"    return {compare}(len(items), {limit})"]
    lines += [
        "count = undecided = 0",
        "for x in items:",
        f"    result = {'True' if inner is None else inner}",
        "    if result is None:",
        "        undecided += 1",
        "    else:",
        "        count += result",
        "if not undecided and not open_ended:",
        f"    return {compare}(count, {limit})",
        f"return {bounded}({op}, count, None if open_ended else count + undecided, {limit})",
    ]
    return lines
