"""junit.xml: a test case per control, for the test views of GitLab, Jenkins and Azure DevOps.

Those views list test cases with a pass/fail state and show a failure's message and text. One case
per control keeps the list as long as the catalog, not the estate: a failing control's failure
text lists each failing resource with its message (up to MAX_LISTED), a control with nothing to
judge is skipped, and one with results that could not be assessed (unknown) is skipped with how
many, never shown as passing; so is one whose only results are waived failures (nothing held). A
control the configuration turned off is a skipped case. A last
case, ``gate``, fails when the gate failed.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections import defaultdict

from scanner.model import Finding, ScanResult
from scanner.reports import Reporter, ReportSettings
from scanner.reports.reveal import reveal
from scanner.reports.view import disabled_controls, gate_verdict

MAX_LISTED = 500
# Characters XML 1.0 cannot carry even escaped (control characters, lone surrogates, U+FFFE/FFFF):
# ElementTree writes them as they are, and the file is then not XML at all
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _drop_forbidden_characters(root: ET.Element) -> None:
    """Control and bidirectional characters shown as their code points (``reveal``), and what XML
    cannot carry at all dropped."""
    for element in root.iter():
        if element.text:
            element.text = _NOT_XML.sub("?", reveal(element.text))
        for name, value in element.attrib.items():
            element.set(name, _NOT_XML.sub("?", reveal(value)))


def render(result: ScanResult, settings: ReportSettings) -> str:
    by_control: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_control[finding.control_id].append(finding)
    suite = ET.Element("testsuite", name="nhiscan", timestamp=result.scan.finished.isoformat(timespec="seconds"))
    failures = skipped = 0
    for control in result.controls:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"nhiscan.{control.resource}",
            name=f"{control.id} {control.title}",
            time="0",
        )
        ET.SubElement(ET.SubElement(case, "properties"), "property", name="severity", value=control.severity)
        failing = [f for f in by_control[control.id] if f.status == "fail"]
        counts = control.counts
        if failing:
            failures += 1
            failure = ET.SubElement(
                case, "failure", message=f"{len(failing)} resource(s) fail ({control.severity})", type=control.severity
            )
            lines = [f"{f.resource.name} [{f.resource.uid}]: {f.message}" for f in failing[:MAX_LISTED]]
            if len(failing) > MAX_LISTED:
                lines.append(f"… and {len(failing) - MAX_LISTED} more (results.json lists all)")
            lines += ["", f"Remediation: {control.remediation}"]
            failure.text = "\n".join(lines)
        elif counts.get("unknown"):  # not shown to hold: a test a view would show green otherwise
            skipped += 1
            passed = counts.get("pass", 0)
            also = f"; {passed} passed" if passed else ""
            ET.SubElement(
                case, "skipped", message=f"{counts['unknown']} resource(s) could not be assessed (unknown){also}"
            )
        elif not counts.get("pass"):  # nothing held: every result in scope, if any, a waived failure
            skipped += 1
            waived = counts.get("waived", 0)
            message = f"{waived} failure(s) waived, none passed" if waived else "no resource in scope"
            ET.SubElement(case, "skipped", message=message)
        waived = counts.get("waived", 0)
        if waived:
            ET.SubElement(case, "system-out").text = f"{waived} failure(s) waived"
    disabled, in_part = disabled_controls(result)
    for control_id in disabled:  # never shown passing: a view would count them as tests that held
        case = ET.SubElement(suite, "testcase", classname="nhiscan.disabled", name=control_id, time="0")
        ET.SubElement(case, "skipped", message="disabled by the configuration (controls.disabled): not evaluated")
    skipped += len(disabled)
    for case in suite.iter("testcase"):  # evaluated, but not in the part of the scan that turned it off
        if case.get("name", "").split(" ", 1)[0] in in_part:
            ET.SubElement(case, "system-err").text = "disabled by the configuration in part of the scan"
    if _gate_case(suite, result):
        failures += 1
    suite.set("tests", str(len(result.controls) + len(disabled) + 1))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    root = ET.Element("testsuites", name="nhiscan", tests=suite.get("tests", "0"), failures=str(failures))
    root.append(suite)
    _drop_forbidden_characters(root)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _gate_case(suite: ET.Element, result: ScanResult) -> bool:
    """The gate as a case of its own, failing with the gate's sentence when it failed: a scan that
    assessed nothing has no failing control, yet its gate fails (exit 3), and the view must say so."""
    case = ET.SubElement(suite, "testcase", classname="nhiscan.gate", name="gate", time="0")
    gate = result.gate
    incomplete = gate.get("incomplete_sources") or []
    if incomplete:
        ET.SubElement(case, "system-out").text = "not read completely: " + ", ".join(incomplete)
    if gate.get("passed", True):
        return False
    failure = ET.SubElement(case, "failure", message=f"the gate failed (fail on {gate.get('fail_on')})", type="gate")
    failure.text = gate_verdict(result)
    return True


REPORTER = Reporter(format="junit", filename="junit.xml", render=render)
