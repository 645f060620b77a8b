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
from scanner.engine.emit import (
    COLLECTION,
    EMPTY,
    LIST_OR_DICT,
    MAX_INLINE_DEPTH,
    NUMBER,
    Program,
    attribute_name,
    count_lines,
    quantifier_lines,
    test_expression,
)
from scanner.engine.fields import Evidence, evidence_read, field_accessor, plain_attribute, relation

Predicate = Callable[[Any, EvalContext], bool | None]

FIELD_OPERATORS = ("equals", "in", "gt", "gte", "lt", "lte", "exists", "matches", "contains", "known")
COUNT_OPERATORS = ("equals", "gt", "gte", "lt", "lte")
QUANTIFIERS = ("any", "all", "none")
_PARAM = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


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
    main = compiler.program.returning(compiler.compile(node, resource_type, "r", path, top=True))
    functions = compiler.program.build()
    relations = [
        (name, resolve, None if inner is None else functions[inner]) for name, resolve, inner in compiler.relations
    ]
    return Compiled(functions[main], compiler.fields, relations, frozenset(compiler.reads))


class _Compiler:
    """Checks a condition and writes it as one expression over a record (``var``); see ``emit``."""

    def __init__(self) -> None:
        self.program = Program()
        self.fields: list[tuple[str, Any]] = []
        self.relations: list[tuple[str, Any, str | None]] = []  # the inner predicate by its function's name
        self.reads: set[Evidence] = set()

    def compile(
        self, node: Any, rtype: str, var: str, path: tuple[str | int, ...], top: bool = False, depth: int = 0
    ) -> str:
        if depth > MAX_INLINE_DEPTH:  # a function of its own, so the source never nests too deeply
            helper = self.program.returning(self.compile(node, rtype, "r", path, top))
            return f"{helper}({var}, ctx)"
        if not isinstance(node, dict) or not node:
            raise ConditionError("a condition must be a non-empty mapping", path)
        if "related" in node:
            return self._relation(node, rtype, var, path, top)
        if "field" in node:
            return self._field(node, rtype, var, path, top)
        if len(node) != 1:
            raise ConditionError(f"expected one of all, any, not, field, related; got {sorted(node)}", path)
        ((key, value),) = node.items()
        if key in ("all", "any"):
            if not isinstance(value, list) or not value:
                raise ConditionError(f"'{key}' takes a non-empty list of conditions", (*path, key))
            parts = [
                self.compile(item, rtype, var, (*path, key, i), top, depth + 1 + min(i, _MAX_FOLD))
                for i, item in enumerate(value)
            ]
            return self._combined(parts, key == "any", var)
        if key == "not":
            inner = self.compile(value, rtype, var, (*path, "not"), top, depth + 1)
            t = self.program.fresh("t")
            return f"(None if ({t} := {inner}) is None else not {t})"
        raise ConditionError(f"unknown condition key '{key}'", path)

    def _combined(self, parts: list[str], decisive: bool, var: str) -> str:
        """``all`` (``decisive`` False) or ``any`` (True) in Kleene logic, parts evaluated in order
        and no further than the answer needs: nested pairs, or a loop-free function for many parts."""
        if len(parts) > _MAX_FOLD:
            lines = ["unknown = False"] if var == "r" else [f"{var} = r", "unknown = False"]
            for part in parts:
                lines += [f"result = {part}", f"if result is {decisive}:", f"    return {decisive}"]
                lines += ["if result is None:", "    unknown = True"]
            lines.append(f"return None if unknown else {not decisive}")
            return f"{self.program.function(lines)}({var}, ctx)"
        expression = parts[-1]
        for part in reversed(parts[:-1]):
            one, two = self.program.fresh("t"), self.program.fresh("t")
            expression = (
                f"({decisive} if ({one} := {part}) is {decisive} else ({decisive} if ({two} := {expression}) is "
                f"{decisive} else (None if {one} is None or {two} is None else {not decisive})))"
            )
        return expression

    def _field(self, node: dict[str, Any], rtype: str, var: str, path: tuple[str | int, ...], top: bool) -> str:
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
        program, t = self.program, self.program.fresh("t")
        if op == "known":
            if node[op] is not True:
                raise ConditionError("'known' takes true", (*path, op))
            read = f"{program.constant(accessor)}({var}, ctx)"
            return f"(None if ({t} := {read}) is UNKNOWN or {t} is None or type({t}) is Incomplete else True)"
        expected = node[op]
        test = _field_test(op, expected, (*path, op))
        value = program.constant(_options(expected) if op == "in" else expected)
        attribute = plain_attribute(accessor)
        if attribute is not None:  # read straight off the record: no accessor call
            read = f"{var}.{attribute_name(attribute)}"
            check = test_expression(op, expected, value, f"({t} := {read})", t) or f"{program.constant(test)}({read})"
            marker = program.constant(attribute)
            return f"(None if {var}.unknown and {marker} in {var}.unknown else {check})"
        check = test_expression(op, expected, value, t, t) or f"{program.constant(test)}({t})"
        partial = program.constant(_partial_test(op, expected))
        read = f"{program.constant(accessor)}({var}, ctx)"
        known_part = f"{partial}({t}.known, {t}.never)"
        return f"(None if ({t} := {read}) is UNKNOWN else ({known_part} if type({t}) is Incomplete else {check}))"

    def _relation(self, node: dict[str, Any], rtype: str, var: str, path: tuple[str | int, ...], top: bool) -> str:
        name = node["related"]
        found = relation(rtype, name) if isinstance(name, str) else None
        if found is None:
            raise ConditionError(f"unknown relation '{name}' for resource type {rtype}", (*path, "related"))
        target, resolve = found
        self.reads.update(evidence_read(resolve))
        quantifiers = [key for key in node if key in QUANTIFIERS]
        if "count" in node:
            return self._count(node, name, target, resolve, var, path, top)
        if len(quantifiers) != 1 or len(node) != 2:
            raise ConditionError("relation needs exactly one of any, all, none, count", path)
        quantifier = quantifiers[0]
        inner = self.compile(node[quantifier], target, "x", (*path, quantifier))
        if top:  # evidence names the records that decide: those matching any/none, those failing all
            named = f"({inner}) is not True" if quantifier == "all" else inner
            self.relations.append((name, resolve, self._standalone(named)))
        decisive = quantifier != "all"
        helper = self.program.function(quantifier_lines(self.program.constant(resolve), inner, decisive))
        if quantifier != "none":
            return f"{helper}({var}, ctx)"
        t = self.program.fresh("t")
        return f"(None if ({t} := {helper}({var}, ctx)) is None else not {t})"

    def _standalone(self, inner: str) -> str:
        """A function of its own for an expression over ``x``: the relation's inner condition, which
        evidence applies to each related record."""
        return self.program.function(["x = r", f"return {inner}"])

    def _count(
        self,
        node: dict[str, Any],
        name: str,
        target: str,
        resolve: Any,
        var: str,
        path: tuple[str | int, ...],
        top: bool,
    ) -> str:
        ops = [key for key in node if key not in ("related", "count")]
        if len(ops) != 1 or ops[0] not in COUNT_OPERATORS:
            raise ConditionError(f"count needs exactly one of {', '.join(COUNT_OPERATORS)}", path)
        op = ops[0]
        limit = node[op]
        if not isinstance(limit, int) or isinstance(limit, bool):
            raise ConditionError(f"count limit must be an integer, got {limit!r}", (*path, op))
        inner = None if node["count"] is True else self.compile(node["count"], target, "x", (*path, "count"))
        if top:
            self.relations.append((name, resolve, None if inner is None else self._standalone(inner)))
        program = self.program
        lines = count_lines(
            program.constant(resolve),
            inner,
            program.constant(op),
            program.constant(_COMPARE[op]),
            program.constant(limit),
            program.constant(_bounded),
        )
        return f"{program.function(lines)}({var}, ctx)"


# all/any of up to this many parts are written as nested pairs; more as a function with a flat body
_MAX_FOLD = 6


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


def same_json_value(value: Any, expected: Any) -> bool:
    """Equality as JSON has it: true and false are not the numbers 1 and 0 (Python holds True == 1
    and 1.0 == True, so an attribute of 1 would pass ``equals: true``), and lists and mappings are
    equal item by item so."""
    if type(value) is bool or type(expected) is bool:
        return value is expected
    if isinstance(expected, list):
        return (
            isinstance(value, list | tuple)
            and len(value) == len(expected)
            and all(same_json_value(item, want) for item, want in zip(value, expected, strict=True))
        )
    if isinstance(expected, dict):
        return (
            isinstance(value, dict)
            and value.keys() == expected.keys()
            and all(same_json_value(value[key], want) for key, want in expected.items())
        )
    return bool(value == expected)


def json_equality(value: Any, expected: Any) -> bool | None:
    """``same_json_value``, but unknown (None) where one side is a boolean and the other a number:
    whether a 1 written for true means it cannot be told, and a record must neither pass a control
    nor leave its scope on a guess."""
    if (type(value) is bool) is not (type(expected) is bool) and _is_number(
        value if type(expected) is bool else expected
    ):
        return None
    return same_json_value(value, expected)


def _json_membership(value: Any, options: Any) -> bool | None:
    """Whether ``value`` is among ``options`` (``json_equality`` for each): unknown where it is
    not, but a boolean or number of the other kind is."""
    unsure = False
    for option in options:
        equal = json_equality(value, option)
        if equal:
            return True
        unsure = unsure or equal is None
    return None if unsure else False


def _holds_item(collection: Any, expected: Any) -> bool | None:
    """Whether a collection holds ``expected`` (as ``json_equality`` has it)."""
    if isinstance(expected, str):  # only a string equals a string: the set's own test
        return expected in collection
    return _json_membership(expected, collection)


def _field_test(op: str, expected: Any, path: tuple[str | int, ...]) -> Callable[[Any], bool | None]:
    if op == "equals":
        return lambda v: json_equality(v, expected)
    if op == "in":
        if not isinstance(expected, list):
            raise ConditionError("'in' takes a list", path)
        return lambda v: False if isinstance(v, LIST_OR_DICT) else _json_membership(v, expected)
    if op in ("gt", "gte", "lt", "lte"):
        if not isinstance(expected, int | float) or isinstance(expected, bool):
            raise ConditionError(f"'{op}' takes a number, got {expected!r}", path)
        compare = _COMPARE[op]
        return lambda v: isinstance(v, NUMBER) and not isinstance(v, bool) and compare(v, expected)
    if op == "exists":
        if not isinstance(expected, bool):
            raise ConditionError("'exists' takes true or false", path)
        return (lambda v: v not in EMPTY) if expected else (lambda v: v in EMPTY)
    if op == "matches":
        pattern = _linear_time_pattern(str(expected), path)
        return lambda v: isinstance(v, str) and pattern.search(v) is not None
    if op == "contains":
        if isinstance(expected, str):
            return lambda v: expected in v if isinstance(v, str) else isinstance(v, COLLECTION) and expected in v
        return lambda v: isinstance(v, COLLECTION) and _holds_item(v, expected)
    raise ConditionError(f"unknown operator '{op}'", path)  # pragma: no cover - guarded by caller


def _partial_test(op: str, expected: Any) -> Callable[[Any, frozenset[str]], bool | None]:
    """The test over the collected part of a value (tags, or a count as a lower bound) and what the
    rest can never hold: an answer only where whatever was not collected cannot change it."""
    if op == "contains":
        return lambda known, never: (
            True
            if _is_collection(known) and _holds_item(known, expected)
            else (False if isinstance(expected, str) and expected in never else None)
        )
    if op == "exists":  # something collected exists, whatever the rest is
        return lambda known, never: expected if _is_number(known) or (_is_collection(known) and known) else None
    if op in ("gt", "gte", "lt", "lte") or (op == "equals" and _is_number(expected)):
        return lambda known, never: _bounded(op, known, None, expected) if _is_number(known) else None
    if op == "equals" and isinstance(expected, list):  # the whole holds at least the part known
        return lambda known, never: (
            False if _is_collection(known) and any(_holds_item(expected, i) is False for i in known) else None
        )
    return lambda known, never: None


def _is_collection(value: Any) -> bool:
    return isinstance(value, COLLECTION)


def _is_number(value: Any) -> bool:
    return isinstance(value, NUMBER) and not isinstance(value, bool)


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
