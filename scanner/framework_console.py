"""Terminal views of frameworks: the scan summary's framework table, ``frameworks list|show``,
and a control's mappings in ``controls show``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

from rich import box
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from scanner.engine.controls import Control
from scanner.framework_posture import SCORE_DEFINITION, coverage_said, passing_text
from scanner.frameworks import DECIDING, Framework, coverage_text, item_mappings
from scanner.model import FrameworkPosture

RELATIONSHIP_STYLES = {"direct": "green", "partial": "yellow", "supporting": "dim"}


def score_text(posture: FrameworkPosture) -> str:
    if not posture.in_scope:
        return "not in scope"
    return "n/a" if posture.score is None else f"{posture.score:.1f}"


def posture_table(frameworks: Sequence[FrameworkPosture]) -> Table:
    caption = f"score: {SCORE_DEFINITION}; unknown counts incomplete items too"
    table = Table(title="Frameworks", caption=caption, box=box.SIMPLE_HEAD, padding=(0, 1))
    table.add_column("framework", no_wrap=True)
    table.add_column("assessed", overflow="fold", min_width=14)
    table.add_column("score", justify="right", overflow="fold")
    for column in ("fail", "pass", "unknown"):
        table.add_column(column, justify="right")
    for posture in frameworks:
        items = Counter(item.status for item in posture.items)
        coverage = coverage_said(posture)
        table.add_row(
            posture.id,
            escape(coverage),
            score_text(posture),
            str(items.get("fail", 0)),
            passing_text(posture.items),
            str(items.get("unknown", 0) + items.get("incomplete", 0)),
        )
    return table


def print_frameworks(out: Console, frameworks: Mapping[str, Framework], controls: Sequence[Control]) -> None:
    table = Table(title="Frameworks: items a control assesses (direct or partial mapping) of all items")
    table.add_column("framework", no_wrap=True)
    table.add_column("assessed", no_wrap=True)
    table.add_column("evidence only", justify="right")
    table.add_column("applies to")
    for framework in frameworks.values():
        by_item = item_mappings(framework, (m for c in controls for m in c.mappings))
        assessed = sum(1 for found in by_item.values() if any(m.relationship in DECIDING for m in found))
        supporting = sum(
            1 for found in by_item.values() if found and all(m.relationship not in DECIDING for m in found)
        )
        table.add_row(
            framework.id + ("" if framework.verified else " [yellow](verified by sample)[/]"),
            escape(coverage_text(assessed, len(framework.items), framework.version)),
            str(supporting),
            ", ".join(framework.scope.providers) or "any",
        )
    out.print(table)


def print_framework(out: Console, framework: Framework, controls: Sequence[Control]) -> None:
    by_item = item_mappings(framework, (m for c in controls for m in c.mappings))
    assessed = sum(1 for found in by_item.values() if any(m.relationship in DECIDING for m in found))
    out.print(f"[bold]{escape(framework.name)}[/] {escape(framework.id)}")
    out.print(f"assessed: {escape(coverage_text(assessed, len(framework.items), framework.version))}")
    if framework.scope.providers:
        out.print(f"applies to: {', '.join(framework.scope.providers)} resources only")
    if framework.url:
        out.print(f"source: {escape(framework.url)}")
    if framework.licence:
        out.print(f"licence: {escape(framework.licence)}")
    if any(not item.official for item in framework.items):
        out.print("titles marked (paraphrase) are labels written for this catalog, not the publisher's text")
    table = Table()
    for column in ("item", "title", "controls (relationship)"):
        table.add_column(column, overflow="fold")
    for item in framework.items:
        found = by_item[item.id]
        if found:
            coverage = ", ".join(
                f"[{RELATIONSHIP_STYLES[m.relationship]}]{escape(m.control)} ({m.relationship})[/]" for m in found
            )
        elif not item.assessable:
            coverage = f"[dim]not assessable from configuration: {escape(item.reason or '')}[/]"
        else:
            coverage = "[dim]not assessed[/]"
        title = escape(item.title) + ("" if item.official else " [dim](paraphrase)[/]")
        if not item.verified:
            title += " [yellow](unverified)[/]"
        table.add_row(escape(item.id), title, coverage)
    out.print(table)


def print_crosswalk(out: Console, framework: Framework, old_version: str) -> None:
    table = Table(title=escape(f"{framework.name}: version {old_version} ids in version {framework.version}"))
    for column in (f"v{old_version}", f"v{framework.version}", "title"):
        table.add_column(escape(column), overflow="fold")
    titles = {item.id: item.title for item in framework.items}
    for old_id, new_id in framework.crosswalks[old_version].items():
        title = escape(titles.get(new_id, "")) if new_id else "[yellow]dropped in this version[/]"
        table.add_row(escape(old_id), escape(new_id or "-"), title)
    out.print(table)


def print_control_mappings(out: Console, control: Control, frameworks: Mapping[str, Framework]) -> None:
    out.print("frameworks (only direct and partial mappings decide an item):")
    for mapping in control.mappings:
        framework = frameworks[mapping.framework]
        item = next(i for i in framework.items if i.id == mapping.item)
        style = RELATIONSHIP_STYLES[mapping.relationship]
        paraphrase = "" if item.official else " (paraphrase)"
        out.print(
            f"  {mapping.framework} {mapping.version} {escape(mapping.item)}: {escape(item.title)}{paraphrase}\n"
            f"    [{style}]{mapping.relationship}[/]: {escape(mapping.rationale)}"
        )
