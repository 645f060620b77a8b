"""all and any over two or more parts: Kleene logic, parts evaluated in order and no further than
the answer needs, whatever the number of parts (a few parts are compiled as nested pairs, many as a
function with a flat body; both are covered)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from scanner.engine.conditions import compile_condition
from scanner.engine.fields import UNKNOWN

_VALUES = (True, False, None)
# Fields of a trust entry, each read with the entry's ``get``: the parts of the conditions below
_FIELDS = ("principal", "principal_type", "account", "external", "conditions", "provider", "subject")


def _kleene_all(values: tuple[Any, ...]) -> bool | None:
    return False if False in values else (None if None in values else True)


def _kleene_any(values: tuple[Any, ...]) -> bool | None:
    return True if True in values else (None if None in values else False)


class _Entry(dict[str, Any]):
    """A trust entry noting, in ``asked``, each field read from it."""

    def __init__(self, values: dict[str, Any], asked: list[str]) -> None:
        super().__init__(values)
        self.asked = asked

    def get(self, key: str, default: Any = None) -> Any:
        self.asked.append(key)
        return super().get(key, default)


@pytest.mark.parametrize("size", [2, 3, 4, 7])
@pytest.mark.parametrize(("combine", "truth", "decisive"), [("all", _kleene_all, False), ("any", _kleene_any, True)])
def test_every_combination_of_answers(size: int, combine: str, truth: Any, decisive: bool) -> None:
    fields = _FIELDS[:size]
    condition = {combine: [{"field": name, "equals": "yes"} for name in fields]}
    predicate = compile_condition(condition, "trust").predicate
    for values in itertools.product(_VALUES, repeat=size):
        asked: list[str] = []
        answers = {True: "yes", False: "no", None: UNKNOWN}
        entry = _Entry({name: answers[value] for name, value in zip(fields, values, strict=True)}, asked)
        assert predicate(entry, None) is truth(values), values
        stop = values.index(decisive) + 1 if decisive in values else size
        assert asked == list(fields[:stop]), values


@pytest.mark.parametrize("depth", [1, 2, 40])
def test_conditions_nested_deeply_answer_as_shallow_ones(depth: int) -> None:
    condition: dict[str, Any] = {"field": "principal", "equals": "yes"}
    for level in range(depth):
        condition = {"not": condition} if level % 2 else {"all": [condition, {"field": "account", "exists": True}]}
    predicate = compile_condition(condition, "trust").predicate
    negated = sum(1 for level in range(depth) if level % 2) % 2 == 1
    assert predicate({"principal": "yes", "account": "1"}, None) is (not negated)
    assert predicate({"principal": "no", "account": "1"}, None) is negated
    assert predicate({"principal": UNKNOWN, "account": "1"}, None) is None
