"""results.json: the public, versioned, schema-described result of a scan."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from typing import Any

from scanner.frameworks import grade
from scanner.inventory_io import inventory_document
from scanner.model import Finding, ResourceRef, ScanResult
from scanner.reports import Reporter, ReportSettings
from scanner.serialize import Converted, document_pieces


def _finding(finding: Finding) -> dict[str, Any]:
    # written out rather than looped over the field names: this runs once per finding. The
    # resource is a dict of its fields in order, as the encoder writes the dataclass, only faster.
    resource = finding.resource
    data: dict[str, Any] = {
        "fingerprint": finding.fingerprint,
        "control_id": finding.control_id,
        "status": finding.status,
        "severity": finding.severity,
        "resource": {
            "uid": resource.uid,
            "type": resource.type,
            "kind": resource.kind,
            "name": resource.name,
            "provider": resource.provider,
            "account": resource.account,
            "location": resource.location,
        }
        if _RESOURCE_AS_DICT
        else resource,
        "message": finding.message,
        "evidence": finding.evidence,
    }
    if finding.waiver is not None:
        data["waiver"] = finding.waiver
    if finding.new is not None:
        data["new"] = finding.new
    return data


# the fields _finding writes for a resource, as the encoder would write the dataclass
_RESOURCE_FIELDS = ("uid", "type", "kind", "name", "provider", "account", "location")
_RESOURCE_AS_DICT = tuple(field.name for field in dataclasses.fields(ResourceRef)) == _RESOURCE_FIELDS


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
        members_per_line=("capabilities",),
    )


def results_dict(result: ScanResult) -> dict[str, Any]:
    """results.json as a Python structure, exactly as written."""
    return json.loads(render(result))


REPORTER = Reporter(format="json", filename="results.json", render=render, pieces=pieces)
