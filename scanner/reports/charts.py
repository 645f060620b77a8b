"""Charts for the HTML and PDF reports: pygal SVG, embedded as ``data:`` images.

pygal's SVG renders the same in WeasyPrint and Chromium (matplotlib's renders blank in WeasyPrint
and adds about 120 MB). As an ``<img>`` the chart's own stylesheet stays inside the image, so the
report's Content-Security-Policy needs no exception for it, and no script is linked (``js=[]``).
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping, Sequence

import pygal
from pygal.style import Style

from scanner.model import FrameworkPosture, TrendPoint

FONT = "Inter, 'DejaVu Sans', sans-serif"
SEVERITY_COLOURS = {"critical": "#9f1239", "high": "#dc2626", "medium": "#d97706", "low": "#2563eb"}
AGE_COLOURS = ("#15803d", "#65a30d", "#ca8a04", "#ea580c", "#b91c1c", "#94a3b8")
PROVIDER_COLOURS = ("#1e3a8a", "#0891b2", "#7c3aed", "#be185d", "#475569")


def _style(colours: Sequence[str]) -> Style:
    return Style(
        font_family=FONT,
        background="white",
        plot_background="white",
        foreground="#1f2937",
        foreground_strong="#111827",
        foreground_subtle="#9ca3af",
        colors=tuple(colours),
        label_font_size=11,
        major_label_font_size=11,
        value_font_size=11,
        legend_font_size=11,
        title_font_size=13,
    )


def _common(colours: Sequence[str], width: int, height: int) -> dict[str, object]:
    return {
        "style": _style(colours),
        "width": width,
        "height": height,
        "js": [],
        "disable_xml_declaration": True,
        "show_y_guides": True,
        "margin": 8,
        "print_values": False,
        "truncate_label": -1,
    }


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


# pygal writes the day it drew a chart into a comment, and names each chart by a random uuid
_GENERATED_ON = re.compile(r"<!--Generated with pygal [^<>]*?-->")


def _svg(chart: pygal.graph.graph.Graph) -> str:
    """The chart's SVG, the same for the same data on any day: without pygal's dated comment, and
    with a fixed id in place of its random one (each chart is an image of its own, so one id
    clashes with nothing)."""
    svg = _GENERATED_ON.sub("", chart.render(is_unicode=True), count=1)
    return svg.replace(chart.uuid, "nhiscan")


# Values are part of the bar labels ("High (124)"), never printed over bars or grid lines.


def severity_bars(failing: Mapping[str, int], width: int = 520, height: int = 240) -> str:
    chart = pygal.HorizontalBar(**_common(list(SEVERITY_COLOURS.values()), width, height), show_legend=False)
    chart.title = "Failing findings by severity"
    chart.x_labels = [f"{s.title()} ({failing.get(s, 0):,})" for s in reversed(SEVERITY_COLOURS)]
    chart.add(
        "failing",
        [{"value": failing.get(s, 0), "color": SEVERITY_COLOURS[s]} for s in reversed(SEVERITY_COLOURS)],
    )
    return data_uri(_svg(chart))


def framework_scores(frameworks: Sequence[FrameworkPosture], width: int = 640, height: int | None = None) -> str:
    scored = [f for f in frameworks if f.score is not None]
    chart = pygal.HorizontalBar(
        **_common(["#1e3a8a"], width, height or 70 + 26 * max(1, len(scored))), show_legend=False, range=(0, 100)
    )
    chart.title = "Score per framework (0-100)"
    chart.x_labels = [f"{f.id} ({f.score:.1f})" for f in reversed(scored)]
    chart.add("score", [round(f.score or 0, 1) for f in reversed(scored)])
    return data_uri(_svg(chart))


def credential_ages(distribution: Mapping[str, Mapping[str, int]], width: int = 640, height: int = 280) -> str:
    labels = list(next(iter(distribution.values())).keys()) if distribution else []
    chart = pygal.StackedBar(**_common(PROVIDER_COLOURS, width, height), legend_at_bottom=True)
    chart.title = "Active credentials by age and provider"
    chart.x_labels = labels
    for provider, row in distribution.items():
        chart.add(provider, [row[label] for label in labels])
    return data_uri(_svg(chart))


def _trend_options() -> dict[str, object]:
    """Scan times as x labels, slanted, with room on the right so the last one is never clipped."""
    return {"x_label_rotation": 25, "margin_right": 48, "margin_bottom": 12}


def score_trend(points: Sequence[TrendPoint], width: int = 640, height: int = 260) -> str:
    chart = pygal.Line(
        **{**_common(["#1e3a8a"], width, height), **_trend_options()}, show_legend=False, range=(0, 100), dots_size=3
    )
    chart.title = "Posture score per scan"
    chart.x_labels = _scan_labels(points)
    chart.add("score", [p.score for p in points])
    return data_uri(_svg(chart))


def framework_trend(points: Sequence[TrendPoint], width: int = 640, height: int = 260) -> str:
    chart = pygal.Line(
        **{**_common(PROVIDER_COLOURS + AGE_COLOURS, width, height), **_trend_options()},
        range=(0, 100),
        legend_at_bottom=True,
    )
    chart.title = "Score per framework per scan"
    chart.x_labels = _scan_labels(points)
    for framework in sorted({f for p in points for f in p.frameworks}):
        chart.add(framework, [p.frameworks.get(framework) for p in points])
    return data_uri(_svg(chart))


def severity_trend(points: Sequence[TrendPoint], width: int = 640, height: int = 240) -> str:
    chart = pygal.StackedBar(
        **{**_common(list(SEVERITY_COLOURS.values()), width, height), **_trend_options()}, legend_at_bottom=True
    )
    chart.title = "Failing findings by severity per scan"
    chart.x_labels = _scan_labels(points)
    for severity in SEVERITY_COLOURS:
        chart.add(severity, [p.failing_by_severity.get(severity, 0) for p in points])
    return data_uri(_svg(chart))


def _scan_labels(points: Sequence[TrendPoint]) -> list[str]:
    """Each scan's date and time (UTC): scheduled scans often share a day. A scan that read a
    source partly or not at all is marked: its drop in failures is less seen, not fewer risks."""
    return [p.finished.strftime("%Y-%m-%d %H:%M") + (" (partial)" if p.incomplete_sources else "") for p in points]
