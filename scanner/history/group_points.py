"""The trend points of a scan group's runs, kept once merged.

A merged report's trend has a point per run of the group (up to merge.TREND_RUNS), and a run's
point is made by merging all its shards' stored results: at 10,000 identities in two shards, twelve
runs took 35 s to merge again for every report. A point depends only on the run (its scans and the
shards it misses), the run before it on the trend (its new and resolved failures are counted
against that run), and what it was scored with (the framework catalogs, and nhiscan's own code
that merges and scores), so it is kept under those keys and read back the next time: a daily
report then merges its own run, and the run before it only when its own point is new.

The kept points are a cache. A run whose scans change (a shard run again replaces its scan, a
prune deletes one) has another key, and a report drops the points of runs its group no longer
has; other framework catalogs, another nhiscan version or other code has another catalog key.
Reading or keeping points is never worth failing a report for: a history that refuses either
(read only, locked, a role without rights on the table, another report keeping the same point
first) keeps nothing, and the report is the same.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import json
from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Executable, delete, insert, select
from sqlalchemy.exc import SQLAlchemyError

from scanner import __version__
from scanner.history.store import HistoryError
from scanner.history.tables import group_points
from scanner.loading import is_valid
from scanner.model import TrendPoint
from scanner.serialize import dumps, from_dict

if TYPE_CHECKING:
    from scanner.history.store import GroupRun, HistoryStore
    from scanner.scan import Catalogs

NO_RUN = ""  # the run before the first run on a trend
# How long a report waits for another writer (a scan being stored) to keep a point: not the minute a
# scan waits to store itself, since the point is merged again next time
KEEP_WAIT_MS = 1_000
# a kept point is read back only when it is a trend point as results.json describes one
_POINT_SCHEMA = "results#/properties/trend/items"


def run_key(run: GroupRun) -> str:
    """The key of a run: its scans, whatever their order, and the shards it misses (a run of the
    same scans may miss another shard once a sibling is stored)."""
    missing = sorted(gap.part if gap.source == "shard" else f"{gap.source}:{gap.part}" for gap in run.missing)
    text = "\n".join([*sorted(run.scan_ids), f"of {run.shards} missing {' '.join(missing)}"])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def catalog_key(catalogs: Catalogs) -> str:
    """What a merged point was scored with besides the stored scans: this nhiscan's version and
    code that merges and scores, and the framework catalogs (their items and the controls mapped
    to them)."""
    frameworks = repr([catalogs.frameworks[name] for name in sorted(catalogs.frameworks)])
    return hashlib.sha256(f"{__version__}\n{_code_digest()}\n{frameworks}".encode()).hexdigest()


# The modules whose code makes a merged point: merging, scoring, framework posture, the trend point
_POINT_MAKERS = (
    "scanner.history.merge",
    "scanner.history.store",
    "scanner.history.group_points",
    "scanner.scan",
    "scanner.frameworks",
    "scanner.framework_posture",
    "scanner.diff",
    "scanner.secrets_held",
    "scanner.fingerprints",
    "scanner.model",
)


@cache
def _code_digest() -> str:
    """A digest of the point makers' source: a point kept by other code (a version not bumped
    yet) is not used. Empty when a module's source cannot be read (the version alone then)."""
    digest = hashlib.sha256()
    for name in _POINT_MAKERS:
        source = getattr(importlib.import_module(name), "__file__", None)
        try:
            digest.update(Path(source).read_bytes() if source else b"")
        except OSError:
            return ""
    return digest.hexdigest()


def kept_points(store: HistoryStore, group: str, catalog: str) -> dict[tuple[str, str], TrendPoint]:
    """The points kept for ``group`` with ``catalog``, by (run key, key of the run before it);
    none when the history will not say."""
    query = select(group_points.c.run_scans, group_points.c.before_scans, group_points.c.point).where(
        group_points.c.scan_group == group, group_points.c.catalog == catalog
    )
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(query).all()
    except (SQLAlchemyError, ValueError):  # ValueError: a row that is not JSON (SQLite does not check)
        return {}
    points = {}
    for run, before, stored in rows:
        if not is_valid(stored, _POINT_SCHEMA):
            continue  # not a point as results.json holds one (edited by hand, damaged): merged again
        try:
            points[run, before] = from_dict(TrendPoint, stored)
        except (TypeError, ValueError, KeyError, AttributeError):  # a time the pattern admits but no calendar has
            continue
    return points


def kept_as_first(kept: Mapping[tuple[str, str], TrendPoint], run: str) -> TrendPoint | None:
    """The point of ``run`` first on its trend, from one kept after another run: only its new and
    resolved failures, counted against that run, differ (a first point has none)."""
    point = next((point for (key, _), point in kept.items() if key == run), None)
    return None if point is None else dataclasses.replace(point, new=None, resolved=None)


def keep_point(store: HistoryStore, group: str, run: str, before: str, catalog: str, point: TrendPoint) -> None:
    """Keep ``point``, unless the history refuses the write (see the module's docstring)."""
    row = {"scan_group": group, "run_scans": run, "before_scans": before, "catalog": catalog}
    kept = delete(group_points).where(*(group_points.c[name] == value for name, value in row.items()))
    # in its place: a row of that key holds no point this nhiscan reads, or it would not be merged
    _refused_or_done(store, kept, insert(group_points).values(**row, point=json.loads(dumps(point))))


def forget_other_points(store: HistoryStore, group: str, runs: Collection[str]) -> None:
    """Drop the group's points of runs it no longer has (``runs``: the keys of those it has)."""
    _refused_or_done(
        store, delete(group_points).where(group_points.c.scan_group == group, group_points.c.run_scans.not_in(runs))
    )


def _refused_or_done(store: HistoryStore, *statements: Executable) -> None:
    try:
        with store.writing(KEEP_WAIT_MS) as connection:
            for statement in statements:
                connection.execute(statement)
    except (SQLAlchemyError, HistoryError):
        pass  # nothing changed: the next report merges these runs again
