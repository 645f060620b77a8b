"""A chart is the same bytes for the same data on any day: reports of one scan rendered again
(nhiscan report, a history reload, a pinned digest) do not change with the date or the run."""

from __future__ import annotations

import base64
from datetime import date

import pygal.svg
import pytest

from scanner.reports import charts


class _Tomorrow(date):
    @classmethod
    def today(cls) -> _Tomorrow:
        return cls(2031, 1, 2)


def _svg(uri: str) -> str:
    return base64.b64decode(uri.removeprefix("data:image/svg+xml;base64,")).decode("utf-8")


def test_a_chart_drawn_twice_on_different_days_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    first = charts.severity_bars({"critical": 2, "high": 5})
    monkeypatch.setattr(pygal.svg, "date", _Tomorrow)
    second = charts.severity_bars({"critical": 2, "high": 5})
    assert first == second
    svg = _svg(first)
    assert "Generated with" not in svg and "2031" not in _svg(second)
    assert 'id="chart-nhiscan"' in svg
