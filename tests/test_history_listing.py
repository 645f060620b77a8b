"""The history listing: what it reads of each stored scan."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import pytest

from scanner.console import print_history
from scanner.history.store import HistoryStore
from scanner.listings import HISTORY_FIELDS, history_rows
from scanner.model import ScanResult
from scanner.reports.json_results import render
from scanner.scan import ScanOptions, run_scan
from scanner.sources import SourceSpec, collect


@pytest.fixture(scope="module")
def demo_result(catalogs) -> ScanResult:
    return run_scan(collect(SourceSpec("demo")), catalogs, ScanOptions())


def _store(tmp_path: Path, result: ScanResult, groups: list[str | None]) -> str:
    url = f"sqlite:///{tmp_path / 'history.db'}"
    store = HistoryStore(url)
    document = render(result)
    for group in groups:
        copy = dataclasses.replace(result, scan=dataclasses.replace(result.scan, id=str(uuid.uuid4())))
        store.save(copy, document, group)
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
