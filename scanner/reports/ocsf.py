"""findings.ocsf.jsonl: OCSF 1.1 finding events, one JSON object per line, for SIEMs and data lakes.
Failing and waived findings are Detection Findings (class 2004; waived ones Suppressed). An unknown
result detected nothing: it is a Compliance Finding (class 2003) whose compliance status is Warning,
OCSF's "the compliance check did not yield a result due to missing information"."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from scanner.model import ControlSummary, Finding, ScanResult
from scanner.reports import Reporter, ReportSettings
from scanner.serialize import dumps

OCSF_VERSION = "1.1.0"
SEVERITY_IDS = {"low": 2, "medium": 3, "high": 4, "critical": 5}
STATUS_IDS = {"fail": (1, "New"), "unknown": (1, "New"), "waived": (3, "Suppressed")}
DETECTION = {
    "class_uid": 2004,
    "class_name": "Detection Finding",
    "type_uid": 200401,
    "type_name": "Detection Finding: Create",
}
COMPLIANCE = {
    "class_uid": 2003,
    "class_name": "Compliance Finding",
    "type_uid": 200301,
    "type_name": "Compliance Finding: Create",
}
NO_RESULT = (2, "Warning")  # OCSF compliance status: no result for missing information
CLOUD_PROVIDERS = {"aws": "AWS", "azure": "Azure", "gcp": "GCP"}
# OCSF 1.1 account type ids (an Azure subscription has none of its own: Other)
ACCOUNT_TYPES = {"aws": (10, "AWS Account"), "azure": (99, "Azure Subscription"), "gcp": (5, "GCP Account")}


def _event(finding: Finding, control: ControlSummary, result: ScanResult, time_ms: int) -> dict[str, Any]:
    ref = finding.resource
    status_id, status = STATUS_IDS[finding.status]
    event: dict[str, Any] = {
        "activity_id": 1,
        "activity_name": "Create",
        "category_uid": 2,
        "category_name": "Findings",
        **(COMPLIANCE if finding.status == "unknown" else DETECTION),
        "severity_id": SEVERITY_IDS[finding.severity],
        "severity": finding.severity.title(),
        "status_id": status_id,
        "status": status,
        "status_code": finding.status,
        "time": time_ms,
        "message": finding.message,
        "metadata": {
            "version": OCSF_VERSION,
            "product": {"name": "nhiscan", "vendor_name": "nhiscan", "version": result.tool.get("version", "")},
            "event_code": finding.control_id,
            "uid": f"{result.scan.id}/{finding.fingerprint}",
        },
        "finding_info": {
            "uid": finding.fingerprint,
            "title": control.title,
            "desc": control.rationale,
            "types": [finding.control_id],
            "created_time": time_ms,
        },
        "resources": [
            {
                "uid": ref.uid,
                "name": ref.name,
                "type": f"{ref.type}/{ref.kind}",
                "data": {"location": ref.location} if ref.location else None,
            }
        ],
        "remediation": {"desc": control.remediation},
        "unmapped": {"frameworks": control.frameworks, "evidence": finding.evidence},
    }
    if ref.provider in CLOUD_PROVIDERS:
        type_id, type_name = ACCOUNT_TYPES[ref.provider]
        account = {"uid": ref.account, "name": ref.account, "type_id": type_id, "type": type_name}
        event["cloud"] = {"provider": CLOUD_PROVIDERS[ref.provider], "account": account}
    if finding.status == "unknown":
        event["compliance"] = {
            "control": finding.control_id,
            "standards": sorted(control.frameworks) or ["nhiscan"],
            "requirements": [f"{fid} {item}" for fid, items in sorted(control.frameworks.items()) for item in items],
            "status_id": NO_RESULT[0],
            "status": NO_RESULT[1],
            "status_code": "unknown",
            "status_detail": finding.message,
        }
    if finding.waiver is not None:
        event["comment"] = f"waived by {finding.waiver.owner} until {finding.waiver.expires}: {finding.waiver.reason}"
    return event


EVENTS_PER_PIECE = 2000  # written as they are made: a large estate's file is never whole in memory


def pieces(result: ScanResult, settings: ReportSettings) -> Iterator[str]:
    """The file's lines, a few thousand at a time; each event compact JSON (the C encoder, the
    scan's datetimes in UTC with a Z, as in results.json)."""
    controls = {c.id: c for c in result.controls}
    time_ms = int(result.scan.finished.timestamp() * 1000)
    reported = [f for f in result.findings if f.status in STATUS_IDS]
    for start in range(0, len(reported), EVENTS_PER_PIECE):
        yield "".join(
            dumps(_event(f, controls[f.control_id], result, time_ms)) + "\n"
            for f in reported[start : start + EVENTS_PER_PIECE]
        )


def render(result: ScanResult, settings: ReportSettings) -> str:
    return "".join(pieces(result, settings))


REPORTER = Reporter(format="ocsf", filename="findings.ocsf.jsonl", render=render, pieces=pieces)
