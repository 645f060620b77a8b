"""all and any over two or more parts: Kleene logic, parts evaluated in order and no further than
the answer needs, whatever the number of parts (two-part conditions have their own, loop-free code)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from scanner.engine.conditions import _all, _any

_VALUES = (True, False, None)


def _kleene_all(values: tuple[Any, ...]) -> bool | None:
    return False if False in values else (None if None in values else True)


def _kleene_any(values: tuple[Any, ...]) -> bool | None:
    return True if True in values else (None if None in values else False)


@pytest.mark.parametrize("size", [2, 3, 4])
@pytest.mark.parametrize(("combine", "truth", "decisive"), [(_all, _kleene_all, False), (_any, _kleene_any, True)])
def test_every_combination_of_answers(size: int, combine: Any, truth: Any, decisive: bool) -> None:
    for values in itertools.product(_VALUES, repeat=size):
        asked: list[int] = []
        parts = [_part(index, values, asked) for index in range(size)]
        assert combine(parts)(object(), None) is truth(values), values
        stop = values.index(decisive) + 1 if decisive in values else size
        assert asked == list(range(stop)), values


def _part(index: int, values: tuple[Any, ...], asked: list[int]) -> Any:
    """A part answering ``values[index]``, noting in ``asked`` that it was asked."""

    def answer(record: Any, ctx: Any) -> bool | None:
        asked.append(index)
        result: bool | None = values[index]
        return result

    return answer
