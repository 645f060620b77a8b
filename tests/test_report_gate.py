"""``nhiscan report --scan-group G --gate`` exits as a scan does on the merged report's verdict. A
sharded scan's merged verdict can differ from every shard's (a waiver that ended between their
dates, a shard missing from the run), and ``report`` exits 0 whatever it says: a pipeline gating on
the whole estate had nothing to read but the files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.history.store import HistoryStore
from scanner.model import ScanResult
from scanner.reports.json_results import render
from scanner.scan import gate
from scanner.sharding import Shard
from scanner.sources import SourceSpec, collect

from .test_history import _demo_part

AWS, REST = {"aws"}, {"azure", "gcp", "manifest"}


@pytest.fixture(scope="module")
def whole():
    return collect(SourceSpec("demo"))


def _stored(store: HistoryStore, result: ScanResult, fail_on: str, shard: str, run: str) -> None:
    result.scan.fail_on, result.gate = fail_on, gate(result, fail_on)
    store.save(result, render(result), group="weekly", shard=Shard.parse(shard), run=run)


def _report(cli, db_url: str, out: Path, *extra: str):
    return cli("report", "--scan-group", "weekly", "--db", db_url, "--format", "json", "-o", str(out), *extra)


@pytest.mark.parametrize(("fail_on", "code"), [("high", 1), ("none", 0)])
def test_the_merged_verdict_is_the_exit_code(
    cli, catalogs, whole, db_url: str, tmp_path: Path, fail_on: str, code: int
) -> None:
    store = HistoryStore(db_url)
    _stored(store, _demo_part(whole, catalogs, AWS), fail_on, "1/2", "r1")
    _stored(store, _demo_part(whole, catalogs, REST), fail_on, "2/2", "r1")
    outcome = _report(cli, db_url, tmp_path / "merged", "--gate")
    assert outcome.exit_code == code, outcome.output
    merged = json.loads((tmp_path / "merged" / "results.json").read_text())
    assert merged["gate"]["passed"] is (code == 0)
    assert f"Gate (fail on {fail_on}): " in outcome.output
    assert _report(cli, db_url, tmp_path / "again").exit_code == 0, "without --gate, as before"


def test_a_run_missing_a_shard_exits_3_naming_it(cli, catalogs, whole, db_url: str, tmp_path: Path) -> None:
    store = HistoryStore(db_url)
    _stored(store, _demo_part(whole, catalogs, AWS), "none", "1/2", "r1")
    outcome = _report(cli, db_url, tmp_path / "merged", "--gate", "-q")
    assert outcome.exit_code == 3
    assert outcome.output == (
        "nhiscan: error: not read completely (1 failed): shard:2/2 (a run whose shards all ran with "
        "--allow-partial, none missing, accepts a partial read)\n"
    )


def test_gate_asks_for_a_scan_group(cli, tmp_path: Path) -> None:
    outcome = cli("report", str(tmp_path / "results.json"), "--gate")
    assert outcome.exit_code == 2 and "--gate judges a merged report: give --scan-group" in outcome.output
