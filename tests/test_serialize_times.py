"""Times are written in UTC with a Z, whatever zone they were read in: the encoder writes a time at
offset zero itself, and it must write exactly what format_time writes, in every zone, with or
without microseconds, on either side of a change of clocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from dateutil.tz import gettz, tzlocal, tzoffset, tzutc
from hypothesis import given
from hypothesis import strategies as st

from scanner.serialize import dumps, dumps_document, format_time

ZONES = st.one_of(
    st.timezones(),
    st.sampled_from([UTC, tzutc(), tzlocal(), tzoffset(None, 0), gettz("Europe/London"), ZoneInfo("UTC")]),
    st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23, minutes=59)).map(timezone),
)
AWARE = st.datetimes(
    min_value=datetime(2, 1, 2), max_value=datetime(9998, 12, 30), timezones=ZONES, allow_imaginary=False
)


@given(AWARE)
def test_every_time_is_written_as_format_time_writes_it(moment: datetime) -> None:
    assert dumps(moment) == json.dumps(format_time(moment))
    assert dumps({"at": [moment]}) == f'{{"at":[{json.dumps(format_time(moment))}]}}'


@given(st.lists(AWARE, min_size=1, max_size=5))
def test_times_in_a_document_are_written_as_format_time_writes_them(moments: list[datetime]) -> None:
    document = json.loads(dumps_document({"times": moments, "first": moments[0]}))
    assert document == {"times": [format_time(m) for m in moments], "first": format_time(moments[0])}


def test_a_time_at_offset_zero_in_a_zone_that_is_not_utc_is_written_with_a_z() -> None:
    london = ZoneInfo("Europe/London")
    winter, summer = datetime(2026, 1, 15, 9, 0, 0, 5, tzinfo=london), datetime(2026, 7, 15, 9, 0, tzinfo=london)
    assert dumps([winter, summer]) == '["2026-01-15T09:00:00.000005Z","2026-07-15T08:00:00Z"]'


def test_a_time_offset_by_less_than_a_second_is_moved_to_utc() -> None:
    moment = datetime(2026, 1, 1, tzinfo=timezone(timedelta(microseconds=5)))
    assert dumps(moment) == '"2025-12-31T23:59:59.999995Z"'
