"""The trend points of a scan group's runs, kept once merged.

A merged report's trend has a point per run of the group (up to merge.TREND_RUNS), and a run's
point is made by merging all its shards' stored results: at 10,000 identities in two shards, twelve
runs took 35 s to merge again for every report. A point depends only on the run's scans, the run
before it on the trend (its new and resolved failures are counted against that run) and the
framework catalogs it was scored with, so it is kept under those three keys and read back the next
time: a daily report then merges its own run, and the run before it only when its own point is
new (its new and resolved failures are counted against that run).

The kept points are a cache. A run whose scans change (a shard run again replaces its scan, a
prune deletes one) has another key; nhiscan of another version, or other framework catalogs, has
another catalog key; a prune empties the table. Keeping a point is never worth failing a report
for: a history that refuses the write (read-only, locked, or another report keeping the same point
first) keeps nothing, and the report is the same.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy import insert, select
from sqlalchemy.exc import SQLAlchemyError

from scanner import __version__
from scanner.history.store import HistoryError
from scanner.history.tables import group_points
from scanner.model import TrendPoint
from scanner.serialize import dumps, from_dict

if TYPE_CHECKING:
    from scanner.history.store import HistoryStore
    from scanner.scan import Catalogs

NO_RUN = ""  # the run before the first run on a trend
# How long a report waits for another writer (a scan being stored) to keep a point: not the minute a
# scan waits to store itself, since the point is merged again next time
KEEP_WAIT_MS = 1_000


def run_key(scan_ids: Sequence[str]) -> str:
    """The key of a run's scans, whatever their order."""
    return hashlib.sha256("\n".join(sorted(scan_ids)).encode("utf-8")).hexdigest()


def catalog_key(catalogs: Catalogs) -> str:
    """What a merged point was scored with besides the stored scans: this nhiscan's version and
    the framework catalogs (their items and the controls mapped to them)."""
    frameworks = repr([catalogs.frameworks[name] for name in sorted(catalogs.frameworks)])
    return hashlib.sha256(f"{__version__}\n{frameworks}".encode()).hexdigest()


def kept_points(store: HistoryStore, group: str, catalog: str) -> dict[tuple[str, str], TrendPoint]:
    """The points kept for ``group`` with ``catalog``, by (run key, key of the run before it)."""
    query = select(group_points.c.run_scans, group_points.c.before_scans, group_points.c.point).where(
        group_points.c.scan_group == group, group_points.c.catalog == catalog
    )
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return {(run, before): from_dict(TrendPoint, point) for run, before, point in rows}


def keep_point(store: HistoryStore, group: str, run: str, before: str, catalog: str, point: TrendPoint) -> None:
    """Keep ``point``, unless the history refuses the write (see the module's docstring)."""
    row = {"scan_group": group, "run_scans": run, "before_scans": before, "catalog": catalog}
    try:
        with store.writing(KEEP_WAIT_MS) as connection:
            connection.execute(insert(group_points).values(**row, point=json.loads(dumps(point))))
    except (SQLAlchemyError, HistoryError):
        pass  # nothing kept: the next report merges this run again
