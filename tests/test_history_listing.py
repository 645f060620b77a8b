"""The history listing: what it reads of each stored scan, and its table: exactly as rich draws it
when it fits the console, and without its box, every character kept, when it does not."""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from rich.segment import Segment
from rich.text import Text

from scanner.console import _history_cells, history_table, print_history
from scanner.history.store import HistoryError, HistoryStore
from scanner.listings import HISTORY_FIELDS, history_rows
from scanner.model import ScanResult
from scanner.plain_table import print_plain_table
from scanner.reports.json_results import render
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect

from .test_cli_terminal import NHISCAN, run, run_on_a_terminal


@pytest.fixture(scope="module")
def demo_result(catalogs) -> ScanResult:
    return run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())


def _store(tmp_path: Path, result: ScanResult, groups: list[str | None]) -> str:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    store = HistoryStore(url)
    for group in groups:
        copy = dataclasses.replace(result, scan=dataclasses.replace(result.scan, id=str(uuid.uuid4())))
        store.save(copy, render(copy), group)  # stored results are their own scan's (see HistoryStore.load)
    return url


def test_the_listing_reads_every_field_it_shows(demo_result: ScanResult, tmp_path: Path, capsys) -> None:
    store = HistoryStore(_store(tmp_path, demo_result, ["nightly", None]))
    narrow, whole = store.listing(fields=HISTORY_FIELDS), store.listing()
    assert set(narrow[0]) == set(HISTORY_FIELDS) and "sources" in whole[0]
    assert history_rows(narrow) == history_rows(whole)
    print_history(narrow)
    from_narrow = capsys.readouterr().out
    print_history(whole)
    assert from_narrow == capsys.readouterr().out and "nightly" in from_narrow


def test_a_shard_of_a_run_is_listed_with_its_shard_and_run(demo_result: ScanResult, tmp_path: Path, capsys) -> None:
    """Which shard of which run each stored scan was: in the JSON and CSV listings (the last two
    columns, so a script reading columns by place still finds the others) and in the table's group."""
    from scanner.sharding import Shard

    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    store.save(demo_result, render(demo_result), group="prod", shard=Shard.parse("2/4"), run="2026-12-03")
    later = demo_result.scan.finished + timedelta(minutes=1)
    alone = dataclasses.replace(
        demo_result, scan=dataclasses.replace(demo_result.scan, id=str(uuid.uuid4()), finished=later)
    )
    store.save(alone, render(alone))
    rows = history_rows(store.listing(fields=HISTORY_FIELDS))
    assert [(row["scan_group"], row["shard"], row["scan_run"]) for row in rows] == [
        (None, None, None),
        ("prod", "2/4", "2026-12-03"),
    ]
    assert list(rows[0])[-3:] == ["shard", "scan_run", "incomplete_sources"]
    print_history(store.listing(fields=HISTORY_FIELDS))
    assert "prod 2/4" in capsys.readouterr().out


CELLS = [
    ["1b7075b8", "2026-12-01 23:08", "", "44.2", "F", "80 blocking", "11", "69", "0", "0"],
    ["8e4b6fc0", "2026-12-01 23:09", "夜間スキャン", "n/a", "n/a", "passed", "0", "0", "", ""],
    ["124348f5", "2026-12-02 00:00", "[bold]not markup[/] :smile:", "100.0", "A", "passed", "0", "0", "3", "12"],
    ["9a0c11d2", "2026-12-02 00:01", "  café́ 🚀 a b", "7.5", "F", "1234 blocking", "1000", "234", "", "7"],
    ["00000000", "2026-12-02 00:02", "x" * 40, "50.0", "D", "2 blocking", "0", "2", "1", "0"],
]


class _AsciiFile(io.StringIO):
    encoding = "ascii"


def _natural_width(rows: list[list[str]]) -> int:
    """How wide rich draws the table when nothing limits it."""
    console = Console(file=io.StringIO(), width=1000)
    table = history_table()
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    return max(Segment.get_line_length(line) for line in console.render_lines(table, pad=False))


@pytest.mark.parametrize(
    "make_console",
    [
        lambda file, natural: Console(file=file, width=1000, color_system=None),  # piped
        lambda file, natural: Console(file=file, width=natural + 9, force_terminal=True, color_system="truecolor"),
        lambda file, natural: Console(file=file, width=natural, force_terminal=True, color_system="256"),
        lambda file, natural: Console(file=_AsciiFile(), width=natural, color_system=None),  # rich draws ASCII boxes
    ],
    ids=["piped", "wider", "just-wide-enough", "ascii"],
)
@pytest.mark.parametrize("count", [1, 2, 3, 40])
def test_the_table_is_drawn_as_rich_draws_it(make_console, count: int) -> None:
    rows = [CELLS[index % len(CELLS)] for index in range(count)]
    natural = _natural_width(rows)
    ours, theirs = make_console(io.StringIO(), natural), make_console(io.StringIO(), natural)
    print_plain_table(ours, history_table(), rows)
    table = history_table()
    for row in rows:
        table.add_row(*(Text(cell) for cell in row))
    theirs.print(table)
    assert ours.file.getvalue() == theirs.file.getvalue()  # type: ignore[attr-defined]


def test_rich_draws_only_the_first_and_last_rows_of_a_table_that_fits() -> None:
    table = history_table()
    print_plain_table(Console(file=io.StringIO(), width=1000), table, CELLS * 200)
    assert len(table.rows) == 2


def _characters(text: str) -> Counter[str]:
    return Counter(character for character in text if not character.isspace())


@pytest.mark.parametrize("width", [-1, -10, 80, 60, 40, 25], ids=lambda w: f"{w} short" if w < 0 else f"{w} columns")
@pytest.mark.parametrize("count", [1, 3, 40])
def test_a_table_too_wide_loses_its_box_and_never_a_character(width: int, count: int) -> None:
    rows = [CELLS[index % len(CELLS)] for index in range(count)]
    width = _natural_width(rows) + width if width < 0 else width
    out = Console(file=io.StringIO(), width=width, force_terminal=True, color_system="256")
    print_plain_table(out, history_table(), rows)
    shown = Text.from_ansi(out.file.getvalue()).plain  # type: ignore[attr-defined]
    lines = shown.splitlines()
    assert max(cell_len(line) for line in lines) <= width
    rule = next(line for line in lines if line and set(line) == {"─"})
    headers = [str(column.header) for column in history_table().columns]
    written = ["Stored scans, newest first", *headers, *(cell for row in rows for cell in row)]
    assert _characters("\n".join(line for line in lines if line != rule)) == _characters(" ".join(written))


def test_on_80_columns_the_history_wraps_at_spaces_and_keeps_every_number_whole() -> None:
    rows = [["1b7075b8", "2026-12-01 23:08", "nightly", "44.2", "F", "1234 blocking", "11", "69", "12345", "123456"]]
    out = Console(file=io.StringIO(), width=80)
    print_plain_table(out, history_table(), rows * 3)
    shown = out.file.getvalue()  # type: ignore[attr-defined]
    assert max(cell_len(line) for line in shown.splitlines()) <= 80
    assert Counter(shown.split()) >= Counter(word for row in rows * 3 for cell in row for word in cell.split())


@pytest.mark.skipif(NHISCAN is None, reason="the console script is installed by scripts/test.sh")
def test_the_history_table_is_whole_on_80_columns_wide_terminals_and_piped(
    demo_result: ScanResult, tmp_path: Path
) -> None:
    url = _store(tmp_path, demo_result, [None, "nightly-" * 4, "weekly", None])
    ids = [row["id"][:8] for row in HistoryStore(url).listing()]
    piped = run("history", "--db", url).stdout
    assert all(piped.count(scan_id) == 1 for scan_id in ids) and "…" not in piped
    status, narrow = run_on_a_terminal("history", "--db", url, cwd=tmp_path, columns=80)
    assert status == 0 and "…" not in narrow and all(scan_id in narrow for scan_id in ids)
    assert max(len(line) for line in narrow.splitlines()) <= 81  # 80 and the carriage return
    assert "─" * 70 in narrow and "┃" not in narrow, "too wide for its box: columns under a rule"
    status, wide = run_on_a_terminal("history", "--db", url, cwd=tmp_path, columns=200)
    assert status == 0 and [line.rstrip("\r") for line in wide.splitlines()] == piped.splitlines()


@pytest.mark.parametrize(
    ("passed", "blocking", "cell"),
    [(True, 0, "passed"), (False, 3, "3 blocking"), (False, 0, "failed")],
    ids=["passed", "blocking failures", "partial read or nothing assessed"],
)
def test_the_gate_column_never_reads_zero_blocking_for_a_gate_that_did_not_pass(
    passed: bool, blocking: int, cell: str
) -> None:
    row = {"id": "1b7075b8", "finished": "2026-12-01", "passed": passed, "blocking": blocking, "grade": "F"}
    assert _history_cells(row)[5] == cell


def test_the_gate_column_names_an_incomplete_read_beside_blocking_failures() -> None:
    """A scan whose only source failed read "1 blocking" (its coverage failure), as if everything
    had been read."""
    read = (("1", "failed"), ("2", "complete"))
    sources = [{"name": "aws", "account": account, "status": status} for account, status in read]
    row = {"id": "1b7075b8", "finished": "2026-12-01", "passed": False, "blocking": 1, "grade": "F", "sources": sources}
    assert _history_cells(row)[5] == "1 blocking, 1 source incomplete"


@pytest.mark.parametrize(
    ("column", "stored", "named"),
    [
        ("failing", "'\"x\"'", "failing"),
        ("failing", '\'{"high": "x"}\'', "failing"),
        ("score", "'abc'", "score"),
        ("blocking", "'many'", "blocking"),
        ("new_failures", "-3", "new_failures"),
        ("finished", "'garbage'", "started, finished or as_of"),
        ("frameworks", "'[1]'", "frameworks"),
        ("sources", "'5'", "sources"),
        ("median_credential_age", "'old'", "median_credential_age"),
    ],
)
def test_a_row_holding_values_nhiscan_does_not_write_is_one_error_naming_its_column(
    demo_result: ScanResult, tmp_path: Path, cli, column: str, stored: str, named: str
) -> None:
    """No checksum covers a row's own columns: text where a count or a time should be stopped the
    listing with an internal error (exit 4), or was printed as a score. Every reader of the
    listing (the history command, the trends) now refuses it in one line (exit 2)."""
    import sqlite3

    url = _store(tmp_path, demo_result, [None])
    database = sqlite3.connect(tmp_path / "history.db")
    database.execute(f"UPDATE scans SET {column} = {stored}")
    database.commit()
    database.close()
    with pytest.raises(HistoryError, match=f"in its {named} column"):
        HistoryStore(url).listing()
    shown = column in HISTORY_FIELDS or column == "finished"
    commands = (
        [("history", "--db", url, "--format", output_format) for output_format in ("table", "json")]
        if shown  # else read by the trend of the next scan
        else [("scan", "demo", "--format", "json", "--db", url, "-q", "-o", str(tmp_path / "out"))]
    )
    for command in commands:
        read = cli(*command)
        assert read.exit_code == 2 and "Traceback" not in read.output
        assert len(read.output.strip().splitlines()) == 1 and f"in its {named} column" in read.output


def test_a_gate_passed_on_a_partial_read_is_listed_with_its_incomplete_sources(
    demo_result: ScanResult, tmp_path: Path, cli
) -> None:
    """A scan accepted with --allow-partial passed its gate on less than the whole estate: the
    listing says how many sources were not read completely, in the table and for scripts."""
    from scanner.model import SourceError, SourceStatus

    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    partial = [
        *demo_result.scan.sources,
        SourceStatus("aws", "222222222222", "partial", [SourceError("iam:ListRoles", "AccessDenied")]),
    ]
    passed = dataclasses.replace(
        demo_result,
        scan=dataclasses.replace(demo_result.scan, sources=partial),
        gate={**demo_result.gate, "passed": True, "fail_on": "none", "blocking_findings": 0, "allow_partial": True},
    )
    store.save(passed, render(passed))
    (row,) = history_rows(store.listing(fields=HISTORY_FIELDS))
    assert row["passed"] is True and row["incomplete_sources"] == 1

    table = cli("history", "--db", f"sqlite:///{tmp_path / 'history.db'}")
    assert table.exit_code == 0 and "passed, 1 source incomplete" in " ".join(table.output.split())
    listed = cli("history", "--db", f"sqlite:///{tmp_path / 'history.db'}", "--format", "json")
    assert json.loads(listed.output)[0]["incomplete_sources"] == 1

    # not accepted: the gate failed on the partial read alone, and the listing says why
    refused = dataclasses.replace(
        passed,
        scan=dataclasses.replace(passed.scan, id=str(uuid.uuid4())),
        gate={**passed.gate, "passed": False, "allow_partial": False, "blocking_findings": 0},
    )
    store.save(refused, render(refused))
    table = cli("history", "--db", f"sqlite:///{tmp_path / 'history.db'}")
    assert "failed: 1 source incomplete" in " ".join(table.output.split())
