"""What each column of a stored scan's row holds, as nhiscan writes it (``HistoryStore.save``).

The listing, the history command and every trend read these columns, and no checksum covers them:
a row written otherwise (by hand, by another tool, or forged by whoever can write the database)
is one error naming the scan and the column, not a listing that stops midway with an internal
error or prints text where a score or a count should be.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _or_none(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _counts_by_name(value: Any) -> bool:  # failing: severity -> unwaived failures
    return isinstance(value, dict) and all(_text(k) and _count(v) for k, v in value.items())


def _scores_by_name(value: Any) -> bool:  # frameworks: framework id -> score, None when none assessed
    return isinstance(value, dict) and all(_text(k) and _or_none(_number)(v) for k, v in value.items())


def _sources(value: Any) -> bool:  # [{name, account, status, errors}]
    return isinstance(value, list) and all(
        isinstance(source, dict) and all(_text(source.get(key, "")) for key in ("name", "account", "status"))
        for source in value
    )


COLUMN_TYPES: dict[str, Callable[[Any], bool]] = {
    "id": _text,
    "scan_group": _or_none(_text),
    "started": lambda value: isinstance(value, datetime),
    "finished": lambda value: isinstance(value, datetime),
    "as_of": lambda value: isinstance(value, datetime),
    "score": _or_none(_number),
    "grade": _text,
    "fail_on": _text,
    "passed": lambda value: isinstance(value, bool),
    "blocking": _count,
    "failing": _counts_by_name,
    "frameworks": _scores_by_name,
    "sources": _sources,
    "new_failures": _or_none(_count),
    "resolved_failures": _or_none(_count),
    "median_credential_age": _or_none(_number),
    "tool_version": _text,
    "control_set": _or_none(_text),
    "shard": _or_none(_text),
    "scan_run": _or_none(_text),
}


def wrong_column(row: Mapping[str, Any]) -> str | None:
    """The first of ``row``'s columns whose value is not of the kind nhiscan writes there; None
    when each is."""
    return next((name for name, value in row.items() if name in COLUMN_TYPES and not COLUMN_TYPES[name](value)), None)
