"""A scan group's merged report keeps each run's trend point once merged, so the next report
merges only its own run (and the run before it, when its own point is new): the trend it draws
is the same, point for point, as merging every run again. A run whose scans change, other
framework catalogs or other code make the kept points unused; a history that will not read or keep
a point still gives the report."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Update, func, select

from scanner.history.group_points import catalog_key, keep_point, kept_points, run_key
from scanner.history.merge import merge_group
from scanner.history.store import HistoryStore
from scanner.history.tables import group_points, scans
from scanner.model import ScanResult
from scanner.reports.json_results import render
from scanner.sharding import Shard
from scanner.sources import SourceSpec, collect

from .test_history import _demo_part
from .test_history_group_runs import _fixed

AWS, REST = {"aws"}, {"azure", "gcp", "manifest"}


@pytest.fixture(scope="module")
def whole():
    return collect(SourceSpec("demo"))


def _save(store: HistoryStore, result: ScanResult, shard: str, run: str) -> None:
    store.save(result, render(result), group="weekly", shard=Shard.parse(shard), run=run)


@contextmanager
def _loads_counted(store: HistoryStore) -> Iterator[list[str]]:
    """The scans ``store`` reads back whole meanwhile, by id."""
    loaded: list[str] = []
    load = store.load

    def counted(scan_id: str) -> ScanResult:
        loaded.append(scan_id)
        return load(scan_id)

    store.load = counted  # type: ignore[method-assign]
    try:
        yield loaded
    finally:
        del store.load


def _four_runs(store: HistoryStore, catalogs, whole) -> list[list[ScanResult]]:
    """Four weekly runs of two shards; in the third, one failing identity of shard 2 is fixed."""
    weeks = []
    for week in ("w45", "w46", "w47", "w48"):
        aws = _demo_part(whole, catalogs, AWS)
        rest = _demo_part(whole, catalogs, REST)
        if week in ("w47", "w48"):
            rest, _ = _fixed(rest, catalogs, whole, REST)
        _save(store, aws, "1/2", week)
        _save(store, rest, "2/2", week)
        weeks.append([aws, rest])
    return weeks


def _fresh(store: HistoryStore, catalogs, run: str | None = None) -> ScanResult:
    """The merged report with no point kept: every run merged again."""
    with store.engine.begin() as connection:
        connection.execute(group_points.delete())
    return merge_group(store, catalogs, "weekly", run)


def test_a_second_report_reads_only_its_own_run_and_draws_the_same_trend(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    weeks = _four_runs(store, catalogs, whole)
    with _loads_counted(store) as loaded:
        first = merge_group(store, catalogs, "weekly")
    assert len(loaded) == 8, "the first report merges every run"
    with _loads_counted(store) as loaded:
        again = merge_group(store, catalogs, "weekly")
    assert sorted(loaded) == sorted(s.scan.id for s in weeks[-1]), "only its own run's shards"
    assert again.trend == first.trend and len(again.trend) == 4
    assert again.trend[2].resolved, "the identity fixed in w47 is resolved on the kept points too"
    assert again.trend == _fresh(store, catalogs).trend


def test_a_report_of_the_next_run_merges_that_run_and_the_one_before_it_only(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    _four_runs(store, catalogs, whole)
    last_week = store.group_run("weekly").scan_ids
    merge_group(store, catalogs, "weekly")  # last week's report
    fifth = [_demo_part(whole, catalogs, AWS), _demo_part(whole, catalogs, REST)]
    _save(store, fifth[0], "1/2", "w49")
    _save(store, fifth[1], "2/2", "w49")
    with _loads_counted(store) as loaded:
        merged = merge_group(store, catalogs, "weekly")
    # its own run, and the run before for the failures new and resolved since: no earlier one
    assert sorted(loaded) == sorted([*(s.scan.id for s in fifth), *last_week])
    assert merged.trend == _fresh(store, catalogs).trend and len(merged.trend) == 5


def test_an_earlier_run_reported_by_its_key_has_its_own_trend(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    _four_runs(store, catalogs, whole)
    merge_group(store, catalogs, "weekly")
    earlier = merge_group(store, catalogs, "weekly", run="w46")
    assert [p.scan_id for p in earlier.trend] == [p.scan_id for p in _fresh(store, catalogs, "w46").trend]
    assert len(earlier.trend) == 2


def test_a_shard_run_again_is_merged_again(catalogs, whole, db_url: str) -> None:
    """Run w46's second shard is run again after a report: its point is of the new scan."""
    store = HistoryStore(db_url)
    _four_runs(store, catalogs, whole)
    kept_before = merge_group(store, catalogs, "weekly").trend
    rerun, _ = _fixed(_demo_part(whole, catalogs, REST), catalogs, whole, REST)
    _save(store, rerun, "2/2", "w46")
    merged = merge_group(store, catalogs, "weekly")
    assert merged.trend[1] != kept_before[1] and merged.trend[1].failing < kept_before[1].failing
    assert merged.trend == _fresh(store, catalogs).trend


def test_points_kept_with_other_framework_catalogs_are_not_used(catalogs, whole, db_url: str) -> None:
    store = HistoryStore(db_url)
    _four_runs(store, catalogs, whole)
    merge_group(store, catalogs, "weekly")
    dropped, *kept = sorted(catalogs.frameworks)
    fewer = dataclasses.replace(catalogs, frameworks={name: catalogs.frameworks[name] for name in kept})
    assert catalog_key(fewer) != catalog_key(catalogs)
    with _loads_counted(store) as loaded:
        merged = merge_group(store, fewer, "weekly")
    assert len(loaded) == 8, "every run merged again"
    assert all(dropped not in point.frameworks for point in merged.trend)


def test_a_report_drops_the_points_of_runs_a_prune_changed_and_keeps_the_others(catalogs, whole, db_url: str) -> None:
    """A prune that deletes the oldest run's first shard leaves that run incomplete (off the trend,
    under another key): the next report drops its old point and merges none of the others again."""
    store = HistoryStore(db_url)
    _four_runs(store, catalogs, whole)
    merge_group(store, catalogs, "weekly")
    before = {run for run, _ in kept_points(store, "weekly", catalog_key(catalogs))}
    with store.writing() as connection:
        connection.execute(_oldest_scan_aged_40_days())
    assert store.prune(30) == 1
    with _loads_counted(store) as loaded:
        merged = merge_group(store, catalogs, "weekly")
    assert len(loaded) == 2, "its own run's two shards, for the report itself"
    after = {run for run, _ in kept_points(store, "weekly", catalog_key(catalogs))}
    assert len(before) == 4 and len(after) == 3 and after < before
    assert merged.trend == _fresh(store, catalogs).trend and len(merged.trend) == 3


def _oldest_scan_aged_40_days() -> Update:
    oldest = select(scans.c.id).order_by(scans.c.finished).limit(1).scalar_subquery()
    return scans.update().where(scans.c.id == oldest).values(finished=datetime.now(UTC) - timedelta(days=40))


def test_a_point_kept_twice_is_kept_once_and_the_report_goes_on(catalogs, whole, db_url: str) -> None:
    """Two reports keeping the same point at once: the second's write is refused (the key is
    taken), which costs nothing."""
    store = HistoryStore(db_url)
    _four_runs(store, catalogs, whole)
    merged = merge_group(store, catalogs, "weekly")
    key = run_key(store.group_runs("weekly")[0])
    keep_point(store, "weekly", key, "", catalog_key(catalogs), merged.trend[0])
    with store.engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(group_points)).scalar() == 4
    assert merge_group(store, catalogs, "weekly").trend == merged.trend


def test_a_history_opened_read_only_gives_the_merged_report_and_keeps_nothing(catalogs, whole, tmp_path) -> None:
    """A GRC reader's copy of the history, opened read only: keeping a point is refused, and the
    report is the one a writable history gives."""
    from sqlalchemy import create_engine

    path = tmp_path / "history.db"
    store = HistoryStore(f"sqlite:///{path}")
    _four_runs(store, catalogs, whole)
    expected = _fresh(store, catalogs)
    with store.engine.begin() as connection:
        connection.execute(group_points.delete())
    store.engine.dispose()
    store.engine = create_engine(f"sqlite:///file:{path}?mode=ro&uri=true")
    assert merge_group(store, catalogs, "weekly").trend == expected.trend
    assert kept_points(store, "weekly", catalog_key(catalogs)) == {}


def test_a_report_beside_a_scan_being_stored_does_not_wait_for_it_to_keep_its_points(catalogs, whole, tmp_path) -> None:
    """Another process holds the history's write lock (a scan being stored): the report reads as
    ever and gives up keeping each point after a second, not the minute a scan waits to store."""
    import sqlite3
    import time

    path = tmp_path / "history.db"
    store = HistoryStore(f"sqlite:///{path}")
    _four_runs(store, catalogs, whole)
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        started = time.monotonic()
        merged = merge_group(store, catalogs, "weekly")
        assert time.monotonic() - started < 30, "four points, a second each at most"
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    assert kept_points(store, "weekly", catalog_key(catalogs)) == {}
    assert merged.trend == merge_group(store, catalogs, "weekly").trend


def test_the_first_run_of_a_moving_window_is_not_merged_again(catalogs, whole, db_url: str, monkeypatch) -> None:
    """With the trend full, a new run pushes the oldest off: the run that becomes first was kept
    as another's successor, and only its new and resolved failures (none, first) differ."""
    import scanner.history.merge as merge

    monkeypatch.setattr(merge, "TREND_RUNS", 3)
    store = HistoryStore(db_url)
    _four_runs(store, catalogs, whole)
    merge_group(store, catalogs, "weekly")  # w46, w47, w48
    fifth = [_demo_part(whole, catalogs, AWS), _demo_part(whole, catalogs, REST)]
    _save(store, fifth[0], "1/2", "w49")
    _save(store, fifth[1], "2/2", "w49")
    last_week = store.group_run("weekly", "w48").scan_ids
    with _loads_counted(store) as loaded:
        merged = merge_group(store, catalogs, "weekly")  # w47, w48, w49
    assert sorted(loaded) == sorted([*(s.scan.id for s in fifth), *last_week])
    assert merged.trend == _fresh(store, catalogs).trend
    assert (merged.trend[0].new, merged.trend[0].resolved) == (None, None)


def test_a_run_of_the_same_scans_missing_other_shards_has_another_key() -> None:
    from scanner.history.store import GroupRun, MissingPart

    finished = datetime(2026, 11, 30, tzinfo=UTC)
    whole_run = GroupRun("weekly", "w48", ["a"], finished, None)
    missing = GroupRun("weekly", "w48", ["a"], finished, 2, [MissingPart("1/2", ""), MissingPart("2/2", "")])
    assert run_key(whole_run) != run_key(missing)
    assert run_key(GroupRun("weekly", "w48", ["a", "b"], finished, 2)) == run_key(
        GroupRun("weekly", "x", ["b", "a"], finished, 2)
    ), "the same scans in any order, whatever the run is called"


def test_points_kept_by_other_code_are_not_used(catalogs, monkeypatch) -> None:
    """nhiscan's version is not bumped at every change of how points are merged or scored: the
    code that makes them is part of the key."""
    import scanner.history.group_points as group_points_module

    key = catalog_key(catalogs)
    monkeypatch.setattr(group_points_module, "_code_digest", lambda: "other code")
    assert catalog_key(catalogs) != key


def test_a_history_whose_points_cannot_be_read_gives_the_merged_report(catalogs, whole, tmp_path) -> None:
    """A role without rights on the table, or the table gone: nothing is read or kept."""
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    _four_runs(store, catalogs, whole)
    expected = _fresh(store, catalogs)
    with store.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE group_points")
    assert merge_group(store, catalogs, "weekly").trend == expected.trend


SHAPED_AS_A_POINT = {"scan_id": "group-weekly-1", "finished": "2026-11-30T06:00:00+00:00", "failing": 3}


@pytest.mark.parametrize(
    "stored",
    [
        {"score": "high"},
        [],
        "a point",
        {"scan_id": None, "finished": "yesterday"},
        {**SHAPED_AS_A_POINT, "score": "high"},
        {**SHAPED_AS_A_POINT, "score": 60.0, "failing_by_severity": {"high": "many"}},
        {**SHAPED_AS_A_POINT, "score": 60.0, "new": True},
        {**SHAPED_AS_A_POINT, "score": 60.0, "failing": -3},
        "not JSON",
    ],
)
def test_a_kept_point_of_another_shape_is_merged_again(catalogs, whole, tmp_path, stored) -> None:
    """A row that does not hold a point as this nhiscan keeps it (edited by hand, damaged) is
    passed over: that run is merged again, and the report is the same."""
    store = HistoryStore(f"sqlite:///{tmp_path / 'history.db'}")
    _four_runs(store, catalogs, whole)
    expected = _fresh(store, catalogs)
    with store.engine.begin() as connection:
        if stored == "not JSON":
            connection.exec_driver_sql("UPDATE group_points SET point = '{not json'")
        else:
            connection.execute(group_points.update().values(point=stored))
    assert merge_group(store, catalogs, "weekly").trend == expected.trend
    assert len(kept_points(store, "weekly", catalog_key(catalogs))) == 4, "kept again in their place"
