"""results.sarif: SARIF 2.1.0 for code-scanning tools (GitHub code scanning and others).

One rule per control, with its rationale, remediation, severity (level and security-severity)
and framework ids as tags. A result per failing or waived finding (waived ones carry a suppression
with the waiver's owner and reason); unknown results are left to the other formats. Findings read
from files (manifests) point at file and line; cloud findings point at a stable pseudo-path
``cloud/PROVIDER/ACCOUNT`` and carry logical locations (account, resource), since code scanning
needs a physical location to show a result. ``partialFingerprints`` keep alerts stable across
scans.

Past 5,000 findings (what code scanning shows of a run; it accepts 25,000 results and 10 MB
compressed), cloud findings are grouped: one result per control, status, account and waiver,
naming the number of resources and up to 99 of them, with a fingerprint of its own
(``nhiscan/group/v1``) that stays the same while the group exists. Findings in files keep a
result each. Every finding, with its own fingerprint, stays in results.json.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from scanner.model import ControlSummary, Finding, ScanResult
from scanner.reports import Reporter, ReportSettings
from scanner.reports.aggregate import FindingGroup, group_findings
from scanner.reports.reveal import INVISIBLE, reveal
from scanner.reports.tally import groups
from scanner.reports.view import disabled_controls, gate_verdict
from scanner.serialize import dumps, dumps_document

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVELS = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}
FINGERPRINT_KEY = "nhiscan/v1"
GROUP_FINGERPRINT_KEY = "nhiscan/group/v1"  # a group's: control, status, provider, account, waiver
# GitHub code scanning shows the first 5,000 results of a run and rejects more than 25,000 or a
# file over 10 MB compressed; past 5,000 findings cloud findings are grouped per control and account
RESULTS_PER_RUN = 5_000
SHOWN = ("fail", "waived")  # the statuses that have results
GROUP_LOCATIONS = 99  # resources named in a group's logical locations (100 shown, 1,000 accepted)


def _rule(control: ControlSummary) -> dict[str, Any]:
    tags = ["security", f"nhiscan/{control.resource}"]
    tags += [f"{framework}/{item}" for framework, items in sorted(control.frameworks.items()) for item in items]
    return {
        "id": control.id,
        "name": re.sub(r"[^A-Za-z0-9]+", "", control.title.title())[:100] or control.id,
        "shortDescription": {"text": control.title},
        "fullDescription": {"text": control.rationale or control.title},
        "help": {
            "text": control.remediation or control.title,
            "markdown": f"**{control.title}**\n\n{control.rationale}\n\n**Remediation:** {control.remediation}",
        },
        "defaultConfiguration": {"level": LEVELS[control.severity]},
        "properties": {
            "tags": tags,
            "security-severity": SECURITY_SEVERITY[control.severity],
            "precision": "high",
            "problem.severity": "error" if LEVELS[control.severity] == "error" else LEVELS[control.severity],
        },
    }


def _location(finding: Finding) -> dict[str, Any]:
    ref = finding.resource
    if ref.location and ref.location.get("file"):
        physical: dict[str, Any] = {
            "artifactLocation": {"uri": quote(str(ref.location["file"]), safe="/"), "uriBaseId": "%SRCROOT%"}
        }
        line = ref.location.get("line")
        if isinstance(line, int) and not isinstance(line, bool) and line >= 1:  # else no region at all
            physical["region"] = {"startLine": line}
    else:
        account = re.sub(r"[^A-Za-z0-9._-]+", "_", ref.account or "unknown")
        provider = re.sub(r"[^A-Za-z0-9._-]+", "_", ref.provider or "unknown")
        physical = {"artifactLocation": {"uri": f"cloud/{provider}/{account}"}, "region": {"startLine": 1}}
    return {
        "physicalLocation": physical,
        "logicalLocations": [
            {"name": ref.account, "kind": "namespace", "fullyQualifiedName": f"{ref.provider}/{ref.account}"},
            {"name": ref.name[:200], "kind": ref.type, "fullyQualifiedName": ref.uid},
        ],
    }


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.control_id,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": finding.message},
        "locations": [_location(finding)],
        "partialFingerprints": {FINGERPRINT_KEY: finding.fingerprint},
        "properties": {"resourceUid": finding.resource.uid, "severity": finding.severity},
    }
    if finding.new is not None:
        result["baselineState"] = "new" if finding.new else "unchanged"
    if finding.waiver is not None:
        waiver = finding.waiver
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": f"{waiver.reason} (owner {waiver.owner}, expires {waiver.expires})",
            }
        ]
    return result


def _group_result(group: FindingGroup, rule_index: int) -> dict[str, Any]:
    """One result for the cloud findings of one control, status and account."""
    count, first = len(group.findings), group.findings[0]
    noun = "resource" if count == 1 else "resources"
    examples = ", ".join(group.examples) + (", …" if count > len(group.examples) else "")
    location = _location(first)
    named = {f.resource.uid: f.resource for f in group.findings[: GROUP_LOCATIONS * 2]}  # SARIF: unique items
    location["logicalLocations"] = location["logicalLocations"][:1] + [
        {"name": ref.name[:200], "kind": ref.type, "fullyQualifiedName": ref.uid}
        for ref in list(named.values())[:GROUP_LOCATIONS]
    ]
    grouped: dict[str, Any] = {
        "ruleId": group.control_id,
        "ruleIndex": rule_index,
        "level": LEVELS[group.severity],
        "message": {"text": f"{count:,} {noun} in {group.provider} {group.account}: {examples}. {first.message}"},
        "locations": [location],
        "partialFingerprints": {GROUP_FINGERPRINT_KEY: group.fingerprint},
        "properties": {"resources": count, "severity": group.severity, "findings": "results.json"},
    }
    if group.new is not None:
        grouped["baselineState"] = "new" if group.new else "unchanged"
    if group.waiver is not None:
        grouped["suppressions"] = _result(first, rule_index)["suppressions"]
    return grouped


def _results(result: ScanResult, findings: list[Finding], index: dict[str, int]) -> tuple[list[dict[str, Any]], bool]:
    """A result per finding; past RESULTS_PER_RUN, cloud findings (those without a file and line)
    are grouped per control, status and account. Whether they were grouped."""
    if len(findings) <= RESULTS_PER_RUN:
        return [_result(f, index[f.control_id]) for f in findings], False
    grouped = [g for g in groups(result) if g.status in SHOWN]
    if not any(g.located for g in grouped):
        # all in clouds: their groups are the scan's groups (shared with the HTML report) of
        # these statuses, in the same order
        return [_group_result(g, index[g.control_id]) for g in grouped], True
    in_files: list[Finding] = []
    in_clouds: list[Finding] = []
    for finding in findings:
        location = finding.resource.location
        (in_files if location and location.get("file") else in_clouds).append(finding)
    results = [_result(f, index[f.control_id]) for f in in_files]
    results += [_group_result(g, index[g.control_id]) for g in group_findings(in_clouds)]
    return results, True


def sarif_document(result: ScanResult) -> dict[str, Any]:
    rules = [_rule(c) for c in result.controls]
    index = {c.id: n for n, c in enumerate(result.controls)}
    findings = [f for f in result.findings if f.status in SHOWN]
    results, grouped = _results(result, findings, index)
    incomplete = [s for s in result.scan.sources if s.status != "complete"]
    document: dict[str, Any] = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "nhiscan",
                        "version": result.tool.get("version", ""),
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"nhiscan/{result.scan.id}"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "warning",
                                "message": {"text": f"source {s.name} {s.account}: read {s.status}"},
                            }
                            for s in incomplete
                        ]
                        + _nothing_assessed(result),
                        **_disabled_notifications(result),
                    }
                ],
                "results": _revealed(results),
                "properties": {"findings": len(findings), "groupedPerControlAndAccount": grouped},
            }
        ],
    }
    run = document["runs"][0]
    run["invocations"] = _revealed(run["invocations"])
    return document


def _nothing_assessed(result: ScanResult) -> list[dict[str, Any]]:
    """A scan that assessed nothing, said as an error of the run: without it, no alert reads as a
    clean estate."""
    if not result.gate.get("nothing_assessed"):
        return []
    return [{"level": "error", "message": {"text": gate_verdict(result)}}]


def _disabled_notifications(result: ScanResult) -> dict[str, list[dict[str, Any]]]:
    """The controls the configuration turned off, each a note on the tool's configuration (a code
    scanning view would otherwise show their rules as simply having no alert)."""
    off, in_part = disabled_controls(result)
    said = [(c, "disabled by the configuration: not evaluated") for c in off]
    said += [(c, "disabled by the configuration in part of the scan") for c in in_part]
    if not said:
        return {}
    return {
        "toolConfigurationNotifications": [
            {"level": "note", "associatedRule": {"id": control_id}, "message": {"text": f"{control_id} {text}"}}
            for control_id, text in said
        ]
    }


def render(result: ScanResult, settings: ReportSettings) -> str:
    return dumps_document(sarif_document(result))


# What a character ``reveal`` shows as its code point looks like in compact JSON: a C0 control
# character but tab and line breaks is escaped (``\b``, ``\f``, ``\u00XX``), the others are
# written as they are. A text holding none of these holds nothing to reveal; one holding an escaped
# backslash before a ``b`` matches too, and is then revealed string by string as any other.
_HIDDEN_IN_JSON = re.compile(f"\\\\[bf]|\\\\u00[01]|[\x7f-\x9f{INVISIBLE}]")


def _revealed(value: Any) -> Any:
    """``value`` with every string in it ``reveal``ed: names and messages come from the scanned
    systems, and a code-scanning view or a terminal showing the file would act on an escape
    sequence or a direction override as the CSV and JUnit reports never let them. At 100,000
    identities the results hold half a million strings: where their JSON shows nothing to reveal,
    the usual case, one search of it replaces walking them."""
    if _HIDDEN_IN_JSON.search(dumps(value)) is None:
        return value
    return _each_revealed(value)


def _each_revealed(value: Any) -> Any:
    if isinstance(value, str):
        return reveal(value)
    if isinstance(value, dict):
        return {key: _each_revealed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_each_revealed(item) for item in value]
    return value


REPORTER = Reporter(format="sarif", filename="results.sarif", render=render)
