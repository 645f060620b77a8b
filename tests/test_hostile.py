"""Every hostile and faulty input of tests/hostile_cases.py, through the installed console script:
the right exit code, one line on stderr, no traceback, in bounded time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile_cases import CASES, Case, judge


@pytest.mark.parametrize("case", CASES, ids=[f"{c.klass}-{c.name}" for c in CASES])
def test_hostile_input_is_handled(case: Case, tmp_path: Path) -> None:
    assert judge(case, tmp_path) is None
