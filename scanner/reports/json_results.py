"""results.json: the public, versioned, schema-described result of a scan."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from scanner.frameworks import grade
from scanner.inventory_io import inventory_document
from scanner.model import Finding, ScanResult
from scanner.reports import Reporter, ReportSettings
from scanner.serialize import Converted, document_pieces


def _finding(finding: Finding) -> dict[str, Any]:
    # written out rather than looped over the field names: this runs once per finding
    data = {
        "fingerprint": finding.fingerprint,
        "control_id": finding.control_id,
        "status": finding.status,
        "severity": finding.severity,
        "resource": finding.resource,
        "message": finding.message,
        "evidence": finding.evidence,
    }
    if finding.waiver is not None:
        data["waiver"] = finding.waiver
    if finding.new is not None:
        data["new"] = finding.new
    return data


def render(result: ScanResult, settings: ReportSettings | None = None) -> str:
    return "".join(pieces(result, settings))


def pieces(result: ScanResult, settings: ReportSettings | None = None) -> Iterator[str]:
    """results.json's text in pieces (see serialize.document_pieces), for writing it as it is made."""
    return document_pieces(
        {
            "schema_version": result.schema_version,
            "tool": result.tool,
            "scan": result.scan,
            "score": result.score,
            "grade": grade(result.score),
            "gate": result.gate,
            "controls": result.controls,
            "findings": Converted(result.findings, _finding),
            "frameworks": result.frameworks,
            "waivers": result.waivers,
            "inventory_summary": result.inventory_summary,
            "capabilities": result.capabilities,
            "trend": result.trend,
            **({"inventory": inventory_document(result.inventory)} if result.inventory is not None else {}),
        },
        expand=("inventory",),
    )


def results_dict(result: ScanResult) -> dict[str, Any]:
    """results.json as a Python structure, exactly as written."""
    return json.loads(render(result))


REPORTER = Reporter(format="json", filename="results.json", render=render, pieces=pieces)
