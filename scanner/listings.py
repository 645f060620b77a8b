"""Listings for scripts: ``history``, ``controls list`` and ``frameworks list|show`` as rows, written
as a table (the terminal), JSON (one array of objects) or CSV (a header, then one line a row)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from scanner.frameworks import DECIDING, coverage_text, item_mappings
from scanner.model import SEVERITIES
from scanner.reports.csv_report import neutralise
from scanner.serialize import format_time

if TYPE_CHECKING:
    from scanner.engine.controls import Control
    from scanner.frameworks import Framework
    from scanner.model import FrameworkMapping

LISTING_FORMATS = ("table", "json", "csv")


def format_option(command: Any) -> Any:
    return click.option(
        "--format",
        "output_format",
        type=click.Choice(LISTING_FORMATS),
        default="table",
        show_default=True,
        help="table for reading; json or csv for scripts.",
    )(command)


def control_rows(controls: Sequence[Control]) -> list[dict[str, Any]]:
    from scanner.engine.conditions import substitute_params

    return [
        {
            "id": control.id,
            "severity": control.severity,
            "resource": control.resource,
            "title": substitute_params(control.title, control.params, ("title",)),
            "frameworks": {fid: list(items) for fid, items in control.frameworks.items()},
        }
        for control in controls
    ]


def _decides(found: Sequence[FrameworkMapping]) -> bool:
    return any(m.relationship in DECIDING for m in found)


def framework_rows(frameworks: Mapping[str, Framework], controls: Sequence[Control]) -> list[dict[str, Any]]:
    """Per framework: its items, how many a control assesses (direct or partial mapping), how many
    have supporting evidence only, and the providers it applies to."""
    rows = []
    for framework in frameworks.values():
        by_item = item_mappings(framework, (m for c in controls for m in c.mappings))
        assessed = sum(1 for found in by_item.values() if _decides(found))
        rows.append(
            {
                "id": framework.id,
                "version": framework.version,
                "name": framework.name,
                "items": len(framework.items),
                "assessed": assessed,
                "evidence_only": sum(1 for found in by_item.values() if found and not _decides(found)),
                "not_assessable": sum(1 for i in framework.items if not i.assessable and not _decides(by_item[i.id])),
                "applies_to": list(framework.scope.providers),
                "coverage": coverage_text(assessed, len(framework.items), framework.version),
            }
        )
    return rows


def framework_item_rows(framework: Framework, controls: Sequence[Control]) -> list[dict[str, Any]]:
    """Per item: its title, whether a control assesses it, and each mapped control with its relationship."""
    by_item = item_mappings(framework, (m for c in controls for m in c.mappings))
    rows = []
    for item in framework.items:
        found = by_item[item.id]
        if _decides(found):
            status = "assessed"
        elif found:
            status = "evidence_only"
        else:
            status = "not_assessed" if item.assessable else "not_assessable"
        rows.append(
            {
                "framework": framework.id,
                "version": framework.version,
                "item": item.id,
                "title": item.title,
                "official_title": item.official,
                "status": status,
                "controls": {m.control: m.relationship for m in found},
                "reason": item.reason if status == "not_assessable" else None,
            }
        )
    return rows


def crosswalk_rows(framework: Framework, old_version: str) -> list[dict[str, Any]]:
    """Each item id of an earlier version, the item it is in the catalog's version (None: dropped)
    and that item's title: the table ``frameworks show --from-version`` prints, as rows."""
    titles = {item.id: item.title for item in framework.items}
    return [
        {
            "framework": framework.id,
            "from_version": old_version,
            "old_item": old_id,
            "version": framework.version,
            "item": new_id or None,
            "title": titles.get(new_id) if new_id else None,
        }
        for old_id, new_id in framework.crosswalks[old_version].items()
    ]


# The columns of a stored scan that the history listing shows, in every format.
HISTORY_FIELDS = (
    "id",
    "finished",
    "scan_group",
    "score",
    "grade",
    "fail_on",
    "passed",
    "blocking",
    "failing",
    "new_failures",
    "resolved_failures",
    "shard",
    "scan_run",
    "sources",
)


def history_rows(stored: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for row in stored:
        failing = row.get("failing") or {}
        finished = row.get("finished")
        rows.append(
            {
                "id": str(row["id"]),
                "finished": format_time(finished) if isinstance(finished, datetime) else finished,
                "scan_group": row.get("scan_group"),
                "score": row.get("score"),
                "grade": row.get("grade"),
                "fail_on": row.get("fail_on"),
                "passed": bool(row.get("passed")),
                "blocking": row.get("blocking"),
                **{severity: failing.get(severity, 0) for severity in SEVERITIES},
                "new_failures": row.get("new_failures"),
                "resolved_failures": row.get("resolved_failures"),
                "shard": row.get("shard"),  # "i/n" of a sharded scan; last, so CSV columns keep their places
                "scan_run": row.get("scan_run"),
                # a gate that passed on a partial read (--allow-partial) is not a complete pass; last,
                # so CSV columns keep their places
                "incomplete_sources": incomplete_source_count(row),
            }
        )
    return rows


def incomplete_source_count(row: Mapping[str, Any]) -> int:
    """How many of a stored scan's sources were read partly or not at all."""
    sources = row.get("sources") or []
    return sum(1 for source in sources if isinstance(source, dict) and source.get("status") != "complete")


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, dict):
        return ";".join(f"{k}:{','.join(map(str, v)) if isinstance(v, list) else v}" for k, v in value.items())
    return str(value)


def emit(rows: Sequence[Mapping[str, Any]], output_format: str) -> None:
    """Write rows to stdout as JSON or CSV (cells that a spreadsheet would run as formulas are
    neutralised, as in findings.csv)."""
    if output_format == "json":
        click.echo(json.dumps(list(rows), indent=1, ensure_ascii=False))
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    if rows:
        writer.writerow(list(rows[0]))
        writer.writerows([neutralise(_cell(value)) for value in row.values()] for row in rows)
    click.echo(buffer.getvalue(), nl=False)
