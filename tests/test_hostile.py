"""Every hostile and faulty input of tests/hostile_cases.py, through the installed console script:
the right exit code, one line on stderr, no traceback, in bounded time."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile_cases import CASES, Case, judge


@pytest.mark.parametrize("case", CASES, ids=[f"{c.klass}-{c.name}" for c in CASES])
def test_hostile_input_is_handled(case: Case, tmp_path: Path) -> None:
    assert judge(case, tmp_path) is None


def test_debug_prints_the_traceback_of_an_internal_error(tmp_path: Path) -> None:
    from tests.hostile_cases import internal_error_is_exit_4_and_one_line, run_nhiscan

    arguments, environment = internal_error_is_exit_4_and_one_line(tmp_path)
    completed = run_nhiscan("--debug", *arguments, cwd=tmp_path, env=environment)
    assert completed.returncode == 4
    assert "Traceback" in completed.stderr and "KeyError: 'a bug'" in completed.stderr
    assert completed.stderr.rstrip().splitlines()[-1].startswith("nhiscan: internal error (KeyError")


def test_the_internal_error_line_names_a_way_to_the_traceback_that_works(tmp_path: Path) -> None:
    """``--debug`` is the group's option: ``nhiscan scan --debug`` is refused ("No such option"), so
    the line said to do what does not work. It names ``nhiscan --debug COMMAND`` and the variable."""
    from tests.hostile_cases import internal_error_is_exit_4_and_one_line, run_nhiscan

    arguments, environment = internal_error_is_exit_4_and_one_line(tmp_path)
    completed = run_nhiscan(*arguments, cwd=tmp_path, env=environment)
    assert completed.returncode == 4 and "Traceback" not in completed.stderr
    assert "nhiscan --debug COMMAND" in completed.stderr and "NHISCAN_DEBUG=1" in completed.stderr
    again = run_nhiscan(*arguments, cwd=tmp_path, env={**environment, "NHISCAN_DEBUG": "1"})
    assert again.returncode == 4 and "Traceback" in again.stderr


_LEAKY_FAULT_HOOK = """
import scanner.scan
def broken(*args, **kwargs):
    raise ValueError("unexpected value Zq7unusualHunter2 at column 3 of the postgres settings")
scanner.scan.run_scan = broken
import scanner.cli
scanner.cli.run_scan = broken
"""


def test_the_internal_error_line_names_where_not_what_the_input_held(tmp_path: Path) -> None:
    """An exception's message may quote the input it choked on, a password's fragment among it, that
    no redaction tells from the rest: the line names the exception and nhiscan's own line it passed
    through (the traceback, with everything, is for --debug)."""
    from tests.hostile_cases import _with_hook, run_nhiscan

    environment = _with_hook(tmp_path, _LEAKY_FAULT_HOOK)
    completed = run_nhiscan("scan", "demo", "--format", "json", "--no-history", cwd=tmp_path, env=environment)
    assert completed.returncode == 4
    line = completed.stderr.rstrip().splitlines()[-1]
    assert line.startswith("nhiscan: internal error (ValueError at scanner/cli.py:"), line
    assert "Hunter2" not in completed.stderr and "postgres" not in completed.stderr
