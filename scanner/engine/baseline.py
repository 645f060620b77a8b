"""Baselines: gate only on failures that an earlier scan did not already have."""

from __future__ import annotations

from pathlib import Path

from scanner.errors import InputError
from scanner.loading import read_json
from scanner.model import Finding


def load_baseline(path: Path) -> set[str]:
    """Fingerprints of the findings that failed (or were waived) in an earlier results.json."""
    data = read_json(path)
    findings = data.get("findings") if isinstance(data, dict) else None
    if not isinstance(findings, list) or "scan" not in data:
        raise InputError("not an nhiscan results file (no 'scan' and 'findings')", str(path), "$")
    known = set()
    for index, finding in enumerate(findings):
        if not isinstance(finding, dict) or not isinstance(finding.get("fingerprint"), str):
            raise InputError("finding without a fingerprint", str(path), f"$.findings[{index}]")
        if finding.get("status") in ("fail", "waived"):
            known.add(finding["fingerprint"])
    return known


def mark_new(findings: list[Finding], baseline: set[str]) -> None:
    for finding in findings:
        if finding.status in ("fail", "waived", "unknown"):
            finding.new = finding.fingerprint not in baseline
