"""The history's tables, as the latest migration leaves them (migrations/ creates and changes them)."""

from __future__ import annotations

from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, LargeBinary, MetaData, String, Table

# The newest migration's revision: a database at it opens without loading alembic (a test keeps
# this equal to the migrations' head).
SCHEMA_REVISION = "0007"

metadata = MetaData()

scans = Table(
    "scans",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("scan_group", String(200), index=True),
    Column("started", DateTime(timezone=True), nullable=False),
    Column("finished", DateTime(timezone=True), nullable=False, index=True),
    Column("as_of", DateTime(timezone=True), nullable=False),
    Column("score", Float),
    Column("grade", String(8), nullable=False),
    Column("fail_on", String(16), nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("blocking", Integer, nullable=False),
    Column("failing", JSON, nullable=False),  # severity -> unwaived failures
    Column("frameworks", JSON, nullable=False),  # framework id -> score
    Column("sources", JSON, nullable=False),  # [{name, account, status, errors}]
    Column("new_failures", Integer),
    Column("resolved_failures", Integer),
    Column("median_credential_age", Float),
    Column("tool_version", String(32), nullable=False),
    Column("failing_fingerprints", LargeBinary, nullable=False),  # zlib of newline-separated fingerprints;
    # empty (from 0004) when the drift index holds them
    Column("results", LargeBinary, nullable=False),  # zlib of results.json, fully flushed at each piece
    Column("executive", LargeBinary),  # zlib of the executive report's summary (reports/executive.py)
    Column("drift_index", LargeBinary),  # what a diff reads (history/drift_index.py)
    Column("control_set", String(64)),  # store.control_set: scans of the same one are comparable
    Column("shard", String(16)),  # "i/n" of a sharded scan (--shard); none: unsharded
    Column("scan_run", String(200)),  # the run of its group it belongs to (--scan-run); none: not named
)

# The trend points of a scan group's runs, once merged (history/group_points.py): a cache that a
# merged report fills, reads and drops the stale rows of. Nothing else depends on it.
group_points = Table(
    "group_points",
    metadata,
    Column("scan_group", String(200), primary_key=True),
    Column("run_scans", String(64), primary_key=True),  # group_points.run_key of the run's scans
    Column("before_scans", String(64), primary_key=True),  # the same of the run before it on the trend; "" none
    Column("catalog", String(64), primary_key=True),  # group_points.catalog_key it was merged with
    Column("point", JSON, nullable=False),  # the TrendPoint
)
