"""The condition language of controls, compiled to closures.

    {all: [C, ...]}  {any: [C, ...]}  {not: C}
    {field: NAME, OP: VALUE}            OP: equals in gt gte lt lte exists matches contains
    {field: NAME, known: true}          true where a value was recorded, unknown (never false) where
                                        it is absent: for attributes a source sets only when it can
    {related: NAME, any|all|none: C}    over linked records (an identity's credentials, ...)
    {related: NAME, count: C | true, OP: N}   OP: equals gt gte lt lte

Results are three-valued: True, False, or None when the answer depends on data the source could
not collect (Kleene logic: ``all`` is False as soon as one part is False, ``any`` True as soon as
one part is True). A value that was collected but is empty never satisfies a comparison;
``exists`` tests for it explicitly. A value or a relation collected only in part (``Incomplete``)
decides a test only where the part known already does: ``contains`` is True when a known tag
matches, ``none`` is False when a known record matches, a count is a lower bound; otherwise None.

Parameters: a string value ``"{name}"`` is replaced by the parameter's value before compiling.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from scanner.engine.context import EvalContext
from scanner.engine.fields import (
    UNKNOWN,
    Evidence,
    Incomplete,
    evidence_read,
    field_accessor,
    plain_attribute,
    relation,
)

Predicate = Callable[[Any, EvalContext], bool | None]

FIELD_OPERATORS = ("equals", "in", "gt", "gte", "lt", "lte", "exists", "matches", "contains", "known")
COUNT_OPERATORS = ("equals", "gt", "gte", "lt", "lte")
QUANTIFIERS = ("any", "all", "none")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_EMPTY: tuple[Any, ...] = (None, "", [], {})


class ConditionError(ValueError):
    """A condition that cannot be compiled; ``path`` locates it inside the control."""

    def __init__(self, message: str, path: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.path = path


@dataclass(slots=True)
class Compiled:
    predicate: Predicate
    fields: list[tuple[str, Any]]  # top-level fields named and their accessors, for evidence
    relations: list[tuple[str, Any, Predicate | None]]  # top-level relations: name, resolver, inner
    reads: frozenset[Evidence] = frozenset()  # all the evidence the condition reads, at any depth


def substitute_params(value: Any, params: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    if isinstance(value, str):
        whole = _PARAM.fullmatch(value)
        if whole:
            return _param(whole.group(1), params, path)
        return _PARAM.sub(lambda m: str(_param(m.group(1), params, path)), value)
    if isinstance(value, list):
        return [substitute_params(item, params, (*path, i)) for i, item in enumerate(value)]
    if isinstance(value, dict):
        return {key: substitute_params(item, params, (*path, key)) for key, item in value.items()}
    return value


def _param(name: str, params: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    if name not in params:
        raise ConditionError(f"unknown parameter {{{name}}}", path)
    return params[name]


def compile_condition(node: Any, resource_type: str, path: tuple[str | int, ...] = ()) -> Compiled:
    compiler = _Compiler()
    predicate = compiler.compile(node, resource_type, path, top=True)
    return Compiled(predicate, compiler.fields, compiler.relations, frozenset(compiler.reads))


class _Compiler:
    def __init__(self) -> None:
        self.fields: list[tuple[str, Any]] = []
        self.relations: list[tuple[str, Any, Predicate | None]] = []
        self.reads: set[Evidence] = set()

    def compile(self, node: Any, rtype: str, path: tuple[str | int, ...], top: bool = False) -> Predicate:
        if not isinstance(node, dict) or not node:
            raise ConditionError("a condition must be a non-empty mapping", path)
        if "related" in node:
            return self._relation(node, rtype, path, top)
        if "field" in node:
            return self._field(node, rtype, path, top)
        if len(node) != 1:
            raise ConditionError(f"expected one of all, any, not, field, related; got {sorted(node)}", path)
        ((key, value),) = node.items()
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"'{key}' takes a non-empty list of conditions", (*path, key))
            parts = [self.compile(item, rtype, (*path, key, i), top) for i, item in enumerate(value)]
            return _all(parts) if key == "all" else _any(parts)
        if key == "not":
            inner = self.compile(value, rtype, (*path, "not"), top)
            return lambda r, ctx: None if (v := inner(r, ctx)) is None else not v
        raise ConditionError(f"unknown condition key '{key}'", path)

    def _field(self, node: dict[str, Any], rtype: str, path: tuple[str | int, ...], top: bool) -> Predicate:
        name = node["field"]
        accessor = field_accessor(rtype, name) if isinstance(name, str) else None
        if accessor is None:
            raise ConditionError(f"unknown field '{name}' for resource type {rtype}", (*path, "field"))
        ops = [key for key in node if key != "field"]
        if len(ops) != 1 or ops[0] not in FIELD_OPERATORS:
            raise ConditionError(
                f"field condition needs exactly one operator of {', '.join(FIELD_OPERATORS)}; got {ops}", path
            )
        op = ops[0]
        self.reads.update(evidence_read(accessor))
        if top:
            self.fields.append((name, accessor))
        if op == "known":
            if node[op] is not True:
                raise ConditionError("'known' takes true", (*path, op))
            return lambda r, ctx: (
                None if (v := accessor(r, ctx)) is UNKNOWN or v is None or type(v) is Incomplete else True
            )
        test = _field_test(op, node[op], (*path, op))
        attribute = plain_attribute(accessor)
        if attribute is not None:
            return _attribute_predicate(attribute, op, node[op], test)
        partial = _partial_test(op, node[op])

        def predicate(record: Any, ctx: EvalContext) -> bool | None:
            value = accessor(record, ctx)
            if value is UNKNOWN:
                return None
            if type(value) is Incomplete:
                return partial(value.known)
            return test(value)

        return predicate

    def _relation(self, node: dict[str, Any], rtype: str, path: tuple[str | int, ...], top: bool) -> Predicate:
        name = node["related"]
        found = relation(rtype, name) if isinstance(name, str) else None
        if found is None:
            raise ConditionError(f"unknown relation '{name}' for resource type {rtype}", (*path, "related"))
        target, resolve = found
        self.reads.update(evidence_read(resolve))
        quantifiers = [key for key in node if key in QUANTIFIERS]
        if "count" in node:
            return self._count(node, name, target, resolve, path, top)
        if len(quantifiers) != 1 or len(node) != 2:
            raise ConditionError("relation needs exactly one of any, all, none, count", path)
        quantifier = quantifiers[0]
        inner = self.compile(node[quantifier], target, (*path, quantifier))
        if top:
            self.relations.append((name, resolve, inner))
        return _quantify(quantifier, resolve, inner)

    def _count(
        self, node: dict[str, Any], name: str, target: str, resolve: Any, path: tuple[str | int, ...], top: bool
    ) -> Predicate:
        ops = [key for key in node if key not in ("related", "count")]
        if len(ops) != 1 or ops[0] not in COUNT_OPERATORS:
            raise ConditionError(f"count needs exactly one of {', '.join(COUNT_OPERATORS)}", path)
        op = ops[0]
        limit = node[op]
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise ConditionError(f"count limit must be an integer, got {limit!r}", (*path, op))
        inner = None if node["count"] is True else self.compile(node["count"], target, (*path, "count"))
        if top:
            self.relations.append((name, resolve, inner))
        compare = _COMPARE[op]

        def predicate(record: Any, ctx: EvalContext) -> bool | None:
            records = resolve(record, ctx)
            if records is UNKNOWN:
                return None
            open_ended = type(records) is Incomplete
            items = records.known if open_ended else records
            if inner is None and not open_ended:
                return compare(len(items), limit)
            count = undecided = 0
            for item in items:
                result = True if inner is None else inner(item, ctx)
                if result is None:
                    undecided += 1
                else:
                    count += result
            if not undecided and not open_ended:
                return compare(count, limit)
            return _bounded(op, count, None if open_ended else count + undecided, limit)

        return predicate


def _bounded(op: str, low: float, high: float | None, limit: float) -> bool | None:
    """A number known only to lie between ``low`` and ``high`` (None: no upper bound) compared with
    ``limit``: True or False when every number in that range gives the same answer, else None."""
    below = high is not None and high < limit  # the whole range is below the limit
    if op == "gt":
        return True if low > limit else (False if high is not None and high <= limit else None)
    if op == "gte":
        return True if low >= limit else (False if below else None)
    if op == "lt":
        return True if below else (False if low >= limit else None)
    if op == "lte":
        return True if high is not None and high <= limit else (False if low > limit else None)
    if low == high == limit:  # equals
        return True
    return False if low > limit or below else None


_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "equals": lambda a, b: a == b,
    "gt": lambda a, b: a > b,
    "gte": lambda a, b: a >= b,
    "lt": lambda a, b: a < b,
    "lte": lambda a, b: a <= b,
}


def _field_test(op: str, expected: Any, path: tuple[str | int, ...]) -> Callable[[Any], bool]:
    if op == "equals":
        return lambda v: v == expected
    if op == "in":
        if not isinstance(expected, list):
            raise ConditionError("'in' takes a list", path)
        options = _options(expected)
        return lambda v: v in options if not isinstance(v, _LIST_OR_DICT) else False
    if op in ("gt", "gte", "lt", "lte"):
        if not isinstance(expected, int | float) or isinstance(expected, bool):
            raise ConditionError(f"'{op}' takes a number, got {expected!r}", path)
        compare = _COMPARE[op]
        return lambda v: isinstance(v, _NUMBER) and not isinstance(v, bool) and compare(v, expected)
    if op == "exists":
        if not isinstance(expected, bool):
            raise ConditionError("'exists' takes true or false", path)
        return (lambda v: v not in _EMPTY) if expected else (lambda v: v in _EMPTY)
    if op == "matches":
        pattern = _linear_time_pattern(str(expected), path)
        return lambda v: isinstance(v, str) and pattern.search(v) is not None
    if op == "contains":
        if isinstance(expected, str):
            return lambda v: expected in v if isinstance(v, str) else isinstance(v, _COLLECTION) and expected in v
        return lambda v: isinstance(v, _COLLECTION) and expected in v
    raise ConditionError(f"unknown operator '{op}'", path)  # pragma: no cover - guarded by caller


def _partial_test(op: str, expected: Any) -> Callable[[Any], bool | None]:
    """The test over the collected part of a value (tags, or a count as a lower bound): an answer
    only where whatever was not collected cannot change it."""
    if op == "contains":
        return lambda known: True if _is_collection(known) and expected in known else None
    if op == "exists":  # something collected exists, whatever the rest is
        return lambda known: expected if _is_number(known) or (_is_collection(known) and known) else None
    if op in ("gt", "gte", "lt", "lte") or (op == "equals" and _is_number(expected)):
        return lambda known: _bounded(op, known, None, expected) if _is_number(known) else None
    if op == "equals" and isinstance(expected, list):  # the whole holds at least the part known
        return lambda known: False if _is_collection(known) and any(i not in expected for i in known) else None
    return lambda known: None


def _is_collection(value: Any) -> bool:
    return isinstance(value, _COLLECTION)


def _is_number(value: Any) -> bool:
    return isinstance(value, _NUMBER) and not isinstance(value, bool)


# Types an isinstance test takes as tuples built once: ``list | dict`` in a test builds a union at each
# call, and these tests run millions of times per scan
_LIST_OR_DICT = (list, dict)
_NUMBER = (int, float)
_COLLECTION = (list, tuple, set, frozenset)


def _linear_time_pattern(expression: str, path: tuple[str | int, ...]) -> Any:
    """``matches`` patterns run on attacker-controlled names, so they are compiled with RE2, whose
    matching time is linear in the input: no pattern can stall a scan. RE2 has no backreferences
    or lookaround; a pattern that needs them is refused at load, naming the construct."""
    import re2

    options = re2.Options()
    options.log_errors = False  # the error is raised to us; RE2 would also log it to stderr
    try:
        return re2.compile(expression, options)
    except re2.error as exc:
        detail = exc.args[0].decode("utf-8", "replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise ConditionError(
            f"invalid regular expression (RE2 syntax, no backreferences or lookaround): {detail}", path
        ) from None


def _options(expected: list[Any]) -> frozenset[Any] | list[Any]:
    """A set for fast membership where every option is hashable, else the list itself."""
    return frozenset(expected) if all(isinstance(e, str | int | bool) for e in expected) else expected


def _attribute_predicate(attribute: str, op: str, expected: Any, test: Callable[[Any], bool]) -> Predicate:
    """The same test as the generic path, inlined for fields that are plain record attributes:
    controls evaluate millions of these, and one call less per test is a third of the time."""
    if op == "equals":

        def equals(record: Any, ctx: EvalContext) -> bool | None:
            if record.unknown and attribute in record.unknown:
                return None
            return getattr(record, attribute) == expected

        return equals
    if op == "in":  # _field_test has checked that expected is a list
        options = _options(expected)

        def member(record: Any, ctx: EvalContext) -> bool | None:
            if record.unknown and attribute in record.unknown:
                return None
            value = getattr(record, attribute)
            return not isinstance(value, _LIST_OR_DICT) and value in options

        return member

    def generic(record: Any, ctx: EvalContext) -> bool | None:
        if record.unknown and attribute in record.unknown:
            return None
        return test(getattr(record, attribute))

    return generic


def _all(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return _pair(parts, decisive=False)

    def predicate(record: Any, ctx: EvalContext) -> bool | None:
        unknown = False
        for part in parts:
            result = part(record, ctx)
            if result is False:
                return False
            if result is None:
                unknown = True
        return None if unknown else True

    return predicate


def _any(parts: list[Predicate]) -> Predicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        return _pair(parts, decisive=True)

    def predicate(record: Any, ctx: EvalContext) -> bool | None:
        unknown = False
        for part in parts:
            result = part(record, ctx)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    return predicate


def _pair(parts: list[Predicate], decisive: bool) -> Predicate:
    """``all`` (``decisive`` False) or ``any`` (True) of two parts, spelt out without the loop:
    most conditions have two parts, and they run millions of times per scan."""
    first, second = parts

    def pair(record: Any, ctx: EvalContext) -> bool | None:
        one = first(record, ctx)
        if one is decisive:
            return decisive
        two = second(record, ctx)
        if two is decisive:
            return decisive
        return None if one is None or two is None else not decisive

    return pair


def _quantify(quantifier: str, resolve: Any, inner: Predicate) -> Predicate:
    def any_match(record: Any, ctx: EvalContext) -> bool | None:
        records = resolve(record, ctx)
        if records is UNKNOWN:
            return None
        unknown = type(records) is Incomplete  # the records not collected may match
        if unknown:
            records = records.known
        for item in records:
            result = inner(item, ctx)
            if result is True:
                return True
            if result is None:
                unknown = True
        return None if unknown else False

    if quantifier == "any":
        return any_match
    if quantifier == "none":
        return lambda r, ctx: None if (v := any_match(r, ctx)) is None else not v

    def all_match(record: Any, ctx: EvalContext) -> bool | None:
        records = resolve(record, ctx)
        if records is UNKNOWN:
            return None
        unknown = type(records) is Incomplete  # the records not collected may not match
        if unknown:
            records = records.known
        for item in records:
            result = inner(item, ctx)
            if result is False:
                return False
            if result is None:
                unknown = True
        return None if unknown else True

    return all_match
